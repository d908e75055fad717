/* libFuzzer target: the tokenizer file reader on arbitrary bytes; what it accepts must
 * encode and decode its own input back exactly. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    Bpe b;
    const char *why;
    EngErr e = bpe_load(f, &b, &why);
    fclose(f);
    if (e != ENG_OK)
        return 0;
    int32_t *ids = malloc((size + 1) * sizeof *ids);
    uint8_t *back = malloc(size + 1);
    size_t n = bpe_encode(&b, data, size, ids, size);
    if (n > size || bpe_decode(&b, ids, n, back, size) != size || memcmp(back, data, size))
        __builtin_trap();
    free(ids);
    free(back);
    bpe_free(&b);
    return 0;
}
