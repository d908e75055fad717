#include "evidence.h"

#include <unistd.h>

Tolerance tolerance_defaults(void)
{
    long page = sysconf(_SC_PAGESIZE);
    return (Tolerance){.warmup_frac = 0.1, .page_bytes = page > 0 ? (double)page : 4096.0};
}

const char *series_class_name(SeriesClass c)
{
    static const char *const names[] = {"exact", "allocator", "resident", "count", "ignored"};
    return c <= SERIES_IGNORED ? names[c] : "?";
}
