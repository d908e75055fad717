#include "cmdrun.h"

#include <errno.h>
#include <dirent.h>
#include <sys/stat.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "columns.h"
#include "modes.h"
#include "outfile.h"
#include "paths.h"
#include "sysmem.h"
#include "util.h"

static uint64_t now_ns(void)
{
    return (uint64_t)(now_s() * 1e9);
}

static FILE *open_in(const Run *r, const char *name, const char *how)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    return fopen(path, how);
}

void cmdrun_prepare(const Run *r)
{
    /* an earlier soak's into the same folder: its process tree and its finer re-run (whose
     * heap profiles would otherwise name this run's growth) */
    static const char *const folders[] = {"procs", "attrib"};
    for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/%s", r->dir, folders[i]);
        if (remove_tree(path) != 0)
            fprintf(stderr, "%s: %s: an earlier soak's folder cannot be removed\n",
                    program_invocation_short_name, path);
    }
    DIR *d = opendir(r->dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        static const char *const stale[] = {
            "steps.csv",   "probe.csv",    "malloc.csv",      "dumps.csv",      "span.csv",
            "fds.txt",     "load.txt",     "load-stderr.txt", "procs.csv",      "procs-names.txt",
            "mmaps.csv",   "mappings.csv", "maps.txt",        "jeprof.",        "growth.",
            "pydumps.csv", "pytrace.",     "python.txt",      "pygrowth.",      "stacks-over-time.csv",
            "preload.txt", "control.csv",  "fdops.csv",       "descriptors.csv"};
        for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++)
            if (!strncmp(e->d_name, stale[i], strlen(stale[i]))) {
                char path[PATH_MAX + 300];
                snprintf(path, sizeof path, "%s/%s", r->dir, e->d_name);
                unlink(path);
            }
    }
    if (d)
        closedir(d);
}

int cmdrun_start(CmdSampler *c, const Run *r, const char *step_regex, int service)
{
    memset(c, 0, sizeof *c);
    c->step_file = service ? "load.txt" : "stdout.txt";
    c->rss = open_in(r, "rss.csv", "w");
    c->steps = step_regex ? open_in(r, "steps.csv", "a") : NULL;
    c->have_regex = step_regex && regcomp(&c->regex, step_regex, REG_EXTENDED) == 0;
    c->next_s = r->t_start;
    c->probe_mapped = -1;
    if (mode_spec(r->mode)->preload_cmd != PRELOAD_NONE) { /* whether its tool reached it (preload.txt) */
        char path[PATH_MAX];
        target_probe_library(path, sizeof path);
        if (!realpath(path, c->probe)) /* as /proc/PID/maps names it (an installed tool's bin/../lib) */
            snprintf(c->probe, sizeof c->probe, "%s", path);
    }
    if (!c->rss || (step_regex && (!c->steps || !c->have_regex))) {
        fprintf(stderr, "%s: %s: cannot write its samples\n", program_invocation_short_name, r->dir);
        return -1;
    }
    return 0;
}

/* Pss of /proc/PID/smaps_rollup in bytes, 0 when unreadable. */
static uint64_t pss_of(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
    FILE *f = fopen(path, "r");
    uint64_t kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Pss:", 4))
            kb = strtoull(line + 4, NULL, 10);
    if (f)
        fclose(f);
    return kb * 1024;
}

/* New complete lines of stdout.txt: each that matches the regex ends a step. */
static void read_steps(CmdSampler *c, const Run *r)
{
    FILE *f = open_in(r, c->step_file, "r");
    if (!f)
        return;
    char line[4096];
    if (fseek(f, 0, SEEK_END) == 0 && ftell(f) < c->out_seen)
        c->out_seen = 0; /* written afresh (a service's load.txt when its load starts) */
    fseek(f, c->out_seen, SEEK_SET);
    while (fgets(line, sizeof line, f)) {
        size_t len = strlen(line);
        if (line[len - 1] != '\n' && !feof(f))
            continue; /* longer than the buffer: not a step line */
        if (line[len - 1] != '\n')
            break; /* not complete yet: read it next time */
        c->out_seen += (long)len;
        regmatch_t m[2];
        if (regexec(&c->regex, line, 2, m, 0) == 0 && m[1].rm_so >= 0) {
            c->last_step = strtol(line + m[1].rm_so, NULL, 10);
            fprintf(c->steps, "%llu,%ld\n", (unsigned long long)now_ns(), c->last_step);
        }
    }
    fflush(c->steps);
    fclose(f);
}

/* Whether the steps have gone on by a 64th of the run since the last sample: a program
 * (or a service's load) that does a quarter of its steps in a burst between two samples
 * by the clock still gets samples in that quarter, about 14 after warm-up even when the
 * soak itself was held up for a moment on a busy machine (with a 32nd, a service's 10000
 * requests once had fewer than 3 samples in two spans). Reads the step lines every 5 ms. */
static int steps_due(CmdSampler *c, const Run *r, double t)
{
    if (!c->have_regex || r->iters < 64 || t < c->next_read_s)
        return 0;
    c->next_read_s = t + 0.005;
    read_steps(c, r);
    return c->last_step - c->sampled_step >= r->iters / 64;
}

/* 1 when /proc/PID/maps maps the file path, 0 when not, -1 when it cannot be read or is
 * empty (a process exiting, a zombie: no look at all, not a look that found nothing). */
static int maps_hold(int pid, const char *path)
{
    char name[64], line[PATH_MAX + 128];
    snprintf(name, sizeof name, "/proc/%d/maps", pid);
    FILE *f = fopen(name, "r");
    if (!f)
        return -1;
    int found = 0, lines = 0;
    while (!found && fgets(line, sizeof line, f))
        found = strstr(line, path) != NULL, lines++;
    fclose(f);
    return lines ? found : -1;
}

void cmdrun_tick(CmdSampler *c, const Run *r)
{
    double t = now_s();
    if (t < c->next_s && !steps_due(c, r, t))
        return;
    /* every 2 ms at first, then more and more rarely, at most 100 ms apart: about 50 rows
     * even for a run of a quarter of a second; from its first step again (a loop behind a
     * long start-up, an interpreter's imports, gets as many) */
    struct stat st;
    char marks[PATH_MAX + 16];
    snprintf(marks, sizeof marks, "%s/steps.csv", r->dir);
    if (!c->loop_s && !r->service && stat(marks, &st) == 0 && st.st_size > 0)
        c->loop_s = t;
    double age = t - (c->loop_s ? c->loop_s : r->t_start);
    c->next_s = t + fmin(0.1, fmax(0.002, age / 50.0));
    uint64_t rss = sysmem_rss_of((int)r->pid), t_ns = now_ns();
    if (!rss)
        return; /* gone: nothing to read */
    fprintf(c->rss, "%llu,%llu,%llu,%ld,%ld,%ld,%lld\n", (unsigned long long)t_ns, (unsigned long long)rss,
            (unsigned long long)pss_of((int)r->pid), sysmem_fds_of((int)r->pid),
            sysmem_threads_of((int)r->pid), sysmem_maps_of((int)r->pid), sysmem_wait_ns_of((int)r->pid));
    fflush(c->rss);
    /* the tree, measured at the same moment (a tool's own short-lived helper at exit, LSan's,
     * is one look: not counted as the program's children) */
    c->children += procs_tick(&c->procs, r->dir, (int)r->pid, t_ns) > 0;
    if (c->have_regex)
        read_steps(c, r);
    c->sampled_step = c->last_step;
    int mapped = c->probe[0] && (c->looks < 20 || c->looks % 10 == 0) ? maps_hold((int)r->pid, c->probe) : -1;
    if (mapped >= 0) /* the program as it runs now, after any exec */
        c->probe_mapped = mapped;
    c->looks++;
}

/* ---- the merge ---------------------------------------------------------------------------- */

typedef struct Table {
    double *v; /* rows x cols */
    size_t rows, cols;
} Table;

/* Reads a CSV of numbers with `cols` fields per line (t_ns first), sorted by t_ns. */
static Table read_table(const Run *r, const char *name, size_t cols)
{
    Table t = {NULL, 0, cols};
    FILE *f = open_in(r, name, "r");
    size_t cap = 0;
    char line[512];
    while (f && fgets(line, sizeof line, f)) {
        if (t.rows == cap) {
            double *bigger = realloc(t.v, (cap = cap ? 2 * cap : 256) * cols * sizeof *t.v);
            if (!bigger)
                break;
            t.v = bigger;
        }
        char *p = line;
        size_t k = 0;
        for (; k < cols && *p && *p != '\n'; k++, p += *p == ',')
            t.v[t.rows * cols + k] = strtod(p, &p);
        t.rows += k == cols;
    }
    if (f)
        fclose(f);
    return t;
}

static int cmp_first(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The last row of t (sorted) taken at or before time ns, or -1. */
static long row_before(const Table *t, double ns)
{
    long lo = 0, hi = (long)t->rows - 1, best = -1;
    while (lo <= hi) {
        long mid = (lo + hi) / 2;
        if (t->v[mid * (long)t->cols] <= ns) {
            best = mid;
            lo = mid + 1;
        } else
            hi = mid - 1;
    }
    return best;
}

/* The tables the probe library and the soak wrote for a run; tree: the sums over the
 * process tree at each look that saw one ("t_ns,processes,uss,pss"). */
typedef struct Tables {
    Table rss, steps, probe, malloc, span, procs, tree;
} Tables;

/* The span of the program's own time, [*t0, *t_end] in ns: from the probe's marks
 * (span.csv: its start-up begun, its exit) when there, else from the spawn to the last
 * sample. A tool's start-up (valgrind's seconds) and its leak check at exit are outside;
 * so is what follows the last step a program marked (its exit: an interpreter's teardown
 * frees its objects for tens of milliseconds, which would read as the last step's memory).
 * Returns 1 when the end was marked. */
static int program_span(const Run *r, const Tables *tb, double *t0, double *t_end)
{
    const Table *rss = &tb->rss, *span = &tb->span;
    int marked = 0;
    *t0 = r->t_start * 1e9;
    *t_end = rss->v[(rss->rows - 1) * rss->cols];
    double load[2] = {NAN, NAN}; /* a service's load: its start and end (service.h) */
    for (size_t i = 0; i < span->rows; i++) {
        int what = (int)span->v[i * 2 + 1];
        if (what == 0) {
            *t0 = span->v[i * 2];
        } else if (what == 1 && span->v[i * 2] > *t0) {
            *t_end = span->v[i * 2];
            marked = 1;
        } else if (what == 2 || what == 3) {
            load[what - 2] = span->v[i * 2];
        }
    }
    const Table *st = &tb->steps;
    if (st->rows && !r->service && (!marked || st->v[(st->rows - 1) * 2] < *t_end)) {
        *t_end = st->v[(st->rows - 1) * 2];
        marked = 1;
    }
    if (!isnan(load[0]) && !isnan(load[1])) { /* a service is judged over its load, by request */
        *t0 = load[0];
        *t_end = load[1];
        marked = 1;
    }
    return marked;
}

/* The program's own time at t (ns): t less what it had waited, runnable, for a core by
 * then (rss.csv's last column, read between two looks as a straight line, from 0 at the
 * spawn); t itself where the kernel keeps no such figure. A program given half the cores
 * for a while takes twice as long over those steps: by its own time, its steps are placed
 * where they ran (two runs at once on 2 cores placed a kept 1 KiB a step at 747 by the
 * wall's time). */
static double own_time(const Run *r, const Tables *tb, double t)
{
    const Table *rss = &tb->rss;
    if (!rss->rows || rss->v[6] < 0)
        return t;
    long i = row_before(rss, t);
    double t_a = r->t_start * 1e9, w_a = 0, t_b, w_b;
    if (i >= 0)
        t_a = rss->v[i * rss->cols], w_a = rss->v[i * rss->cols + 6];
    if ((size_t)(i + 1) >= rss->rows)
        return w_a >= 0 ? t - w_a : t; /* after the last look: no more is known */
    t_b = rss->v[(i + 1) * rss->cols], w_b = rss->v[(i + 1) * rss->cols + 6];
    if (w_a < 0 || w_b < 0)
        return t;
    return t - (t_b > t_a ? w_a + (w_b - w_a) * (t - t_a) / (t_b - t_a) : w_b);
}

/* The iteration a reading taken at t (ns) is placed at: a running process's seconds, the
 * last step that had ended, or its share of the program's own time. */
static double iter_at(const Run *r, const Tables *tb, double t)
{
    double t0, t_end;
    program_span(r, tb, &t0, &t_end);
    if (r->attached)
        return fmin((double)r->iters, round((t - r->t_start * 1e9) / 1e9));
    if (tb->steps.rows) {
        long s = row_before(&tb->steps, t);
        return s < 0 ? 0 : tb->steps.v[s * 2 + 1];
    }
    double o0 = own_time(r, tb, t0), span = own_time(r, tb, t_end) - o0;
    return fmin((double)r->iters,
                fmax(1, round((double)r->iters * (own_time(r, tb, t) - o0) / fmax(1, span))));
}

/* "value" or "" (not read: -1, NAN) after a comma. */
static void put_value(FILE *f, double v)
{
    if (v >= 0)
        fprintf(f, ",%.0f", v);
    else
        fputc(',', f);
}

static void write_row(FILE *f, const Run *r, const Tables *tb, size_t i)
{
    const Table *rss = &tb->rss, *probe = &tb->probe, *tree = &tb->tree;
    size_t w = rss->cols;
    double t = rss->v[i * w];
    fprintf(f, "%.0f,%.6f,%.0f,%.0f", iter_at(r, tb, t), (t - r->t_start * 1e9) / 1e9, rss->v[i * w + 1],
            rss->v[i * w + 2]);
    long p = row_before(probe, t), m = row_before(&tb->malloc, t);
    for (size_t k = 1; k < 6; k++)
        if (p >= 0)
            fprintf(f, ",%.0f", probe->v[p * 6 + k]);
        else
            fputc(',', f);
    if (m >= 0)
        fprintf(f, ",%.0f", tb->malloc.v[m * 2 + 1]);
    else
        fputc(',', f);
    for (size_t k = 3; k < 6; k++) /* descriptors, threads, mappings: -1 when unreadable */
        put_value(f, rss->v[i * w + k]);
    long k = row_before(tree, t); /* the tree at this same look, if it had one */
    int same = k >= 0 && tree->v[k * 4] == t;
    for (size_t c = 1; c < 4; c++)
        put_value(f, same ? tree->v[k * 4 + c] : -1);
    fputc('\n', f);
}

/* The sums over the tree at each look (procs.csv rows of one t_ns): processes, private
 * and proportional memory. procs sorted by time. */
static Table tree_sums(const Table *procs)
{
    Table t = {calloc(procs->rows ? procs->rows : 1, 4 * sizeof(double)), 0, 4};
    for (size_t i = 0; t.v && i < procs->rows; i++) {
        const double *p = procs->v + i * procs->cols; /* t_ns,pid,rss,uss,pss,fds,threads */
        if (!t.rows || t.v[(t.rows - 1) * 4] != p[0]) {
            double *row = t.v + t.rows++ * 4;
            row[0] = p[0];
        }
        double *row = t.v + (t.rows - 1) * 4;
        row[1] += 1;
        row[2] += p[3];
        row[3] += p[4];
    }
    return t;
}

static int cmp_pid_time(const void *a, const void *b)
{
    const double *x = a, *y = b; /* t_ns,pid,... */
    if (x[1] != y[1])
        return (x[1] > y[1]) - (x[1] < y[1]);
    return (x[0] > y[0]) - (x[0] < y[0]);
}

/* Each member's own series, RUN/procs/PID.csv in the samples format (its readings within
 * the program's span), for judging to name the process that grows. Sorts procs by pid. */
static void write_members(const Run *r, const Tables *tb, Table *procs, int marked, double t0, double t_end)
{
    char dir[PATH_MAX + 16], path[PATH_MAX + 48];
    snprintf(dir, sizeof dir, "%s/procs", r->dir);
    if (!procs->rows || mkdir_p(dir) != 0)
        return;
    qsort(procs->v, procs->rows, procs->cols * sizeof *procs->v, cmp_pid_time);
    FILE *f = NULL;
    double pid = -1;
    for (size_t i = 0; i < procs->rows; i++) {
        const double *p = procs->v + i * procs->cols;
        if (p[1] != pid) {
            if (f)
                fclose(f);
            pid = p[1];
            snprintf(path, sizeof path, "%s/%.0f.csv", dir, pid);
            f = fopen(path, "w");
            if (f)
                fprintf(f, "%s,%s,%s,%s,%s,%s\n", COL_ITER, COL_TIME, COL_RSS, COL_USS, COL_FDS, COL_THREADS);
        }
        if (!f || (marked && (p[0] > t_end || (r->service && p[0] < t0))))
            continue;
        fprintf(f, "%.0f,%.6f,%.0f,%.0f", iter_at(r, tb, p[0]), (p[0] - r->t_start * 1e9) / 1e9, p[2], p[3]);
        put_value(f, p[5]);
        put_value(f, p[6]);
        fputc('\n', f);
    }
    if (f)
        fclose(f);
}

/* The probe's mmaps.csv ("t_ns,made,addr,len[,frames]") placed at iterations, into
 * RUN/mappings.csv ("iter,made,addr,len[,frames]"): what judging replays to charge the
 * mappings that grew (mapattrib.h); its fdops.csv so into RUN/descriptors.csv (the
 * descriptors left open). Events after the program's exit mark are left out. */
static void write_placed(const Run *r, const Tables *tb, int marked, double t_end, const char *from,
                         const char *to)
{
    FILE *in = open_in(r, from, "r"), *out = in ? open_in(r, to, "w") : NULL;
    char line[2048];
    while (out && fgets(line, sizeof line, in)) {
        char *rest = NULL;
        double t = strtod(line, &rest);
        if (!rest || *rest != ',' || (marked && t > t_end))
            continue;
        fprintf(out, "%.0f%s", iter_at(r, tb, t), rest);
    }
    if (out)
        fclose(out);
    if (in)
        fclose(in);
}

void cmdrun_note(const Run *r, const char *line)
{
    FILE *f = open_in(r, "notes.txt", "a");
    if (f) {
        fprintf(f, "%s\n", line);
        fclose(f);
    }
}

static void write_notes(CmdSampler *c, const Run *r, const Table *steps)
{
    FILE *f = open_in(r, "notes.txt", "a");
    if (!f)
        return;
    if (c->children >= 3)
        fprintf(f,
                "the program started child processes: each is measured (procs/), their private memory summed "
                "(tree.uss_bytes); a child's heap figures and heap profiles are not (the probe acts in the "
                "process the soak started)\n");
    if (!steps->rows && r->service)
        fprintf(f, "no step marks: samples are placed by time over the load (give --step-regex for its "
                   "progress lines, or mark requests with include/flatmem.h in the server)\n");
    else if (!steps->rows && !r->attached)
        fprintf(f, "no step marks: samples are placed by time (give --step-regex, or mark steps with "
                   "include/flatmem.h)\n");
    fclose(f);
}

void cmdrun_finish(CmdSampler *c, const Run *r, int exited_ok)
{
    (void)exited_ok;
    if (c->probe_mapped >= 0) { /* the judge's evidence that the mode's tool was loaded (blind) */
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/preload.txt", r->dir);
        FILE *p = fopen(path, "w");
        if (p) {
            fprintf(p, "probe_mapped=%d\n", c->probe_mapped);
            fclose(p);
        }
    }
    if (c->have_regex && c->steps)
        read_steps(c, r); /* the lines written after the last look */
    if (c->rss)
        fclose(c->rss);
    if (c->steps)
        fclose(c->steps);
    if (c->have_regex)
        regfree(&c->regex);
    procs_close(&c->procs);
    Tables tb = {read_table(r, "rss.csv", 7),
                 read_table(r, "steps.csv", 2),
                 read_table(r, "probe.csv", 6),
                 read_table(r, "malloc.csv", 2),
                 read_table(r, "span.csv", 2),
                 read_table(r, "procs.csv", 7),
                 {NULL, 0, 4}};
    Table *all[] = {&tb.rss,    &tb.steps, &tb.probe,
                    &tb.malloc, &tb.span,  &tb.procs}; /* by time: two writers append */
    for (size_t k = 0; k < 6; k++)
        if (all[k]->rows)
            qsort(all[k]->v, all[k]->rows, all[k]->cols * sizeof *all[k]->v, cmp_first);
    tb.tree = tree_sums(&tb.procs);
    double t0, t_end;
    /* not what the soak read of an exiting process (its threads ended, its descriptors
     * closed) or of a tool's work after it (memcheck's leak check) */
    int marked = tb.rss.rows ? program_span(r, &tb, &t0, &t_end) : 0;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/samples.csv", r->dir);
    OutFile of;
    FILE *f = tb.rss.rows ? outfile_open(&of, path) : NULL;
    if (f) {
        fprintf(f, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", COL_ITER, COL_TIME, COL_RSS, COL_PSS,
                COL_JE_ALLOCATED, COL_JE_ACTIVE, COL_JE_RESIDENT, COL_JE_MAPPED, COL_JE_RETAINED,
                COL_MALLOC_IN_USE, COL_FDS, COL_THREADS, COL_MAPS, COL_TREE_PROCESSES, COL_TREE_USS,
                COL_TREE_PSS);
        for (size_t i = 0; i < tb.rss.rows; i++) {
            double t = tb.rss.v[i * tb.rss.cols];
            if (!marked || (t <= t_end && (!r->service || t >= t0)))
                write_row(f, r, &tb, i);
        }
        if (outfile_commit(&of) != 0)
            fprintf(stderr, "%s: %s: cannot be written\n", program_invocation_short_name, path);
    }
    if (tb.rss.rows) {
        write_members(r, &tb, &tb.procs, marked, t0, t_end);
        write_placed(r, &tb, marked, t_end, "mmaps.csv", "mappings.csv");
        write_placed(r, &tb, marked, t_end, "fdops.csv", "descriptors.csv");
    }
    write_notes(c, r, &tb.steps);
    free(tb.procs.v);
    free(tb.tree.v);
    free(tb.rss.v);
    free(tb.steps.v);
    free(tb.probe.v);
    free(tb.malloc.v);
    free(tb.span.v);
}
