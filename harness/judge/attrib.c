#include "attrib.h"

#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "columns.h"
#include "findings.h"
#include "heapgrowth.h"
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

static double final_bytes(const char *path);

/* A profile jemalloc wrote at a process's exit (jeprof.<pid>.<n>.f.heap) into out: pid's
 * (0: any); and, when largest is given, the one that held the most bytes. */
static int final_profile(const char *dir, int pid, char *out, size_t cap, char *largest, size_t lcap)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char pre[32];
    snprintf(pre, sizeof pre, "jeprof.%d.", pid);
    double most = -1;
    out[0] = 0;
    if (largest)
        largest[0] = 0;
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "jeprof.", 7) || n <= 7 || strcmp(e->d_name + n - 7, ".f.heap"))
            continue;
        char file[PATH_MAX + 64];
        snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
        if (!pid || !strncmp(e->d_name, pre, strlen(pre)))
            snprintf(out, cap, "%s", file);
        double held = largest ? final_bytes(file) : 0;
        if (largest && held > most)
            most = held, snprintf(largest, lcap, "%s", file);
    }
    if (d)
        closedir(d);
    return out[0] ? 0 : -1;
}

typedef AttribPair Pair;

static const char *const k_jeprof_names[2] = {"jeprof.t", ".heap"}; /* the probe's dumps */

/* The first "t_ns,..." line of RUN/csv, its time and second field: 0, or -1. */
static int first_mark(const char *dir, const char *csv, double *t_ns, char *second, size_t cap)
{
    char path[PATH_MAX + 32], line[512];
    snprintf(path, sizeof path, "%s/%s", dir, csv);
    FILE *f = fopen(path, "r");
    int ok = f && fgets(line, sizeof line, f) && sscanf(line, "%lf,%127[^,\n]", t_ns, second) == 2;
    if (f)
        fclose(f);
    (void)cap;
    return ok ? 0 : -1;
}

/* What to add to the samples' clock (time_s, ms) to read the probe's (the dumps' names:
 * ms since the program started): 0 when both start together (a program of one's own, timed
 * by the soak) or it cannot be told. The built-in program's samples count from its first
 * step, after it built its model: 5 s for GPT-2 small, when a profile dumped at 1.6 s (in
 * the middle of gpt_create) was placed at iteration 2 and the model's creation read as
 * growth. The probe's first step mark (steps.csv, its clock in ns) at the samples' row of
 * that step gives it, with the probe's start from a dump's name and time (dumps.csv). */
static double clock_offset_ms(const char *dir, const Samples *s, int tc)
{
    double step_ns, dump_ns;
    char step[128], name[128];
    if (tc < 0 || first_mark(dir, "steps.csv", &step_ns, step, sizeof step) != 0 ||
        first_mark(dir, "dumps.csv", &dump_ns, name, sizeof name) != 0)
        return 0;
    const char *digits = strpbrk(name, "0123456789");
    if (!digits || strncmp(name, "jeprof.t", 8))
        return 0;
    double start_ns = dump_ns - strtod(digits, NULL) * 1e6, at = atof(step);
    for (size_t i = 0; i < s->nrows; i++)
        if (samples_at(s, i, 0) >= at)
            return (step_ns - start_ns) / 1e6 - samples_at(s, i, tc) * 1e3;
    return 0;
}

/* The iteration the run had reached at ms milliseconds of the probe's clock (from its
 * samples, offset ms later: clock_offset_ms). */
static double iter_at(const Samples *s, int tc, double ms, double offset)
{
    double it = 0;
    for (size_t i = 0; i < s->nrows && tc >= 0; i++)
        if (samples_at(s, i, tc) * 1e3 + offset <= ms)
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
                const Samples *given, Pair *p)
{
    if (pick_by_step(dir, iters, csv, name_of, p) == 0)
        return 0;
    char path[PATH_MAX + 32], err[256];
    Samples loaded;
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    if (!given && samples_load(&loaded, path, err, sizeof err) != 0)
        return -1;
    const Samples *s = given ? given : &loaded;
    int tc = samples_col(s, COL_TIME);
    double warm_ms = INFINITY, ms[64], offset = clock_offset_ms(dir, s, tc);
    for (size_t i = 0; i < s->nrows && tc >= 0 && isinf(warm_ms); i++)
        if (samples_at(s, i, 0) >= fmax(1.0, (double)iters / 10.0))
            warm_ms = samples_at(s, i, tc) * 1e3 + offset;
    int n = dumps_after(dir, csv, name_of, warm_ms, ms, 64);
    char name[128];
    p->n_late = 0;
    if (n >= 1) {
        snprintf(name, sizeof name, "%s%.0f%s", name_of[0], ms[0], name_of[1]);
        snprintf(p->early, sizeof p->early, "%s/%s", dir, name);
        p->iter_early = iter_at(s, tc, ms[0], offset);
        for (int k = n - 1 < ATTRIB_LATE ? 1 : n - ATTRIB_LATE; k < n; k++) {
            snprintf(name, sizeof name, "%s%.0f%s", name_of[0], ms[k], name_of[1]);
            snprintf(p->late[p->n_late], sizeof p->late[0], "%s/%s", dir, name);
            p->iter_late[p->n_late++] = iter_at(s, tc, ms[k], offset);
        }
        if (!p->n_late && final && !*final &&
            final_profile(dir, 0, p->late[0], sizeof p->late[0], NULL, 0) == 0)
            p->iter_late[p->n_late++] = (double)iters;
        else if (!p->n_late && final && *final) {
            snprintf(p->late[0], sizeof p->late[0], "%s/%s", dir, final);
            if (access(p->late[0], R_OK) == 0)
                p->iter_late[p->n_late++] = (double)iters;
        }
    }
    if (!given)
        samples_free(&loaded);
    return n >= 1 && p->n_late ? 0 : -1;
}

/* The profiles paths[0..n), read, and every address of them named once per module (the
 * maps of paths[0], the latest, place them). 0, or -1 with a message in why. */
static int load_all(char paths[][PATH_MAX + 64], int n, HeapProf *p, HeapSyms *s, HeapNames *names, char *why,
                    size_t whylen)
{
    const HeapProf *all[ATTRIB_TIMELINE_DUMPS + ATTRIB_LATE + 2] = {0};
    for (int i = 0; i < n; i++) {
        if (heapprof_load(paths[i], &p[i], why, whylen) != 0) {
            while (i-- > 0)
                heapprof_free(&p[i]);
            return -1;
        }
        all[i] = &p[i];
    }
    if (heapsyms_resolve(s, all, n, names, why, whylen) == 0)
        return 0;
    heapsyms_free(s);
    for (int i = 0; i < n; i++)
        heapprof_free(&p[i]);
    return -1;
}

static void free_all(HeapProf *p, int n, HeapSyms *s)
{
    heapsyms_free(s);
    for (int i = 0; i < n; i++)
        heapprof_free(&p[i]);
}

static int cmp_bytes(const void *a, const void *b)
{
    double x = ((const StackGrowth *)a)->bytes, y = ((const StackGrowth *)b)->bytes;
    return (x < y) - (x > y);
}

/* The bytes function f grew by in all[0..n), 0 when it is not there. */
static double grown(const StackGrowth *all, int n, const char *f)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(all[i].function, f))
            return all[i].bytes;
    return 0;
}

/* RUN/growth.collapsed (the folded stacks of what grew) and RUN/growth.txt (the table of
 * the functions it is charged to). 0, or -1 with why. */
static int write_growth(const char *dir, const FoldedSet *set, const Pair *pr, const StackGrowth *g, int n,
                        double total, char *why, size_t whylen)
{
    OutFile of;
    FILE *f = outfile_open_in(&of, dir, "growth.collapsed", why, whylen);
    if (!f)
        return -1;
    if (heap_folded_write(set, f) != 0) {
        outfile_abort(&of);
        snprintf(why, whylen, "%s/growth.collapsed: cannot write it", dir);
        return -1;
    }
    if (outfile_finish(&of, why, whylen) != 0)
        return -1;
    if (!(f = outfile_open_in(&of, dir, "growth.txt", why, whylen)))
        return -1;
    fprintf(f,
            "# the heap's growth from iteration %.0f (%s) to %.0f (%s), by the function it is charged to\n",
            pr->iter_early, path_last(pr->early), pr->iter_late[pr->n_late - 1],
            path_last(pr->late[pr->n_late - 1]));
    fprintf(f, "# %.0f bytes in all; jemalloc's samples unsampled; the soak's own reader (docs/soak.md)\n",
            total);
    fprintf(f, "%14s %12s %7s  %s\n", "bytes", "bytes/iter", "share", "function file:line <- callers");
    for (int i = 0; i < n; i++) {
        char callers[400];
        stack_callers_line(&g[i], callers, sizeof callers);
        fprintf(f, "%14.0f %12.1f %6.1f%%  %s %s%s%s\n", g[i].bytes, g[i].bytes_per_iter, 100 * g[i].share,
                g[i].function, g[i].where[0] ? g[i].where : "??", callers[0] ? " <- " : "", callers);
    }
    return outfile_finish(&of, why, whylen);
}

int attrib_pick_heap(const char *dir, long iters, const Samples *s, AttribPair *p)
{
    return attrib_pick(dir, iters, "dumps.csv", k_jeprof_names, "", s, p);
}

int heapmodel_load(const char *dir, long iters, const Samples *s, HeapNames *names, HeapModel **out,
                   char *why, size_t whylen)
{
    *out = NULL;
    Pair pr;
    if (attrib_pick_heap(dir, iters, s, &pr) != 0) {
        snprintf(why, whylen,
                 "no two heap profiles to compare (the run ended before a dump after warm-up: "
                 "dumps are taken at 50 ms, 100 ms, 200 ms, ...; or jemalloc's profiler was off)");
        return 0;
    }
    HeapModel *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(why, whylen, "out of memory reading the heap profiles of %s", dir);
        return -1;
    }
    snprintf(m->dir, sizeof m->dir, "%s", dir);
    m->pr = pr;
    /* the latest first: its maps place every address */
    char paths[ATTRIB_LATE + 1][PATH_MAX + 64];
    for (int k = pr.n_late - 1; k >= 0; k--)
        snprintf(paths[m->np++], sizeof paths[0], "%s", pr.late[k]);
    snprintf(paths[m->np++], sizeof paths[0], "%s", pr.early);
    if (load_all(paths, m->np, m->p, &m->syms, names, why, whylen) != 0) {
        free(m);
        return -1;
    }
    *out = m;
    return 1;
}

void heapmodel_free(HeapModel *m)
{
    if (!m)
        return;
    free_all(m->p, m->np, &m->syms);
    free(m->folded);
    free(m);
}

int attrib_heap(HeapModel *m, StackGrowth *out, int max, char *why, size_t whylen)
{
    const Pair pr = m->pr;
    const char *dir = m->dir;
    const HeapSyms s = m->syms;
    const HeapProf *p = m->p;
    int np = m->np;
    const HeapProf *early = &p[np - 1];
    StackGrowth *all = calloc(256 * ATTRIB_LATE, sizeof *all), *earlier[ATTRIB_LATE - 1];
    if (!all) {
        fprintf(stderr, "%s: out of memory naming what grew\n", program_invocation_short_name);
        exit(1);
    }
    for (int k = 0; k + 1 < ATTRIB_LATE; k++)
        earlier[k] = all + 256 * (k + 1);
    int n_earlier[ATTRIB_LATE - 1] = {0}, n = 0;
    double total = 0, t;
    FoldedSet last;
    for (int k = 0; k + 1 < pr.n_late; k++) { /* late profile k is p[n_late - 1 - k] */
        FoldedSet set;
        heap_fold(&s, &p[pr.n_late - 1 - k], early, &set);
        n_earlier[k] = heap_charge(&set, earlier[k], 256, &t);
        heap_folded_free(&set);
    }
    heap_fold(&s, &p[0], early, &last);
    n = heap_charge(&last, all, 256, &total);
    /* growth, not a block that happened to be live: jemalloc samples an allocation when it
     * is made, and a sampled block that is kept stays in every later profile, while one that
     * is given back within a step is in one profile at most. So a function counts when it
     * had grown by the last profile but one too, and held no less in the last than in the
     * first of the late profiles. */
    int kept = 0;
    for (int i = 0; i < n; i++) {
        int lt = pr.n_late - 1, real = all[i].bytes >= 1.0; /* (a byte at least: not a rounding) */
        if (real && lt >= 1)
            real = grown(earlier[lt - 1], n_earlier[lt - 1], all[i].function) > 0 &&
                   grown(earlier[0], n_earlier[0], all[i].function) <= all[i].bytes;
        all[i].one_profile = lt < 1;
        all[i].recurs = lt >= 1 && grown(earlier[0], n_earlier[0], all[i].function) >= all[i].bytes;
        if (real)
            all[kept++] = all[i];
        else
            total -= all[i].bytes;
    }
    n = kept;
    qsort(all, (size_t)n, sizeof all[0], cmp_bytes);
    double span = fmax(1.0, pr.iter_late[pr.n_late - 1] - pr.iter_early);
    for (int i = 0; i < n; i++) {
        all[i].bytes_per_iter = all[i].bytes / span;
        all[i].share = total > 0 ? all[i].bytes / total : 0;
        all[i].traced = all[i].traced_bytes * 2 > all[i].bytes;
    }
    int rc = write_growth(dir, &last, &pr, all, n, total, why, whylen);
    size_t len = 0;
    free(m->folded);
    m->folded = NULL;
    FILE *mem = open_memstream(&m->folded, &len);
    if (mem) {
        heap_folded_write(&last, mem);
        fclose(mem);
    }
    heap_folded_free(&last);
    if (rc != 0) {
        free(all);
        return -1;
    }
    n = n < max ? n : max;
    if (!n)
        snprintf(why, whylen,
                 "no stack grew by a sampled amount between iterations %.0f and %.0f in each of the last "
                 "%d heap profiles (jemalloc samples one allocation every 2^N bytes on average: "
                 "--prof-sample N lower sees less)",
                 pr.iter_early, pr.iter_late[pr.n_late - 1], pr.n_late);
    memcpy(out, all, (size_t)n * sizeof *out);
    free(all);
    return n;
}

int attrib_timeline(const char *dir, const Samples *given, const StackGrowth *top, int n, HeapNames *names,
                    char *why, size_t whylen)
{
    char path[PATH_MAX + 32], err[256];
    n = n < ATTRIB_TIMELINE ? n : ATTRIB_TIMELINE;
    Samples loaded;
    snprintf(path, sizeof path, "%s/samples.csv", dir);
    if (n <= 0 || (!given && samples_load(&loaded, path, err, sizeof err) != 0)) {
        snprintf(why, whylen, "no stacks or samples in %s", dir);
        return -1;
    }
    const Samples *smp = given ? given : &loaded;
    int tc = samples_col(smp, COL_TIME);
    double ms[64], offset = clock_offset_ms(dir, smp, tc);
    int nd = dumps_after(dir, "dumps.csv", k_jeprof_names, -1.0, ms, 64);
    /* the periodic dumps, spread over the run, then the profile at exit (at the last
     * sample); read in the reverse order, the latest first (its maps place the addresses) */
    char paths[ATTRIB_TIMELINE_DUMPS + 1][PATH_MAX + 64];
    double at[ATTRIB_TIMELINE_DUMPS + 1];
    int picks = nd < ATTRIB_TIMELINE_DUMPS ? nd : ATTRIB_TIMELINE_DUMPS;
    for (int pick = 0; pick < picks; pick++) {
        int d = picks > 1 ? (int)lround((double)pick * (nd - 1) / (picks - 1)) : 0;
        snprintf(paths[pick], sizeof paths[pick], "%s/jeprof.t%.0f.heap", dir, ms[d]);
        at[pick] = ms[d];
    }
    if (smp->nrows && tc >= 0 && final_profile(dir, 0, paths[picks], sizeof paths[picks], NULL, 0) == 0)
        at[picks++] = samples_at(smp, smp->nrows - 1, tc) * 1e3 + offset;
    char rev[ATTRIB_TIMELINE_DUMPS + 1][PATH_MAX + 64];
    for (int k = 0; k < picks; k++)
        snprintf(rev[k], sizeof rev[k], "%s", paths[picks - 1 - k]);
    HeapProf p[ATTRIB_TIMELINE_DUMPS + 1];
    HeapSyms s;
    if (!picks || load_all(rev, picks, p, &s, names, why, whylen) != 0) {
        if (!picks)
            snprintf(why, whylen, "no heap profiles in %s", dir);
        if (!given)
            samples_free(&loaded);
        return -1;
    }
    OutFile of;
    FILE *o = outfile_open_in(&of, dir, "stacks-over-time.csv", why, whylen);
    if (!o) {
        if (!given)
            samples_free(&loaded);
        free_all(p, picks, &s);
        return -1;
    }
    fprintf(o, "iteration,ms");
    for (int k = 0; k < n; k++)
        fprintf(o, ",%s", top[k].function);
    fputc('\n', o);
    StackGrowth *all = calloc(256, sizeof *all);
    for (int k = 0; all && k < picks; k++) {
        FoldedSet set;
        double total;
        heap_fold(&s, &p[picks - 1 - k], NULL, &set);
        int got = heap_charge(&set, all, 256, &total);
        heap_folded_free(&set);
        fprintf(o, "%.0f,%.0f", iter_at(smp, tc, at[k], offset), at[k]);
        for (int f = 0; f < n; f++)
            fprintf(o, ",%.0f", grown(all, got, top[f].function));
        fputc('\n', o);
    }
    if (!given)
        samples_free(&loaded);
    free_all(p, picks, &s);
    if (!all) {
        outfile_abort(&of);
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    free(all);
    return outfile_finish(&of, why, whylen) ? -1 : picks;
}

/* The bytes a heap profile says were live (its header: "  t*: 33: 1357507 [0: 0]"), or -1. */
static double final_bytes(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[256];
    double objects, bytes = -1;
    for (int i = 0; f && i < 3 && fgets(line, sizeof line, f); i++)
        if (sscanf(line, " t*: %lf: %lf", &objects, &bytes) == 2)
            break;
    if (f)
        fclose(f);
    return bytes;
}

int attrib_could_hold(double bytes, double period, double least)
{
    return bytes > 0 && bytes + 2.33 * sqrt(bytes * (period > 1 ? period : 1)) >= least;
}

int attrib_child_final(const char *dir, int pid, int finer, long iters, double least, HeapNames *names,
                       StackGrowth *out, int max, char *why, size_t whylen)
{
    char path[PATH_MAX + 64], largest[PATH_MAX + 64];
    final_profile(dir, pid, path, sizeof path, largest, sizeof largest); /* the child's, at its exit */
    if (!path[0] && finer) /* a finer re-run (RUN/attrib): its processes have other pids */
        snprintf(path, sizeof path, "%s", largest);
    if (!path[0]) {
        snprintf(why, whylen, "process %d wrote no heap profile at its exit (killed, or it never exited)",
                 pid);
        return 0;
    }
    char paths[1][PATH_MAX + 64];
    snprintf(paths[0], sizeof paths[0], "%s", path);
    HeapProf p;
    HeapSyms s;
    if (load_all(paths, 1, &p, &s, names, why, whylen) != 0)
        return -1;
    FoldedSet set;
    heap_fold(&s, &p, NULL, &set);
    StackGrowth *all = calloc(256, sizeof *all);
    double total = 0, period = p.period;
    int n = all ? heap_charge(&set, all, 256, &total) : 0;
    heap_folded_free(&set);
    free_all(&p, 1, &s);
    qsort(all, (size_t)n, sizeof all[0], cmp_bytes);
    int kept = 0;
    for (int i = 0; i < n && kept < max && attrib_could_hold(all[i].bytes, period, least); i++) {
        out[kept] = all[i];
        out[kept].bytes_per_iter = all[i].bytes / (double)(iters > 0 ? iters : 1);
        out[kept].share = total > 0 ? all[i].bytes / total : 0;
        out[kept].one_profile = 0;
        kept++;
    }
    free(all);
    if (!kept)
        snprintf(
            why, whylen,
            "no stack held %.0f bytes or more at the exit of process %d (%s; within the sampling error of "
            "a profile sampled every %.0f bytes)",
            least, pid, path_last(path), period);
    return kept;
}
