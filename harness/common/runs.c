#include "runs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ---- sets of runs -------------------------------------------------------------------------- */

int runs_split_controls(Run *runs, int n)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!runs[i].control) {
            Run t = runs[i];
            memmove(&runs[k + 1], &runs[k], (size_t)(i - k) * sizeof *runs);
            runs[k++] = t;
        }
    return k;
}

int run_cmp_canonical(const void *a, const void *b)
{
    const Run *x = a, *y = b;
    int c = strcmp(x->fault, y->fault);
    if (c)
        return !strcmp(x->fault, "none") ? -1 : !strcmp(y->fault, "none") ? 1 : c;
    if (x->mode != y->mode)
        return (int)x->mode - (int)y->mode;
    if (x->iters != y->iters)
        return (x->iters > y->iters) - (x->iters < y->iters);
    return (x->resume_from > y->resume_from) - (x->resume_from < y->resume_from);
}

void run_label(const Run *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s %ld%s%s%s", mode_name(r->mode), r->iters, r->resume_from ? " resumed" : "",
             strcmp(r->fault, "none") ? " fault " : "", strcmp(r->fault, "none") ? r->fault : "");
}

long runs_column_key(const Run *r)
{
    return 2 * r->iters + (r->resume_from != 0);
}

int runs_columns(const Run *runs, int n, long *keys, int max)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        long key = runs_column_key(&runs[i]);
        int seen = 0;
        for (int j = 0; j < k; j++)
            seen |= keys[j] == key;
        if (!seen && k < max)
            keys[k++] = key;
    }
    for (int a = 1; a < k; a++)
        for (int b = a; b > 0 && keys[b] < keys[b - 1]; b--) {
            long t = keys[b];
            keys[b] = keys[b - 1];
            keys[b - 1] = t;
        }
    return k;
}

char *run_read_file(const Run *r, const char *name)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    return read_file(path, 4u << 20, NULL);
}

const char *run_step_word(const Run *r)
{
    return r->attached ? "second" : r->service ? "request" : "iteration";
}

void run_source_dir(const Run *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s%s", r->dir, r->finer ? "/attrib" : "");
}
