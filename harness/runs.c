#include "runs.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "runjson.h"
#include "samples.h"
#include "util.h"
#include "diagnosis.h"

static const char *const k_kills[] = {"none", "budget", "timeout", "interrupt"};

/* ---- run.txt ---------------------------------------------------------------------------- */

typedef enum FactKind { F_MODE, F_LONG, F_INT, F_STR, F_KILL, F_DOUBLE, F_U64 } FactKind;

static const struct {
    const char *key;
    FactKind kind;
    size_t offset, size;
    int required;
} k_facts[] = {
#define FACT(key, kind, field, req)                                     \
    {                                                                   \
        key, kind, offsetof(Run, field), sizeof(((Run *)0)->field), req \
    }
    FACT("mode", F_MODE, mode, 1),
    FACT("iterations", F_LONG, iters, 1),
    FACT("resume_from", F_LONG, resume_from, 0),
    FACT("fault", F_STR, fault, 0),
    FACT("config", F_STR, config, 0),
    FACT("exit_code", F_INT, exit_code, 1),
    FACT("signal", F_INT, signal, 0),
    FACT("killed", F_KILL, killed, 0),
    FACT("wall_s", F_DOUBLE, wall_s, 0),
    FACT("peak_rss_bytes", F_U64, peak_rss_bytes, 0),
    FACT("budget_bytes", F_U64, budget_bytes, 0),
#undef FACT
};
#define N_FACTS (sizeof k_facts / sizeof k_facts[0])

int run_write_facts(const Run *r)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/run.txt", r->dir);
    OutFile of;
    FILE *f = outfile_open(&of, path);
    if (!f)
        return -1;
    fprintf(
        f,
        "mode=%s\niterations=%ld\nresume_from=%ld\nfault=%s\nconfig=%s\nexit_code=%d\nsignal=%d\nkilled=%s\n"
        "wall_s=%.3f\npeak_rss_bytes=%llu\nbudget_bytes=%llu\n",
        mode_name(r->mode), r->iters, r->resume_from, r->fault, r->config, r->exit_code, r->signal,
        k_kills[r->killed], r->wall_s, (unsigned long long)r->peak_rss_bytes,
        (unsigned long long)r->budget_bytes);
    return outfile_commit(&of);
}

/* Stores value v of fact k into r; 0 when v is not a value of its kind. */
static int set_fact(Run *r, size_t k, const char *v)
{
    char *dst = (char *)r + k_facts[k].offset;
    long l;
    switch (k_facts[k].kind) {
    case F_MODE: return mode_parse(v, (Mode *)dst);
    case F_LONG: return parse_long(v, 0, 1000000000L, (long *)dst);
    case F_INT: return parse_long(v, -1, 255, &l) ? (*(int *)dst = (int)l, 1) : 0;
    case F_STR: return (size_t)snprintf(dst, k_facts[k].size, "%s", v) < k_facts[k].size;
    case F_DOUBLE: return parse_double(v, 0, 1e12, (double *)dst);
    case F_U64: return (*(uint64_t *)dst = strtoull(v, NULL, 10), 1);
    case F_KILL:
        for (int i = 0; i < 4; i++)
            if (!strcmp(v, k_kills[i]))
                return (*(Kill *)dst = (Kill)i, 1);
        return 0;
    }
    return 0;
}

int run_read_facts(Run *r, const char *dir, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    const char *base = strrchr(dir, '/');
    snprintf(r->name, sizeof r->name, "%s", base ? base + 1 : dir);
    snprintf(r->fault, sizeof r->fault, "none");
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/run.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[512];
    unsigned seen = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        for (size_t k = 0; k < N_FACTS; k++)
            if (!strcmp(line, k_facts[k].key) && set_fact(r, k, eq + 1))
                seen |= 1u << k;
    }
    fclose(f);
    for (size_t k = 0; k < N_FACTS; k++)
        if (k_facts[k].required && !(seen & 1u << k)) {
            snprintf(err, errlen, "%s: incomplete (no valid %s)", path, k_facts[k].key);
            return -1;
        }
    r->state = RUN_DONE;
    return 0;
}

/* ---- evidence and the reason in words ------------------------------------------------------ */

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGXFSZ: return "SIGXFSZ (file size limit: is the disk full?)";
    default: return "signal";
    }
}

/* The last line of the run's stderr.txt (where programs say why they stop), into out. */
static void last_stderr_line(const Run *r, char *out, size_t cap)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/stderr.txt", r->dir);
    char *text = read_file(path, 1 << 20, NULL), *end = text ? text + strlen(text) : NULL;
    while (end && end > text && (end[-1] == '\n' || end[-1] == ' '))
        *--end = 0;
    const char *line = end ? end : "";
    while (end && line > text && line[-1] != '\n')
        line--;
    snprintf(out, cap, "%s", line);
    free(text);
}

/* "mem.heap_bytes grows 1.0 bytes/iteration (...); tape.entries; top site fault.leak (...)" */
static void growing_detail(Run *r)
{
    const SeriesResult *w = &r->an.series[r->an.worst];
    int len = snprintf(r->detail, sizeof r->detail, "%s grows %.1f bytes/iteration (%.0f bytes over the run)",
                       w->name, w->slope, w->growth);
    for (int i = 0; i < r->an.n_series && len < (int)sizeof r->detail - 64; i++)
        if (r->an.series[i].growing && i != r->an.worst)
            len += snprintf(r->detail + len, sizeof r->detail - (size_t)len, "; %s", r->an.series[i].name);
    if (r->n_sites && len < (int)sizeof r->detail - 48)
        snprintf(r->detail + len, sizeof r->detail - (size_t)len, "; top site %s (%.1f bytes/iteration)",
                 r->sites[0].site, r->sites[0].score);
}

static void word_detail(Run *r, RunCause why, const char *samples_err, size_t bad_rows)
{
    unsigned long long at = (unsigned long long)r->iter_reached;
    char first[200];
    switch (why) {
    case CAUSE_BUDGET:
        snprintf(r->detail, sizeof r->detail,
                 "stopped by the watchdog at %.1f MiB (budget %.0f MiB) at iteration %llu",
                 (double)r->peak_rss_bytes / MIB, (double)r->budget_bytes / MIB, at);
        break;
    case CAUSE_TIMEOUT:
        snprintf(r->detail, sizeof r->detail, "stopped after %.0f s at iteration %llu", r->wall_s, at);
        break;
    case CAUSE_INTERRUPT: snprintf(r->detail, sizeof r->detail, "interrupted at iteration %llu", at); break;
    case CAUSE_FINDING:
        if ((size_t)snprintf(r->detail, sizeof r->detail, "%s %s: %s%s%s", r->finding.tool, r->finding.kind,
                             r->finding.message, r->finding.n_frames ? " at " : "",
                             r->finding.n_frames ? r->finding.frames[0] : "") >= sizeof r->detail)
            r->detail[sizeof r->detail - 1] = 0; /* cut: the whole report is in the run's log */
        break;
    case CAUSE_SIGNAL:
        snprintf(r->detail, sizeof r->detail, "killed by %s (%d) at iteration %llu", signal_name(r->signal),
                 r->signal, at);
        break;
    case CAUSE_EXIT:
        last_stderr_line(r, first, sizeof first);
        snprintf(r->detail, sizeof r->detail, "exit status %d at iteration %llu%s%s", r->exit_code, at,
                 first[0] ? ": " : "", first);
        break;
    case CAUSE_NO_SAMPLES:
        snprintf(r->detail, sizeof r->detail, "no samples could be read (%s)", samples_err);
        break;
    case CAUSE_BAD_SAMPLES:
        snprintf(r->detail, sizeof r->detail, "samples.csv is damaged: %zu rows could not be read", bad_rows);
        break;
    case CAUSE_SHORT:
        snprintf(r->detail, sizeof r->detail, "exited 0 but its samples end at iteration %llu of %ld", at,
                 r->iters);
        break;
    case CAUSE_UNJUDGED:
        if (r->an.n_short)
            snprintf(r->detail, sizeof r->detail,
                     "too short to judge: %zu samples after warm-up, %d needed (%d spans "
                     "of %d); give larger counts, or --step-regex / flatmem_step() marks",
                     r->an.min_rows, ANALYSIS_MIN_ROWS, ANALYSIS_SEGMENTS, ANALYSIS_MIN_POINTS);
        else
            snprintf(r->detail, sizeof r->detail,
                     "too short to judge: it ended (exit 0) before the soak could take "
                     "a sample after its warm-up (every 5 ms at first); give larger counts");
        break;
    case CAUSE_GROWING: growing_detail(r); break;
    case CAUSE_FLAT:
        snprintf(r->detail, sizeof r->detail, "%d series flat (%d judged)", r->an.n_series, r->an.n_judged);
        break;
    }
}

/* The first report of the tool that watched the run, if any. */
static void read_finding(Run *r)
{
    char path[PATH_MAX + 32];
    const ModeSpec *m = mode_spec(r->mode);
    snprintf(path, sizeof path, "%s/%s", r->dir, m->log);
    char *text = read_file(path, 4u << 20, NULL);
    r->has_finding = text && m->read_finding(text, &r->finding);
    r->leak_bytes = text ? finding_leak_bytes(text) : NAN;
    r->leak_objects = text ? finding_leak_objects(text) : NAN;
    free(text);
}

/* RUN/notes.txt (what could not be measured), its lines joined. */
static void read_note(Run *r)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/notes.txt", r->dir);
    char *text = read_file(path, sizeof r->note - 1, NULL);
    snprintf(r->note, sizeof r->note, "%s", text ? text : "");
    free(text);
    for (char *p = strchr(r->note, '\n'); p; p = strchr(p, '\n'))
        p[1] ? (void)(*p = ';') : (void)(*p = 0);
}

/* A program of one's own that exited 0 did its iterations: the last step it marked, or
 * (samples placed by time) the count. */
static uint64_t cmd_iterations_reached(const Run *r)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/steps.csv", r->dir);
    FILE *f = fopen(path, "r");
    double last = -1, t, s;
    while (f && fscanf(f, "%lf,%lf", &t, &s) == 2)
        last = s > last ? s : last;
    if (f)
        fclose(f);
    return last < 0 ? (uint64_t)r->iters : (uint64_t)fmax(last, (double)r->an.last_iter);
}

static void write_run_json(const Run *r)
{
    char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/run.json", r->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    json_t *o = run_to_json(r);
    if (o && json_dump_file(o, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(8)) == 0)
        rename(tmp, path);
    json_decref(o);
}

void run_reword_settled(Run *r)
{
    if (!r->settled_by)
        return;
    char rise[32];
    fmt_bytes(rise, sizeof rise, r->settled_bytes);
    snprintf(r->detail, sizeof r->detail,
             "%s rose %s in this run, then stops: flat after warm-up in the "
             "%ld-iteration run (growth that stops: a longer warm-up, a cache filling)",
             r->settled_series, rise, r->settled_by);
    write_run_json(r);
}

void run_attribute(Run *r)
{
    if (!mode_spec(r->mode)->heap_profiles || r->verdict != V_GROWING)
        return;
    char dir[PATH_MAX + 16];
    attrib_source_dir(r->dir, dir, sizeof dir);
    int n = attrib_jeprof(dir, r->iters, r->stacks, ATTRIB_MAX, r->stacks_why, sizeof r->stacks_why);
    r->n_stacks = n > 0 ? n : 0;
    if (r->n_stacks) {
        size_t len = strlen(r->detail);
        snprintf(r->detail + len, sizeof r->detail - len, "; top stack %s %s (%.1f bytes/iteration)",
                 r->stacks[0].function, r->stacks[0].where, r->stacks[0].bytes_per_iter);
    }
    write_run_json(r);
}

/* train.json's median time per iteration, or NAN. */
static double read_ms_per_iter(const Run *r)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/train.json", r->dir);
    json_t *doc = json_load_file(path, 0, NULL);
    json_t *v = json_object_get(doc, "ms_per_iter_median");
    double ms = json_is_number(v) ? json_number_value(v) : NAN;
    json_decref(doc);
    return ms;
}

void run_evaluate(Run *r, const Tolerance *t)
{
    char path[PATH_MAX + 32], err[256] = "";
    Samples s;
    snprintf(path, sizeof path, "%s/samples.csv", r->dir);
    int have_samples = samples_load(&s, path, err, sizeof err) == 0;
    size_t bad_rows = have_samples ? s.bad_rows : 0, rows = have_samples ? s.nrows : 0;
    memset(&r->an, 0, sizeof r->an);
    r->an.worst = -1;
    r->an.peak_rss = NAN;
    if (have_samples) {
        analyze_run(&s, (uint64_t)r->iters, t, mode_spec(r->mode)->judges_memory, &r->an);
        samples_free(&s);
    }
    r->iter_reached = r->an.last_iter;
    int is_cmd = !strcmp(r->config, "cmd");
    if (is_cmd && r->exit_code == 0 && !r->signal && r->killed == KILL_NONE)
        r->iter_reached = cmd_iterations_reached(r); /* with samples or without: it ran to its end */
    read_note(r);
    if (r->an.peak_rss > (double)r->peak_rss_bytes && r->an.peak_rss < 1e18)
        r->peak_rss_bytes = (uint64_t)r->an.peak_rss;
    read_finding(r);
    r->ms_per_iter = read_ms_per_iter(r);
    RunEvidence e = {.killed = r->killed,
                     .has_finding = r->has_finding,
                     .signal = r->signal,
                     .exit_code = r->exit_code,
                     .have_samples = have_samples,
                     .n_series = r->an.n_series,
                     .bad_rows = bad_rows,
                     .iter_reached = r->iter_reached,
                     .iters = r->iters,
                     .growing = r->an.growing,
                     .n_judged = r->an.n_judged,
                     .n_short = r->an.n_short,
                     .rows = have_samples ? rows : 0,
                     .is_cmd = is_cmd,
                     .judges_memory = mode_spec(r->mode)->judges_memory};
    RunCause why;
    r->verdict = verdict_run(&e, &why);
    r->n_sites = 0;
    if (why == CAUSE_GROWING) { /* which sites of the event log grow (native, jemalloc) */
        snprintf(path, sizeof path, "%s/events.bin", r->dir);
        EvRange ra = {0, 0}, rb = {0, 0};
        int n = evlog_growth(path, &ra, &rb, r->sites, RUN_MAX_SITES, err, sizeof err);
        r->n_sites = n > 0 ? n : 0;
    }
    r->n_stacks = 0;
    r->stacks_why[0] = 0;
    r->one_time_leak = 0;
    r->settled_by = 0;
    r->kind = verdict_kind(r);
    word_detail(r, why, err, bad_rows);
    write_run_json(r);
}

/* ---- sets of runs -------------------------------------------------------------------------- */

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

int runs_load(const char *dir, Run *runs, int max, const Tolerance *t, char *err, size_t errlen)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/runs", dir);
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "%s: %s (not a soak output folder?)", path, strerror(errno));
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.')
            continue;
        char rdir[PATH_MAX + 300], why[512];
        snprintf(rdir, sizeof rdir, "%s/%s", path, e->d_name);
        if (run_read_facts(&runs[n], rdir, why, sizeof why) != 0) {
            fprintf(stderr, "soak: skipping %s\n", why);
            continue;
        }
        run_evaluate(&runs[n], t);
        run_attribute(&runs[n]);
        n++;
    }
    closedir(d);
    qsort(runs, (size_t)n, sizeof runs[0], run_cmp_canonical);
    runs_timelines(runs, n);
    return n;
}

void runs_timelines(const Run *runs, int n)
{
    for (int i = 0; i < n; i++) {
        const Run *r = &runs[i], *best = r;
        for (int j = 0; j < n; j++) /* the largest GROWING jemalloc run with stacks, per build */
            if (!strcmp(runs[j].fault, r->fault) && mode_spec(runs[j].mode)->heap_profiles &&
                runs[j].n_stacks &&
                (!mode_spec(best->mode)->heap_profiles || !best->n_stacks || runs[j].iters > best->iters))
                best = &runs[j];
        char path[PATH_MAX + 64], why[PATH_MAX], dir[PATH_MAX + 16];
        attrib_source_dir(r->dir, dir, sizeof dir);
        snprintf(path, sizeof path, "%s/stacks-over-time.csv", dir);
        if (best == r && mode_spec(r->mode)->heap_profiles && r->n_stacks && access(path, R_OK) != 0 &&
            attrib_timeline(dir, r->stacks, r->n_stacks, why, sizeof why) < 0)
            fprintf(stderr, "soak: %s: no memory over time for its stacks: %s\n", r->name, why);
    }
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
