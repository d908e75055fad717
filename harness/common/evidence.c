#include "evidence.h"

#include <stdio.h>

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

void stack_add_caller(StackGrowth *g, const char *function, const char *where)
{
    if (g->n_callers == STACK_CALLERS || !function[0])
        return;
    snprintf(g->callers[g->n_callers].function, sizeof g->callers[0].function, "%s", function);
    snprintf(g->callers[g->n_callers++].where, sizeof g->callers[0].where, "%s", where);
}

void stack_callers_line(const StackGrowth *g, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < g->n_callers && n < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s%s%s%s", i ? " <- " : "", g->callers[i].function,
                              g->callers[i].where[0] ? " (" : "", g->callers[i].where,
                              g->callers[i].where[0] ? ")" : "");
    if (g->library && n < cap)
        snprintf(out + n, cap - n, "%s(library)", n ? " " : "");
}
