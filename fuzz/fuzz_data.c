/* libFuzzer target: the data loader on arbitrary text: vocabulary, split, batches. */
#include <stddef.h>
#include <stdint.h>

#include "data.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Dataset d;
    const char *why;
    if (data_from_text(&d, data, size, &why) != ENG_OK)
        return 0;
    int T = size > 2 ? (int)(data[0] % 16) + 1 : 1;
    if (data_check_context(&d, T) == ENG_OK) {
        int32_t x[4 * 16], y[4 * 16];
        Rng r;
        rng_seed(&r, size);
        data_batch(&d, SPLIT_TRAIN, &r, 4, T, x, y);
        data_batch(&d, SPLIT_VAL, &r, 4, T, x, y);
        for (int i = 0; i < 4 * T; i++)
            if (x[i] < 0 || x[i] >= d.vocab || y[i] < 0 || y[i] >= d.vocab)
                __builtin_trap();
    }
    data_free(&d);
    return 0;
}
