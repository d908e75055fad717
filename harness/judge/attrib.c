#include "attrib.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "columns.h"
#include "findings.h"
#include "outfile.h"
#include "samples.h"
#include "util.h"

void attrib_source_dir(const char *run_dir, char *out, size_t cap)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/attrib/sample-period.txt", run_dir);
    if (access(path, R_OK) == 0)
        snprintf(out, cap, "%s/attrib", run_dir);
    else
        snprintf(out, cap, "%s", run_dir);
}

double attrib_sample_period(const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/sample-period.txt", dir);
    char *text = read_file(path, 64, NULL);
    double v = text ? strtod(text, NULL) : 0;
    free(text);
    return v > 0 ? v : 131072.0;
}

/* Runs jeprof with args (args[0] "jeprof", NULL-terminated), its standard output into
 * path. 0, or -1. */
static int jeprof(char *const *args, const char *path)
{
    static Argv a;
    a.n = 0;
    for (int i = 0; args[i]; i++)
        argv_add(&a, "%s", args[i]);
    return argv_run(&a, path, NULL, 0) == 0 ? 0 : -1;
}

/* The final profile jemalloc wrote at exit (jeprof.<pid>.<n>.f.heap), into out. */
static int final_profile(const char *dir, char *out, size_t cap)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    out[0] = 0;
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (!strncmp(e->d_name, "jeprof.", 7) && n > 7 && !strcmp(e->d_name + n - 7, ".f.heap"))
            snprintf(out, cap, "%s/%s", dir, e->d_name);
    }
    if (d)
        closedir(d);
    return out[0] ? 0 : -1;
}

typedef AttribPair Pair;

static const char *const k_jeprof_names[2] = {"jeprof.t", ".heap"}; /* the probe's dumps */

/* The iteration the run had reached at ms milliseconds (from its samples). */
static double iter_at(const Samples *s, int tc, double ms)
{
    double it = 0;
    for (size_t i = 0; i < s->nrows && tc >= 0; i++)
        if (samples_at(s, i, tc) * 1e3 <= ms)
            it = samples_at(s, i, 0);
    return it;
}

/* The periodic dumps listed in RUN/csv ("t_ns,NAME...", NAME "<pre><ms><post>") taken
 * after warm_ms, by time: how many (at most max). */
static int dumps_after(const char *dir, const char *csv, const char *const name_of[2], double warm_ms,
                       double *ms, int max)
{
    char path[PATH_MAX + 32], line[512], name[128];
    double t;
    int n = 0;
    snprintf(path, sizeof path, "%s/%s", dir, csv);
    FILE *f = fopen(path, "r");
    size_t pre = strlen(name_of[0]);
    while (f && fgets(line, sizeof line, f) && n < max) {
        char *end = NULL;
        if (sscanf(line, "%*[^,],%127[^,\n]", name) != 1 || strncmp(name, name_of[0], pre))
            continue;
        t = (double)strtoul(name + pre, &end, 10); /* (strtod would take "51.heap" as 51.) */
        if (end != name + pre && !strcmp(end, name_of[1]) && t >= warm_ms) {
            int k = n++;
            for (; k > 0 && ms[k - 1] > t; k--)
                ms[k] = ms[k - 1];
            ms[k] = t;
        }
    }
    if (f)
        fclose(f);
    return n;
}

/* The dumps taken at step marks (the probe's and the Python hook's, with FLATMEM_ITERS:
 * "<pre with s for t><step><post>") from the first at or after warm-up: the early one and
 * up to ATTRIB_LATE late ones, at their steps exactly. 0, or -1 when there are not two. */
static int pick_by_step(const char *dir, long iters, const char *csv, const char *const name_of[2], Pair *p)
{
    char pre[64], name[128];
    snprintf(pre, sizeof pre, "%.*ss", (int)strlen(name_of[0]) - 1, name_of[0]);
    const char *const by_step[2] = {pre, name_of[1]};
    double st[64];
    int n = dumps_after(dir, csv, by_step, fmax(1.0, (double)iters / 10.0), st, 64);
    if (n < 2)
        return -1;
    snprintf(name, sizeof name, "%s%.0f%s", pre, st[0], name_of[1]);
    snprintf(p->early, sizeof p->early, "%s/%s", dir, name);
    p->iter_early = st[0];
    p->n_late = 0;
    for (int k = n - 1 < ATTRIB_LATE ? 1 : n - ATTRIB_LATE; k < n; k++) {
        snprintf(name, sizeof name, "%s%.0f%s", pre, st[k], name_of[1]);
        snprintf(p->late[p->n_late], sizeof p->late[0], "%s/%s", dir, name);
        p->iter_late[p->n_late++] = st[k];
    }
    return 0;
}

int attrib_pick(const char *dir, long iters, const char *csv, const char *const name_of[2], const char *final,
                Pair *p)
{
    if (pick_by_step(dir, iters, csv, name_of, p) == 0)
        return 0;
    char path[PATH_MAX + 32], err[256];
    Samples s;
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    if (samples_load(&s, path, err, sizeof err) != 0)
        return -1;
    int tc = samples_col(&s, COL_TIME);
    double warm_ms = INFINITY, ms[64];
    for (size_t i = 0; i < s.nrows && tc >= 0 && isinf(warm_ms); i++)
        if (samples_at(&s, i, 0) >= fmax(1.0, (double)iters / 10.0))
            warm_ms = samples_at(&s, i, tc) * 1e3;
    int n = dumps_after(dir, csv, name_of, warm_ms, ms, 64);
    char name[128];
    p->n_late = 0;
    if (n >= 1) {
        snprintf(name, sizeof name, "%s%.0f%s", name_of[0], ms[0], name_of[1]);
        snprintf(p->early, sizeof p->early, "%s/%s", dir, name);
        p->iter_early = iter_at(&s, tc, ms[0]);
        for (int k = n - 1 < ATTRIB_LATE ? 1 : n - ATTRIB_LATE; k < n; k++) {
            snprintf(name, sizeof name, "%s%.0f%s", name_of[0], ms[k], name_of[1]);
            snprintf(p->late[p->n_late], sizeof p->late[0], "%s/%s", dir, name);
            p->iter_late[p->n_late++] = iter_at(&s, tc, ms[k]);
        }
        if (!p->n_late && final && !*final && final_profile(dir, p->late[0], sizeof p->late[0]) == 0)
            p->iter_late[p->n_late++] = (double)iters;
        else if (!p->n_late && final && *final) {
            snprintf(p->late[0], sizeof p->late[0], "%s/%s", dir, final);
            if (access(p->late[0], R_OK) == 0)
                p->iter_late[p->n_late++] = (double)iters;
        }
    }
    samples_free(&s);
    return n >= 1 && p->n_late ? 0 : -1;
}

/* A frame's name without its decorations: "f<addr>", "f[inline]", "C::f(long, double)". */
static void frame_name(const char *frame, char *out, size_t cap)
{
    snprintf(out, cap, "%s", frame);
    out[strcspn(out, "<[(")] = 0;
    char *version = strstr(out, "@@"); /* a symbol's version: "ffi_call@@LIBFFI_BASE_8.0" */
    if (version)
        *version = 0;
}

/* Functions of a runtime library by where they are (glibc's "outstring_func" is in
 * ./stdio-common/): folded stacks carry names only, jeprof's table their files. */
static struct {
    char names[128][96];
    int n;
} g_runtime;

/* Reads jeprof's --text --lines table: each function whose file is a runtime library's. */
static void runtime_from_table(const char *table)
{
    FILE *f = fopen(table, "r");
    char line[1024];
    g_runtime.n = 0;
    while (f && fgets(line, sizeof line, f) && g_runtime.n < 128) {
        int used = 0;
        if (sscanf(line, "%*f %*f%% %*f%% %*f %*f%% %n", &used) != 0 || !used)
            continue;
        char *frame = line + used;
        frame[strcspn(frame, "\n")] = 0;
        char *disc = strstr(frame, " (discriminator");
        if (disc)
            *disc = 0;
        char *loc = strrchr(frame, ' '); /* "outstring_func ./stdio-common/...:239" */
        if (!loc || !frame_is_allocator(frame))
            continue;
        *loc = 0;
        frame_name(frame, g_runtime.names[g_runtime.n++], sizeof g_runtime.names[0]);
    }
    if (f)
        fclose(f);
}

static int frame_is_runtime(const char *frame)
{
    char name[96];
    frame_name(frame, name, sizeof name);
    for (int i = 0; i < g_runtime.n; i++)
        if (!strcmp(g_runtime.names[i], name))
            return 1;
    return 0;
}

/* The frame a folded stack ("a<addr>;b[inline];c") is charged to: the first from the leaf
 * that is neither a wrapper nor a runtime library's; and its first two callers ("main <-
 * start"). */
static void charged_frame(char *stack, char *out, size_t cap, char *callers, size_t ccap)
{
    char *frames[256], a[96] = "", b[96] = "";
    int n = 0;
    for (char *p = strtok(stack, ";"); p && n < 256; p = strtok(NULL, ";"))
        frames[n++] = p;
    int k = n - 1;
    while (k > 0 && (frame_is_allocator(frames[k]) || frame_is_runtime(frames[k])))
        k--;
    frame_name(k >= 0 ? frames[k] : "?", out, cap);
    if (k >= 1)
        frame_name(frames[k - 1], a, sizeof a);
    if (k >= 2)
        frame_name(frames[k - 2], b, sizeof b);
    snprintf(callers, ccap, "%s%s%s", a, b[0] ? " <- " : "", b);
}

/* Adds bytes to function f in out[0..*n); the callers of its heaviest stack are kept;
 * traced: the stack went through tracemalloc's hooks (or NumPy's allocator, which tells
 * tracemalloc of its buffers itself), so a Python program's traced line holds it too. */
static void charge(StackGrowth *all, int *n, int cap, const char *f, const char *callers, double bytes,
                   int traced)
{
    int i = 0;
    while (i < *n && strcmp(all[i].function, f))
        i++;
    if (i == *n && *n < cap)
        snprintf(all[(*n)++].function, sizeof all[0].function, "%s", f);
    if (i < *n) {
        all[i].bytes += bytes;
        all[i].traced_bytes += traced ? bytes : 0;
        if (bytes > all[i].heaviest) {
            all[i].heaviest = bytes;
            snprintf(all[i].callers, sizeof all[i].callers, "%s", callers);
        }
    }
}

/* function's file:line from jeprof's table: its row with the most cumulative bytes. */
static void location_of(const char *table, const char *function, char *out, size_t cap)
{
    FILE *f = fopen(table, "r");
    char line[1024];
    double best = -1;
    out[0] = 0;
    while (f && fgets(line, sizeof line, f)) {
        double flat, cum;
        int used = 0;
        if (sscanf(line, "%lf %*f%% %*f%% %lf %*f%% %n", &flat, &cum, &used) != 2 || !used)
            continue;
        char *name = line + used;
        name[strcspn(name, "\n")] = 0;
        char *disc = strstr(name, " (discriminator"); /* "f file.c:11 (discriminator 2)" */
        if (disc)
            *disc = 0;
        char *sp = strrchr(name, ' ');
        if (!sp || strncmp(name, function, strlen(function)) ||
            (name[strlen(function)] != ' ' || cum <= best))
            continue;
        best = cum;
        snprintf(out, cap, "%s", strstr(sp + 1, "??") ? "" : path_here(sp + 1));
    }
    if (f)
        fclose(f);
}

static int cmp_bytes(const void *a, const void *b)
{
    double x = ((const StackGrowth *)a)->bytes, y = ((const StackGrowth *)b)->bytes;
    return (x < y) - (x > y);
}

/* Folded stacks of the growth into per-function totals. Returns how many functions. */
static int read_growth(const char *folded, StackGrowth *all, int cap, double *total)
{
    FILE *f = fopen(folded, "r");
    static char line[65536];
    int n = 0;
    *total = 0;
    while (f && fgets(line, sizeof line, f)) {
        char *sp = strrchr(line, ' '), frame[96], callers[200];
        double bytes = sp ? strtod(sp + 1, NULL) : 0;
        if (!sp || bytes <= 0)
            continue;
        *sp = 0;
        int traced = strstr(line, "tracemalloc_") || strstr(line, "PyDataMem_");
        charged_frame(line, frame, sizeof frame, callers, sizeof callers);
        charge(all, &n, cap, frame, callers, bytes, traced);
        *total += bytes;
    }
    if (f)
        fclose(f);
    return n;
}

/* The growth of each function from the early profile to late profile k: jeprof's folded
 * stacks (kept as RUN/growth.collapsed for the last) read into all[0..*n). */
static int growth_at(const char *dir, const char *prog, const Pair *pr, int k, StackGrowth *all, int cap,
                     double *total)
{
    char base[PATH_MAX + 80], folded[PATH_MAX + 32];
    snprintf(base, sizeof base, "--base=%s", pr->early);
    if (k == pr->n_late - 1)
        snprintf(folded, sizeof folded, "%s/growth.collapsed", dir);
    else
        snprintf(folded, sizeof folded, "%s/.growth%d.collapsed", dir, k);
    char *args[] = {"jeprof", "--collapsed", base, (char *)prog, (char *)pr->late[k], NULL};
    if (jeprof(args, folded) != 0)
        return -1;
    memset(all, 0, (size_t)cap * sizeof *all);
    int n = read_growth(folded, all, cap, total);
    if (k != pr->n_late - 1)
        unlink(folded);
    return n;
}

/* The bytes function f grew by in all[0..n), 0 when it is not there. */
static double grown(const StackGrowth *all, int n, const char *f)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(all[i].function, f))
            return all[i].bytes;
    return 0;
}

int attrib_jeprof(const char *dir, long iters, StackGrowth *out, int max, char *why, size_t whylen)
{
    char prog[PATH_MAX], path[PATH_MAX + 32];
    Pair pr;
    snprintf(path, sizeof path, "%s/program.txt", dir);
    char *p = read_file(path, sizeof prog - 1, NULL);
    snprintf(prog, sizeof prog, "%s", p ? p : "");
    free(p);
    prog[strcspn(prog, "\n")] = 0;
    if (!prog[0] || attrib_pick(dir, iters, "dumps.csv", k_jeprof_names, "", &pr) != 0) {
        snprintf(why, whylen,
                 "no two heap profiles to compare (the run ended before a dump after warm-up: "
                 "dumps are taken at 50 ms, 100 ms, 200 ms, ...; or jemalloc's profiler was off)");
        return 0;
    }
    static StackGrowth all[256], earlier[ATTRIB_LATE - 1][256];
    int n_earlier[ATTRIB_LATE - 1] = {0};
    double total = 0, t;
    char table[PATH_MAX + 32], base[PATH_MAX + 80];
    snprintf(table, sizeof table, "%s/growth.txt", dir);
    snprintf(base, sizeof base, "--base=%s", pr.early);
    char *text_args[] = {"jeprof", "--text", "--lines", "--show_bytes", base, prog, pr.late[pr.n_late - 1],
                         NULL};
    if (jeprof(text_args, table) != 0) {
        snprintf(why, whylen, "jeprof failed on %s (is libjemalloc-dev installed?)", pr.late[pr.n_late - 1]);
        return -1;
    }
    runtime_from_table(table); /* first: the stacks are charged past these */
    for (int k = 0; k + 1 < pr.n_late; k++)
        if ((n_earlier[k] = growth_at(dir, prog, &pr, k, earlier[k], 256, &t)) < 0)
            n_earlier[k] = 0;
    int n = growth_at(dir, prog, &pr, pr.n_late - 1, all, 256, &total);
    if (n < 0) {
        snprintf(why, whylen, "jeprof failed on %s (is libjemalloc-dev installed?)", pr.late[pr.n_late - 1]);
        return -1;
    }
    /* growth, not a block that happened to be live: jemalloc samples an allocation when it
     * is made, and a sampled block that is kept stays in every later profile, while one that
     * is given back within a step is in one profile at most. So a function counts when it
     * had grown by the last profile but one too, and held no less in the last than in the
     * first of the late profiles. */
    int kept = 0;
    for (int i = 0; i < n; i++) {
        int last = pr.n_late - 1, real = all[i].bytes > 0;
        if (real && last >= 1)
            real = grown(earlier[last - 1], n_earlier[last - 1], all[i].function) > 0 &&
                   grown(earlier[0], n_earlier[0], all[i].function) <= all[i].bytes;
        if (real)
            all[kept++] = all[i];
        else
            total -= all[i].bytes;
    }
    n = kept;
    qsort(all, (size_t)n, sizeof all[0], cmp_bytes);
    n = n < max ? n : max;
    double span = fmax(1.0, pr.iter_late[pr.n_late - 1] - pr.iter_early);
    if (!n)
        snprintf(why, whylen,
                 "no stack grew by a sampled amount between iterations %.0f and %.0f in each of the last "
                 "%d heap profiles (jemalloc samples one allocation every 2^N bytes on average: "
                 "--prof-sample N lower sees less)",
                 pr.iter_early, pr.iter_late[pr.n_late - 1], pr.n_late);
    for (int i = 0; i < n; i++) {
        out[i] = all[i];
        out[i].bytes_per_iter = all[i].bytes / span;
        out[i].share = total > 0 ? all[i].bytes / total : 0;
        out[i].traced = out[i].traced_bytes * 2 > out[i].bytes;
        location_of(table, out[i].function, out[i].where, sizeof out[i].where);
    }
    return n;
}

/* Bytes charged to each of names[0..n) in one profile (no base): jeprof --collapsed. */
static int profile_bytes(const char *dir, const char *prog, const char *profile, char names[][96], int n,
                         double *bytes)
{
    char out[PATH_MAX + 32];
    snprintf(out, sizeof out, "%s/.timeline.collapsed", dir);
    char *args[] = {"jeprof", "--collapsed", (char *)prog, (char *)profile, NULL};
    if (jeprof(args, out) != 0)
        return -1;
    StackGrowth all[256];
    memset(all, 0, sizeof all);
    double total;
    int got = read_growth(out, all, 256, &total);
    unlink(out);
    for (int k = 0; k < n; k++) {
        bytes[k] = 0;
        for (int i = 0; i < got; i++)
            bytes[k] += strcmp(all[i].function, names[k]) ? 0 : all[i].bytes;
    }
    return 0;
}

int attrib_timeline(const char *dir, const StackGrowth *top, int n, char *why, size_t whylen)
{
    char path[PATH_MAX + 32], err[256], prog[PATH_MAX], names[ATTRIB_TIMELINE][96];
    n = n < ATTRIB_TIMELINE ? n : ATTRIB_TIMELINE;
    snprintf(path, sizeof path, "%s/program.txt", dir);
    char *p = read_file(path, sizeof prog - 1, NULL);
    snprintf(prog, sizeof prog, "%s", p ? p : "");
    free(p);
    prog[strcspn(prog, "\n")] = 0;
    Samples s;
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    if (!prog[0] || n <= 0 || samples_load(&s, path, err, sizeof err) != 0) {
        snprintf(why, whylen, "no program, stacks or samples in %s", dir);
        return -1;
    }
    int tc = samples_col(&s, COL_TIME);
    double ms[64];
    int nd = dumps_after(dir, "dumps.csv", k_jeprof_names, -1.0, ms, 64);
    for (int k = 0; k < n; k++)
        snprintf(names[k], sizeof names[k], "%s", top[k].function);
    OutFile of;
    FILE *o = outfile_open_in(&of, dir, "stacks-over-time.csv", why, whylen);
    if (!o) {
        samples_free(&s);
        return -1;
    }
    fprintf(o, "iteration,ms");
    for (int k = 0; k < n; k++)
        fprintf(o, ",%s", names[k]);
    fputc('\n', o);
    /* the periodic dumps, spread over the run, then the profile at exit (at the last sample) */
    char paths[ATTRIB_TIMELINE_DUMPS + 1][PATH_MAX + 32];
    double at[ATTRIB_TIMELINE_DUMPS + 1];
    int picks = nd < ATTRIB_TIMELINE_DUMPS ? nd : ATTRIB_TIMELINE_DUMPS, rows = 0;
    for (int pick = 0; pick < picks; pick++) {
        int d = picks > 1 ? (int)lround((double)pick * (nd - 1) / (picks - 1)) : 0;
        snprintf(paths[pick], sizeof paths[pick], "%s/jeprof.t%.0f.heap", dir, ms[d]);
        at[pick] = ms[d];
    }
    if (s.nrows && tc >= 0 && final_profile(dir, paths[picks], sizeof paths[picks]) == 0)
        at[picks++] = samples_at(&s, s.nrows - 1, tc) * 1e3;
    for (int k = 0; k < picks; k++) {
        double bytes[ATTRIB_TIMELINE];
        if (profile_bytes(dir, prog, paths[k], names, n, bytes) != 0)
            continue;
        fprintf(o, "%.0f,%.0f", iter_at(&s, tc, at[k]), at[k]);
        for (int f = 0; f < n; f++)
            fprintf(o, ",%.0f", bytes[f]);
        fputc('\n', o);
        rows++;
    }
    samples_free(&s);
    if (!rows) {
        outfile_abort(&of);
        snprintf(why, whylen, "jeprof read none of the %d heap profiles of %s", nd, dir);
        return -1;
    }
    return outfile_finish(&of, why, whylen) ? -1 : rows;
}
