/* libFuzzer target: the event-log reader on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "evlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fmemopen((void *)data, size ? size : 1, "rb");
    if (!f)
        return 0;
    if (!size) {
        fclose(f);
        return 0;
    }
    EvlogReader r;
    char err[256];
    if (evlog_reader_from(&r, f, "fuzz", err, sizeof err) != 0)
        return 0;
    EvlogRecord rec;
    while (evlog_next(&r, &rec, err, sizeof err) == 1)
        (void)evlog_site(&r, rec.site);
    evlog_reader_close(&r);
    return 0;
}
