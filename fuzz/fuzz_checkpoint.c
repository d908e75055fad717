/* libFuzzer target: the checkpoint reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!size)
        return 0;
    FILE *f = fmemopen((void *)data, size, "rb");
    if (!f)
        return 0;
    GPT m;
    CkptMeta meta;
    const char *why;
    if (ckpt_load(f, &m, &meta, &why) == ENG_OK)
        gpt_destroy(&m);
    fclose(f);
    return 0;
}
