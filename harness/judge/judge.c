#include "judge.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib.h"
#include "pyattrib.h"
#include "columns.h"
#include "evlog.h"
#include "facts.h"
#include "fileio.h"
#include "fdwatch.h"
#include "findings.h"
#include "mapattrib.h"
#include "samples.h"
#include "util.h"
#include "verdict.h"

/* ---- evidence -------------------------------------------------------------------------------- */

/* The last line of the run's file name (stderr.txt: where programs say why they stop), into out. */
static void last_line_of(const Run *r, const char *name, char *out, size_t cap)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    char *text = read_file(path, 1 << 20, NULL), *end = text ? text + strlen(text) : NULL;
    while (end && end > text && (end[-1] == '\n' || end[-1] == ' '))
        *--end = 0;
    const char *line = end ? end : "";
    while (end && line > text && line[-1] != '\n')
        line--;
    snprintf(out, cap, "%s", line);
    free(text);
}

/* The last words a run that ended badly left (RunCause): its program's, or its load's. */
static void read_last_words(Run *r)
{
    r->last_words[0] = 0;
    switch (r->cause) {
    case CAUSE_NOT_READY:
    case CAUSE_SERVER_EXITED:
    case CAUSE_EXIT: last_line_of(r, "stderr.txt", r->last_words, sizeof r->last_words); break;
    case CAUSE_LOAD_FAILED:
        last_line_of(r, "load-stderr.txt", r->last_words, sizeof r->last_words);
        if (!r->last_words[0])
            last_line_of(r, "load.txt", r->last_words, sizeof r->last_words);
        break;
    default: break;
    }
}

/* The descriptors that grew most: what they are open on from the soak's looks (fds.txt),
 * where they were opened from memcheck's --track-fds report (memcheck_log, or NULL): its
 * largest group opened by the program's own code (named as it was when opened: a file
 * since renamed or deleted reads otherwise in /proc). */
static void read_fds(Run *r, const char *memcheck_log)
{
    FdGrowth tool = {.count = 0}, seen = {.count = 0};
    int by_tool = memcheck_log && finding_open_fds(memcheck_log, &tool);
    int by_watch = fdwatch_read(r->dir, &seen);
    memset(&r->fds, 0, sizeof r->fds);
    if (by_watch)
        r->fds = seen;
    else if (by_tool)
        r->fds = tool;
    if (by_tool)
        snprintf(r->fds.frame, sizeof r->fds.frame, "%s", tool.frame);
}

/* The first report of the tool that watched the run, if any. */
/* The first 14 lines of a tool log from the line of its report's headline, into a new
 * string (NULL when there is no report). */
static char *excerpt_of(const char *text, const Finding *f)
{
    const char *start = strstr(text, f->message);
    start = start ? start : text;
    while (start > text && start[-1] != '\n')
        start--;
    const char *p = start;
    for (int lines = 0; *p && lines < 14; p++)
        lines += *p == '\n';
    return strndup(start, (size_t)(p - start));
}

static void read_finding(Run *r)
{
    char path[PATH_MAX + 32];
    const ModeSpec *m = mode_spec(r->mode);
    snprintf(path, sizeof path, "%s/%s", r->dir, m->log);
    char *text = read_file(path, 4u << 20, NULL);
    int (*reader)(const char *, Finding *) =
        m->log_format == LOG_MEMCHECK ? finding_from_memcheck : finding_from_sanitizer;
    r->has_finding = text && reader(text, &r->finding);
    free(r->excerpt);
    r->excerpt = r->has_finding ? excerpt_of(text, &r->finding) : NULL;
    read_fds(r, m->log_format == LOG_MEMCHECK ? text : NULL);
    r->thread_creator[0] = 0;
    if (m->log_format == LOG_MEMCHECK && text)
        finding_thread_creator(text, r->thread_creator, sizeof r->thread_creator);
    r->leak_bytes = text ? finding_leak_bytes(text) : NAN;
    r->control_lost = text && r->control ? finding_leak_bytes_in(text, "flatmem_control_lose") : NAN;
    r->control_plants = 0;
    if (r->control) { /* how many times the probe planted: a line each (control.csv) */
        snprintf(path, sizeof path, "%s/control.csv", r->dir);
        char *lines = read_file(path, 64u << 20, NULL);
        for (const char *p = lines; p && *p; p++)
            r->control_plants += *p == '\n';
        free(lines);
    }
    r->leak_objects = text ? finding_leak_objects(text) : NAN;
    free(text);
}

/* RUN/notes.txt (what could not be measured), its lines joined. */
static void read_note(Run *r)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/notes.txt", r->dir);
    char *text = read_file(path, 4096, NULL);
    size_t n = 0;
    r->note[0] = 0;
    const char *line = text;
    while (line && *line && n + 1 < sizeof r->note) { /* its lines joined by "; " */
        size_t len = strcspn(line, "\n");
        if (len)
            n += (size_t)snprintf(r->note + n, sizeof r->note - n, "%s%.*s", n ? "; " : "", (int)len, line);
        line += len + (line[len] == '\n');
    }
    free(text);
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

/* Growth outside the heap: the mappings the program made itself that grew (mapattrib.h). */
static int pages_grow(const Run *r)
{
    return r->verdict == V_GROWING && (r->kind == KIND_NON_HEAP_GROWTH || r->kind == KIND_UNEXPLAINED_GROWTH);
}

/* Adds a line to the run's note (after "; "). */
__attribute__((format(printf, 2, 3))) static void note_add(Run *r, const char *fmt, ...)
{
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t len = strlen(r->note);
    snprintf(r->note + len, sizeof r->note - len, "%s%s", len ? "; " : "", line);
}

static int by_rate(const void *a, const void *b)
{
    const StackGrowth *x = a, *y = b;
    if (x->traced != y->traced)
        return x->traced - y->traced;
    return (x->bytes_per_iter < y->bytes_per_iter) - (x->bytes_per_iter > y->bytes_per_iter);
}

/* A Python program traced in the run (pyattrib.h): its lines that grew and the native
 * stacks of memory tracemalloc did not trace (a C extension's own malloc), by rate; then
 * the native stacks of memory it did trace, as evidence (the same memory seen from below).
 * Which native stack is which is told by its frames where they are named (tracemalloc's
 * hooks, NumPy's allocator), but an interpreter without symbols names its static
 * functions after their exported neighbours; so by the figures too: when what tracemalloc
 * traced is half the heap's growth or more (allowing for jemalloc's size classes, up to a
 * quarter more, and for its sampling), the native stacks are all its evidence. Returns how
 * many stacks r has now. */
static int python_lines(Run *r, const char *dir, int n_native)
{
    StackGrowth all[2 * ATTRIB_MAX];
    double traced;
    char why[200];
    int n = pyattrib(dir, r->iters, r->finer ? NULL : r->samples, all, ATTRIB_MAX, &traced, why, sizeof why);
    if (n <= 0) {
        note_add(r, "Python lines not named: %s", why);
        return n_native;
    }
    double heap = n_native && r->stacks[0].share > 0 ? r->stacks[0].bytes_per_iter / r->stacks[0].share : 0;
    int outside = heap > 2 * traced;
    for (int i = 0; i < n && outside; i++) /* a line's share of all the growth (else of the traced: exact) */
        all[i].share = all[i].bytes_per_iter / heap;
    for (int i = 0; i < n_native; i++) {
        all[n] = r->stacks[i];
        all[n++].traced |= !outside;
    }
    if (outside)
        note_add(
            r,
            "the heap grew %.0f bytes/iteration (jemalloc's profiles), tracemalloc traced %.0f: the rest is "
            "outside Python's allocators (a C extension's own), named by its native stacks",
            heap, traced);
    qsort(all, (size_t)n, sizeof all[0], by_rate);
    n = n < ATTRIB_MAX ? n : ATTRIB_MAX;
    memcpy(r->stacks, all, (size_t)n * sizeof all[0]);
    return n;
}

/* A jemalloc run's heap profiles, read and named once, into r->heap (NULL when it has
 * not two to compare; a message when they cannot be read). */
static void load_heap(Run *r, const char *dir, HeapNames *names, char *why, size_t whylen)
{
    heapmodel_free(r->heap);
    r->heap = NULL;
    const Samples *s = r->finer ? NULL : r->samples; /* a finer re-run's folder has its own */
    if (mode_spec(r->mode)->heap_profiles &&
        heapmodel_load(dir, r->iters, s, names, &r->heap, why, whylen) < 0)
        fprintf(stderr, "%s: %s: its heap profiles: %s\n", program_invocation_short_name, r->name, why);
}

void run_release(Run *r)
{
    heapmodel_free(r->heap);
    r->heap = NULL;
    free(r->command);
    free(r->excerpt);
    free(r->py_folded);
    free(r->py_interpreter);
    free(r->samples_csv);
    free(r->timeline_csv);
    r->command = r->excerpt = r->py_folded = r->py_interpreter = r->samples_csv = r->timeline_csv = NULL;
    if (r->samples)
        samples_free(r->samples);
    free(r->samples);
    r->samples = NULL;
}

/* RUN/command.txt's line (the run's command as it can be pasted into a shell). */
static void read_command(Run *r)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/command.txt", r->dir);
    free(r->command);
    r->command = read_file(path, 16384, NULL);
}

void runs_release(Run *runs, int n)
{
    for (int i = 0; i < n; i++)
        run_release(&runs[i]);
}

/* A traced Python program's growth for the outputs: pygrowth.collapsed, the span in
 * pygrowth.tsv's header, the interpreter (python.txt). */
static void read_python(Run *r, const char *dir)
{
    char path[PATH_MAX + 64];
    free(r->py_folded);
    free(r->py_interpreter);
    r->py_folded = r->py_interpreter = NULL;
    r->py_span = 0;
    if (!r->python_traced)
        return;
    snprintf(path, sizeof path, "%s/pygrowth.collapsed", dir);
    r->py_folded = read_file(path, 64u << 20, NULL);
    snprintf(path, sizeof path, "%s/pygrowth.tsv", dir);
    char *tsv = read_file(path, 4096, NULL);
    const char *sp = tsv ? strstr(tsv, " span=") : NULL; /* its header: "# ... span=17500" */
    r->py_span = sp ? fmax(1.0, strtod(sp + 6, NULL)) : 1.0;
    free(tsv);
    snprintf(path, sizeof path, "%s/python.txt", r->dir);
    r->py_interpreter = read_file(path, 1024, NULL);
    if (r->py_interpreter)
        r->py_interpreter[strcspn(r->py_interpreter, "\n")] = 0;
}

/* A child of the command grew (find_grower) and the command's own heap did not: the heap
 * profile the child wrote at its exit names what it held, when one stack there could hold
 * half the child's growth over the run or more (within the profile's sampling error); its
 * kind is then reachable-growth, the child's heap. n: what was named so far (0 or -1), else
 * the stacks named. */
static int child_heap(Run *r, const char *dir, int n, HeapNames *names)
{
    const char *p = strstr(r->grower, "(pid ");
    const SeriesResult *w = r->an.worst >= 0 ? &r->an.series[r->an.worst] : NULL;
    if (!r->grower_is_child || !p || !w || verdict_kind(r) != KIND_UNEXPLAINED_GROWTH)
        return n;
    char why[sizeof r->stacks_why];
    int m = attrib_child_final(dir, atoi(p + 5), r->finer, r->iters, 0.5 * w->slope * (double)r->iters, names,
                               r->stacks, ATTRIB_MAX, why, sizeof why);
    if (m <= 0) {
        snprintf(r->stacks_why, sizeof r->stacks_why, "%s", why);
        return n;
    }
    r->kind = KIND_REACHABLE_GROWTH;
    r->stacks_at_exit = 1;
    note_add(r, "named from the heap profile %s wrote at its exit (it held %.0f bytes there)", r->grower,
             r->stacks[0].bytes);
    return m;
}

void run_attribute(Run *r, HeapNames *names)
{
    char dir[PATH_MAX + 16], why[PATH_MAX + 256] = "";
    attrib_source_dir(r->dir, dir, sizeof dir);
    size_t dl = strlen(dir);
    r->finer = dl > 7 && !strcmp(dir + dl - 7, "/attrib");
    load_heap(r, dir, names, why, sizeof why);
    /* heap profiles name what holds heap memory: not descriptors, threads, processes (but a
     * control's planted blocks, whatever else its program leaks) */
    if (r->verdict == V_GROWING && r->kind == KIND_DESCRIPTOR_LEAK && !r->fds.frame[0]) {
        StackGrowth g[1];
        char fwhy[200];
        if (fdattrib(r->dir, r->iters, 0.1, g, 1, fwhy, sizeof fwhy) > 0) /* the probe's record */
            snprintf(r->fds.frame, sizeof r->fds.frame, "%.95s %.100s", g[0].function, g[0].where);
    }
    int profiles = mode_spec(r->mode)->heap_profiles && r->verdict == V_GROWING &&
                   (kind_family(r->kind) != FAM_RESOURCE || r->control);
    if (!profiles && !pages_grow(r))
        return;
    int n = 0;
    if (profiles && r->heap)
        n = attrib_heap(r->heap, r->stacks, ATTRIB_MAX, r->stacks_why, sizeof r->stacks_why);
    else if (profiles)
        snprintf(r->stacks_why, sizeof r->stacks_why, "%.199s", why);
    r->stacks_mapped = r->stacks_at_exit = 0;
    r->note[r->note_judged] = 0; /* what an earlier attribution noted (before a finer re-run) goes */
    if (n <= 0 && pages_grow(r)) { /* the heap did not grow: what mapped the pages? */
        char mwhy[200];
        int m = mapattrib(r->dir, r->iters, 0.1, r->stacks, ATTRIB_MAX, mwhy, sizeof mwhy);
        if (m > 0) {
            n = m;
            r->stacks_mapped = 1;
            r->stacks_why[0] = 0;
        } else if (!profiles) {
            snprintf(r->stacks_why, sizeof r->stacks_why, "%s", mwhy);
        }
    }
    /* a control's growth is the probe's, native by construction: its stacks, not lines of Python */
    r->python_traced = profiles && !r->control && pyattrib_traced(dir);
    if (r->python_traced) {
        n = python_lines(r, dir, n > 0 ? n : 0);
    }
    if (n <= 0 && profiles)
        n = child_heap(r, dir, n, names);
    else if (n > 0 && !r->stacks_mapped && r->kind == KIND_UNEXPLAINED_GROWTH && r->grower_is_child)
        r->kind = KIND_REACHABLE_GROWTH; /* the child's own dumps (at its step marks) name its heap */
    read_python(r, dir);
    r->n_stacks = n > 0 ? n : 0;
    if (r->n_stacks)
        r->stacks_why[0] = 0; /* named: an earlier attempt's reason is no longer one */
}

/* The process of a --cmd run's tree whose own series (RUN/procs/PID.csv) grow fastest, by
 * the rules of any run (judge_rss: the mode's): into r->grower ("worker (pid 123)"), ""
 * when none grows or the run had no tree. RUN/procs-names.txt ("pid ppid comm") names
 * them, the command's own first. A child that grows makes the run grow even when the
 * tree's sum does not show it steadily (a worker that ends before the command takes its
 * memory out of the sum at the end): its deciding series joins the run's as
 * tree.uss_bytes.member. */
static void find_grower(Run *r, const Tolerance *t, int judge_rss)
{
    char path[PATH_MAX + 32], comm[64];
    snprintf(path, sizeof path, "%s/procs-names.txt", r->dir);
    FILE *f = fopen(path, "r");
    int pid, ppid, first = 1;
    double best = 0;
    SeriesResult member;
    r->grower[0] = 0;
    while (f && fscanf(f, "%d %d %63s", &pid, &ppid, comm) == 3) {
        char file[PATH_MAX + 48], e[128];
        snprintf(file, sizeof file, "%s/procs/%d.csv", r->dir, pid);
        Samples s;
        RunAnalysis an;
        if (samples_load(&s, file, e, sizeof e) == 0) {
            analyze_run(&s, (uint64_t)r->iters, t, judge_rss, &an);
            samples_free(&s);
            double slope = an.growing && an.worst >= 0 ? an.series[an.worst].slope : 0;
            if (slope > best) {
                best = slope;
                snprintf(r->grower, sizeof r->grower, "%s (pid %d)", comm, pid);
                r->grower_is_child = !first;
                member = an.series[an.worst];
            }
        }
        first = 0;
    }
    if (f)
        fclose(f);
    if (r->grower[0] && r->grower_is_child && !r->an.growing && r->an.n_series < ANALYSIS_MAX_SERIES) {
        snprintf(member.name, sizeof member.name, "%s.member", COL_TREE_USS);
        r->an.worst = r->an.n_series;
        r->an.series[r->an.n_series++] = member;
        r->an.growing = 1;
    }
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

/* The count run r reached: its last sample's, unless it says more of itself. */
static uint64_t iterations_reached(const Run *r, int is_cmd)
{
    /* its load made every request: the count is the load's. Not the server's last step mark,
     * which can lag it: a request whose client hung up is counted when the server notices,
     * which may be after the load ended (serve's cut streams ended 2999 of 3000) */
    if (r->service && r->killed == KILL_NONE && r->load_exit == 0)
        return (uint64_t)r->iters;
    if (r->attached)
        return (uint64_t)r->iters; /* watched for its duration, or until it ended (noted) */
    if (is_cmd && r->exit_code == 0 && !r->signal && r->killed == KILL_NONE)
        return cmd_iterations_reached(r); /* with samples or without: it ran to its end */
    return r->an.last_iter;
}

/* RUN/samples.csv, read once: its text and its samples kept in the run for the charts.
 * 1, or 0 with why in err. */
static int read_samples(Run *r, Samples *s, char *err, size_t errlen)
{
    char path[PATH_MAX + 32], why[200];
    snprintf(path, sizeof path, "%s/samples.csv", r->dir);
    size_t len;
    memset(s, 0, sizeof *s);
    free(r->samples_csv);
    r->samples_csv = fileio_slurp(path, &len, err, errlen);
    if (!r->samples_csv)
        return 0;
    if (samples_parse(s, r->samples_csv, len, why, sizeof why) != 0) {
        if ((size_t)snprintf(err, errlen, "%s: %s", path, why) >= errlen)
            err[errlen - 1] = 0; /* cut */
        free(r->samples_csv);
        r->samples_csv = NULL;
        return 0;
    }
    return 1;
}

/* The run's samples s (NULL: none) analysed into r->an, and kept in r for the charts. */
static void analyze_and_keep(Run *r, Samples *s, const Tolerance *t, int judge_rss)
{
    if (r->samples) {
        samples_free(r->samples);
        free(r->samples);
        r->samples = NULL;
    }
    if (!s)
        return;
    analyze_run(s, (uint64_t)r->iters, t, judge_rss, &r->an);
    r->samples = malloc(sizeof *r->samples);
    if (r->samples)
        *r->samples = *s;
    else
        samples_free(s);
}

/* Whether the soak's probe (preloaded with the mode's tool) was missing from the program.
 * The end it marked in span.csv ("t_ns,1", written at exit by the image that holds it: a
 * wrapper that execs the program without it never reaches its exit) says it was there;
 * else the soak's last look at its maps (preload.txt: after any exec of a wrapper); else
 * whether it wrote span.csv at all (a run too short to be looked at). The end mark comes
 * first: a last look taken as the process ended once read the maps without it (a fresh-clone
 * make test called a plain LeakSanitizer run blind). */
static int probe_missing(const Run *r)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/span.csv", r->dir);
    char *span = read_file(path, 1 << 16, NULL);
    int ended = span && strstr(span, ",1\n") != NULL;
    free(span);
    if (ended)
        return 0;
    snprintf(path, sizeof path, "%s/preload.txt", r->dir);
    char *text = read_file(path, 256, NULL);
    int missing = text ? strstr(text, "probe_mapped=0") != NULL : -1;
    free(text);
    if (missing >= 0)
        return missing;
    snprintf(path, sizeof path, "%s/span.csv", r->dir);
    return access(path, F_OK) != 0;
}

/* What the verdict ladder (verdict.h) is given of run r. */
static RunEvidence evidence_of(const Run *r, int have_samples, size_t bad_rows, size_t rows, int is_cmd)
{
    /* a service stopped by the soak: SIGTERM, SIGKILL after the grace, are no crash */
    int stopped = r->service && (!strcmp(r->service_end, "stopped") || !strcmp(r->service_end, "killed"));
    int asked = stopped && (r->signal == SIGTERM || r->signal == SIGKILL);
    RunEvidence e = {.killed = r->killed,
                     .has_finding = r->has_finding,
                     .signal = asked ? 0 : r->signal,
                     .exit_code = asked ? 0 : r->exit_code,
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
                     .judges_memory = mode_spec(r->mode)->judges_memory,
                     .not_ready = r->service && !strcmp(r->service_end, "not-ready"),
                     .server_exited = r->service && !strcmp(r->service_end, "exited"),
                     .load_failed = stopped && (r->load_exit != 0 || r->load_signal),
                     .blind = is_cmd && !r->attached && mode_spec(r->mode)->preload_cmd != PRELOAD_NONE &&
                              probe_missing(r)};
    return e;
}

void run_evaluate(Run *r, const Tolerance *t)
{
    char path[PATH_MAX + 32], err[256] = "";
    Samples s;
    int have_samples = read_samples(r, &s, err, sizeof err);
    size_t bad_rows = have_samples ? s.bad_rows : 0, rows = have_samples ? s.nrows : 0;
    memset(&r->an, 0, sizeof r->an);
    r->an.worst = -1;
    r->an.peak_rss = NAN;
    /* a Python program traced (pyattrib.h): its resident memory holds the pages the tracer's
     * snapshots used, which the allocator keeps a while; charted, not judged (the native run
     * judges the program's as it is) */
    int traced = pyattrib_traced(r->dir), judge_rss = mode_spec(r->mode)->judges_memory && !traced;
    analyze_and_keep(r, have_samples ? &s : NULL, t, judge_rss);
    int is_cmd = !strcmp(r->config, "cmd");
    r->iter_reached = iterations_reached(r, is_cmd);
    if (is_cmd)
        find_grower(r, t, judge_rss);
    read_note(r);
    if (traced && mode_spec(r->mode)->judges_memory)
        note_add(r, "Python traced (tracemalloc): resident memory charted, not judged (it holds the pages of "
                    "the tracer's snapshots)");
    if (r->an.peak_rss > (double)r->peak_rss_bytes && r->an.peak_rss < 1e18)
        r->peak_rss_bytes = (uint64_t)r->an.peak_rss;
    read_finding(r);
    read_command(r);
    r->ms_per_iter = read_ms_per_iter(r);
    RunEvidence e = evidence_of(r, have_samples, bad_rows, rows, is_cmd);
    RunCause why;
    r->verdict = verdict_run(&e, &why);
    r->note_judged = strlen(r->note);
    r->cause = why;
    snprintf(r->samples_err, sizeof r->samples_err, "%s", err);
    r->bad_rows = bad_rows;
    read_last_words(r);
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
    if (why != CAUSE_GROWING)
        r->grower[0] = 0; /* named only where the run grows */
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
    HeapNames *names = heapnames_new(); /* the runs' programs are mostly one */
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.')
            continue;
        char rdir[PATH_MAX + 300], why[512];
        snprintf(rdir, sizeof rdir, "%s/%s", path, e->d_name);
        if (run_read_facts(&runs[n], rdir, why, sizeof why) != 0) {
            fprintf(stderr, "%s: skipping %s\n", program_invocation_short_name, why);
            continue;
        }
        run_evaluate(&runs[n], t);
        run_attribute(&runs[n], names);
        n++;
    }
    closedir(d);
    qsort(runs, (size_t)n, sizeof runs[0], run_cmp_canonical);
    runs_timelines(runs, n, names);
    heapnames_free(names);
    runs_arena_sites(runs, n);
    return n;
}

void runs_timelines(Run *runs, int n, HeapNames *names)
{
    for (int i = 0; i < n; i++) {
        Run *r = &runs[i];
        const Run *best = r;
        for (int j = 0; j < n; j++) /* the largest GROWING jemalloc run with stacks, per build */
            if (!strcmp(runs[j].fault, r->fault) && mode_spec(runs[j].mode)->heap_profiles &&
                runs[j].n_stacks &&
                (!mode_spec(best->mode)->heap_profiles || !best->n_stacks || runs[j].iters > best->iters))
                best = &runs[j];
        char path[PATH_MAX + 64], why[PATH_MAX], dir[PATH_MAX + 16];
        attrib_source_dir(r->dir, dir, sizeof dir);
        snprintf(path, sizeof path, "%s/stacks-over-time.csv", dir);
        StackGrowth native[ATTRIB_MAX]; /* a Python line (and what it holds) is no heap profile function */
        int k = 0;
        for (int s = 0; s < r->n_stacks; s++)
            if (!r->stacks[s].python && !r->stacks[s].traced)
                native[k++] = r->stacks[s];
        if (best == r && mode_spec(r->mode)->heap_profiles && k && access(path, R_OK) != 0 &&
            attrib_timeline(dir, r->finer ? NULL : r->samples, native, k, names, why, sizeof why) < 0)
            fprintf(stderr, "%s: %s: no memory over time for its stacks: %s\n", program_invocation_short_name,
                    r->name, why);
        free(r->timeline_csv); /* the chart's data, this soak's or an earlier one's */
        r->timeline_csv = r->n_stacks ? read_file(path, 1 << 20, NULL) : NULL;
    }
}

/* Arena bytes per complete iteration of each site in the event log events; its top sites
 * into r (at most 10). */
static void arena_sites_of(Run *r, const char *events)
{
    EvlogReader rd;
    char err[256];
    r->n_arena_sites = 0;
    if (evlog_reader_open(&rd, events, err, sizeof err) != 0)
        return;
    double *bytes = calloc(EVLOG_MAX_SITES, sizeof *bytes);
    EvlogRecord rec;
    uint64_t ended = 0, first = 0;
    while (bytes && evlog_next(&rd, &rec, err, sizeof err) == 1) {
        if (rec.kind == EV_ITER_END) {
            first = first ? first : rec.iter;
            ended = rec.iter;
        } else if (rec.kind == EV_ARENA_ALLOC && rec.iter > ended && rec.iter >= 1)
            bytes[rec.site] += (double)rec.bytes;
    }
    for (int k = 0; bytes && k < 10; k++) {
        int best = -1;
        for (int s = 0; s < EVLOG_MAX_SITES; s++)
            best = bytes[s] > 0 && (best < 0 || bytes[s] > bytes[best]) ? s : best;
        if (best < 0)
            break;
        snprintf(r->arena_sites[k].site, sizeof r->arena_sites[k].site, "%s",
                 evlog_site(&rd, (unsigned)best));
        r->arena_sites[k].bytes = bytes[best] / (double)(ended >= first && first ? ended - first + 1 : 1);
        r->n_arena_sites = k + 1;
        bytes[best] = 0;
    }
    free(bytes);
    evlog_reader_close(&rd);
}

void runs_arena_sites(Run *runs, int n)
{
    for (int i = 0; i < n; i++) {
        Run *r = &runs[i];
        int longest = !strcmp(r->fault, runs[0].fault);
        for (int j = 0; j < n && longest; j++)
            longest = runs[j].mode != r->mode || strcmp(runs[j].fault, r->fault) || runs[j].iters <= r->iters;
        for (int j = 0; j < i && longest; j++) /* the first of equal counts */
            longest = runs[j].mode != r->mode || strcmp(runs[j].fault, r->fault) || runs[j].iters != r->iters;
        char events[PATH_MAX + 32];
        snprintf(events, sizeof events, "%s/events.bin", r->dir);
        if (longest && access(events, R_OK) == 0)
            arena_sites_of(r, events);
        else
            r->n_arena_sites = 0;
    }
}

/* jemalloc samples one allocation every 2^prof_sample bytes: a growth of less than a few
 * dozen samples names its place by chance, or not at all (80 KB in 128 KiB samples). For
 * the GROWING jemalloc run of each build with the largest count whose stacks are missing
 * or drawn from fewer than ATTRIB_MIN_SAMPLES samples, the same command is run once more
 * into RUN/attrib/, sampled finely enough that its growth holds about 64 samples (2^L
 * bytes, L at least 9); its profiles then name the place (attrib_source_dir). */
#define ATTRIB_MIN_SAMPLES 16.0

int run_needs_finer(const Run *r, const Run *runs, int n, long prof_sample, long *lg)
{
    if (!mode_spec(r->mode)->heap_profiles || r->verdict != V_GROWING || r->resume_from || r->an.worst < 0)
        return 0;
    for (int i = 0; i < n && !r->control;
         i++) /* the largest such run of its build only (a control: its own) */
        if (&runs[i] != r && !runs[i].control && runs[i].mode == r->mode && runs[i].verdict == V_GROWING &&
            !runs[i].resume_from && !strcmp(runs[i].fault, r->fault) && runs[i].iters > r->iters)
            return 0;
    double period = (double)(1L << prof_sample);
    /* a child's heap (its exit's profile, or its own dumps at its step marks): its rate is
     * its stacks' bytes, read from ~256 samples */
    if (r->stacks_at_exit || (r->grower_is_child && r->n_stacks && !r->stacks_mapped)) {
        long l = 9;
        while (l + 1 < prof_sample - 1 && (double)(1L << (l + 1)) * 256.0 <= r->stacks[0].bytes)
            l++;
        *lg = l;
        return !r->finer && l < prof_sample - 1;
    }
    if (r->n_stacks && r->stacks[0].bytes >= ATTRIB_MIN_SAMPLES * period)
        return 0;
    /* only a growth of the heap shows in heap profiles: not the arena's or the tape's use of
     * what they hold already, not pages (a control's planted heap, whatever decided its run) */
    int heap = r->an.worst;
    for (int k = 0; r->control && k < r->an.n_series; k++)
        if (!strcmp(r->an.series[k].name, "jemalloc.allocated"))
            heap = k;
    const char *name = r->an.series[heap].name;
    if (strncmp(name, "mem.", 4) && strncmp(name, "persistent.", 11) && strcmp(name, "jemalloc.allocated"))
        return 0;
    /* about 64 samples in the growth: few enough samples that the rule "grown in each of
     * the last profiles" fails by chance now and then (32 samples of a 25 KB growth did,
     * once in many runs); never finer than 16 bytes (jemalloc's smallest class: a growth of
     * a few hundred bytes is then every allocation, which only a program that allocates
     * little besides can afford, and such a one it is) */
    double growth = r->an.series[heap].growth;
    long l = 4;
    while (l + 1 < prof_sample - 1 && (double)(1L << (l + 1)) * 64.0 <= growth)
        l++;
    *lg = l;
    return l < prof_sample - 1 && growth > 0;
}
