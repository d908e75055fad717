#include "pyattrib.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "attrib.h"
#include "paths.h"
#include "util.h"

int pyattrib_traced(const char *dir)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/pydumps.csv", dir);
    return access(path, R_OK) == 0;
}

/* tracemalloc's own memory (pydumps.csv's fourth column) when snapshot file was taken, or NAN. */
static double own_memory(const char *dir, const char *file)
{
    char path[PATH_MAX + 16], line[512], name[128];
    double own = NAN, v;
    snprintf(path, sizeof path, "%s/pydumps.csv", dir);
    FILE *f = fopen(path, "r");
    const char *base = path_last(file);
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "%*[^,],%127[^,],%*f,%lf", name, &v) == 2 && !strcmp(name, base))
            own = v;
    if (f)
        fclose(f);
    return own;
}

/* One row of pygrowth.tsv ("bytes per_iter blocks function file:line text callers library")
 * into g. 1 when it is one. */
static int read_row(char *line, StackGrowth *g, double total)
{
    char *f[8], *rest = line;
    int n = 0;
    line[strcspn(line, "\n")] = 0;
    while (n < 8 && rest)
        f[n++] = strsep(&rest, "\t");
    if (n < 8 || line[0] == '#')
        return 0;
    memset(g, 0, sizeof *g);
    g->python = 1;
    g->bytes = strtod(f[0], NULL);
    g->bytes_per_iter = strtod(f[1], NULL);
    g->share = total > 0 ? g->bytes / total : 0;
    g->heaviest = g->bytes;
    snprintf(g->function, sizeof g->function, "%s", f[3]);
    snprintf(g->where, sizeof g->where, "%s", path_here(f[4]));
    snprintf(g->code, sizeof g->code, "%s", f[5]);
    for (char *c = f[6], *next; c && *c; c = next) { /* "main (train.py:40) <- <module> (train.py:50)" */
        next = strstr(c, " <- ");
        if (next) {
            *next = 0;
            next += 4;
        }
        char *open = strrchr(c, '(');
        if (open && open > c && open[-1] == ' ' && c[strlen(c) - 1] == ')') {
            open[-1] = 0;
            open[strlen(open) - 1] = 0;
            stack_add_caller(g, c, open + 1);
        } else {
            stack_add_caller(g, c, "");
        }
    }
    g->library = atoi(f[7]) != 0;
    return g->bytes > 0;
}

int pyattrib(const char *dir, long iters, const Samples *s, StackGrowth *out, int max,
             double *traced_per_iter, char *why, size_t whylen)
{
    AttribPair pr;
    *traced_per_iter = NAN;
    if (attrib_pick(dir, iters, "pydumps.csv", (const char *const[2]){"pytrace.t", ".snap"},
                    "pytrace.final.snap", s, &pr) != 0) {
        snprintf(why, whylen,
                 "no two tracemalloc snapshots to compare (the program ended before one after warm-up: "
                 "they are taken at 50 ms, 100 ms, 200 ms, ...)");
        return 0;
    }
    char path[PATH_MAX + 32], py[PATH_MAX] = "python3", tool[PATH_MAX + 32], tsv[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/python.txt", dir);
    char *text = read_file(path, sizeof py - 1, NULL);
    if (text && text[0] != '\n')
        snprintf(py, sizeof py, "%.*s", (int)strcspn(text, "\n"), text);
    free(text);
    target_python_dir(tool, sizeof tool);
    strcat(tool, "/flatmem_pytrace.py");
    snprintf(tsv, sizeof tsv, "%s/pygrowth.tsv", dir);
    double span = fmax(1.0, pr.iter_late[pr.n_late - 1] - pr.iter_early);
    Argv *a = argv_new();
    argv_add(a, "%s", py);
    argv_add(a, "%s", tool);
    argv_add(a, "%s", pr.early);
    argv_add(a, "%s", pr.late[pr.n_late - 1]);
    argv_add(a, "%.0f", span);
    argv_add(a, "%s", tsv);
    snprintf(path, sizeof path, "%s/pygrowth.err", dir);
    int rc = argv_run(a, NULL, path, 0);
    argv_free(a);
    if (rc != 0) {
        snprintf(why, whylen, "%s failed on the snapshots (its errors: pygrowth.err)", tool);
        return -1;
    }
    unlink(path);
    FILE *f = fopen(tsv, "r");
    char line[2048];
    double total = 0;
    int n = 0;
    double own = own_memory(dir, pr.late[pr.n_late - 1]) - own_memory(dir, pr.early);
    if (f && fgets(line, sizeof line, f) && sscanf(line, "# traced_growth=%lf", &total) == 1)
        *traced_per_iter = (total + (own > 0 ? own : 0)) / span;
    while (f && n < max && fgets(line, sizeof line, f))
        n += read_row(line, &out[n], total);
    if (f)
        fclose(f);
    if (!n)
        snprintf(why, whylen, "no line of Python held more at iteration %.0f than at %.0f (tracemalloc)",
                 pr.iter_late[pr.n_late - 1], pr.iter_early);
    return n;
}
