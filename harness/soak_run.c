/* soak_run.c - `soak [options]`: plans the matrix of runs, starts them (longest first, up
 * to --jobs at once), watches them, then concludes and renders (commands.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "verdict.h"
#include "judge.h"
#include "commands.h"
#include "options.h"
#include "progress.h"
#include "render.h"
#include "summary_load.h"
#include "cmdrun.h"
#include "spawn.h"
#include "sysmem.h"
#include "target.h"
#include "util.h"

#define MAX_RUNS (2 * MAX_ITERS * MODE_COUNT * MAX_FAULTS)

static volatile sig_atomic_t g_stop; /* the signal that asked us to stop */

static void on_signal(int sig)
{
    g_stop = sig;
}

/* ---- what each run runs ------------------------------------------------------------------ */

static double expected_s(const Run *r, void *ctx)
{
    const Options *o = ctx;
    return o->wl->ms[r->mode] * (double)(r->iters - r->resume_from) / 1e3;
}

static CmdSampler g_samplers[MAX_RUNS]; /* --cmd runs: the soak samples them (cmdrun.h) */

static int start(const Options *o, Run *r, CmdSampler *cs)
{
    Launch l;
    target_launch(o, r, &l);
    cmdrun_prepare(r);
    if (spawn_run(r, &l.argv, (const char *const *)l.env.v, l.env.n) != 0)
        return -1;
    /* what jeprof reads symbols from, and what could not be measured */
    char prog[PATH_MAX], note[PATH_MAX + 256], path[PATH_MAX + 16];
    target_program(o, r, prog, sizeof prog);
    target_limits(o, r, note, sizeof note);
    static const char *const files[] = {"program.txt", "notes.txt"};
    const char *texts[] = {prog, note};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s", r->dir, files[i]);
        FILE *f = fopen(path, "w");
        if (f) {
            fprintf(f, "%s%s", texts[i], texts[i][0] ? "\n" : "");
            fclose(f);
        }
    }
    return target_is_cmd(o) ? cmdrun_start(cs, r, o->step_regex) : 0;
}

/* ---- the matrix -------------------------------------------------------------------------- */

/* One run of the canonical matrix (fault, mode, count; fresh before resumed). */
static int plan_run(const Options *o, const char *out, Run *r, int fault, Mode mode, long iters,
                    long resume_from)
{
    memset(r, 0, sizeof *r);
    r->mode = mode;
    r->iters = iters;
    r->resume_from = resume_from;
    snprintf(r->fault, sizeof r->fault, "%s", o->faults[fault]);
    snprintf(r->config, sizeof r->config, "%s", o->config);
    int len =
        snprintf(r->name, sizeof r->name, "%s-%ld%s", mode_name(mode), iters, resume_from ? "-resume" : "");
    if (strcmp(r->fault, "none"))
        snprintf(r->name + len, sizeof r->name - (size_t)len, "-%s", r->fault);
    if ((size_t)snprintf(r->dir, sizeof r->dir, "%s/runs/%s", out, r->name) >= sizeof r->dir) {
        fprintf(stderr, "soak: --out %s: path too long\n", out);
        return -1;
    }
    r->budget_bytes = (uint64_t)o->budget_mb << 20;
    r->verdict = V_NOT_RUN;
    snprintf(r->detail, sizeof r->detail, "not started");
    return 0;
}

/* The runs of this soak (of its shard). Returns how many, or -1 after a message. */
static int plan_runs(const Options *o, const char *out, Run *runs)
{
    int n = 0, index = 0;
    for (int f = 0; f < o->n_faults; f++)
        for (int m = 0; m < o->n_modes; m++)
            for (int i = 0; i < o->n_iters + o->n_resume; i++, index++) {
                if (o->shard_n && index % o->shard_n != o->shard_k - 1)
                    continue;
                int resumed = i >= o->n_iters;
                long iters = resumed ? o->resume_iters[i - o->n_iters] : o->iters[i];
                if (plan_run(o, out, &runs[n++], f, o->modes[m], iters, resumed ? WORKLOAD_RESUME_FROM : 0) !=
                    0)
                    return -1;
            }
    if (!n)
        fprintf(stderr, "soak: shard %ld/%ld of %d runs is empty\n", o->shard_k, o->shard_n, index);
    return n ? n : -1;
}

/* OUT/resume-from.ckpt, the checkpoint resumed runs start from: the native build trains
 * the workload WORKLOAD_RESUME_FROM iterations. 0, or -1 after a message. */
static int prepare_resume(const Options *o, const char *out)
{
    static Argv a;
    a.n = 0;
    char prog[PATH_MAX], log[PATH_MAX + 32];
    target_plain_program(o, prog, sizeof prog);
    argv_add(&a, "%s", prog);
    for (int i = 0; o->wl->args[i]; i++)
        argv_add(&a, "%s", o->wl->args[i]);
    argv_add(&a, "%d", WORKLOAD_RESUME_FROM);
    argv_add(&a, "--quiet");
    argv_add(&a, "--save");
    argv_add(&a, "%s/resume-from.ckpt", out);
    if (o->data) {
        argv_add(&a, "--data");
        argv_add(&a, "%s", o->data);
    }
    snprintf(log, sizeof log, "%s/resume-from.log", out);
    if (argv_run(&a, log, log, 0) != 0) {
        fprintf(
            stderr,
            "soak: the checkpoint for resumed runs could not be made (%s, %d iterations; its output: %s)\n",
            prog, WORKLOAD_RESUME_FROM, log);
        return -1;
    }
    return 0;
}

/* ---- running it ------------------------------------------------------------------------- */

static int cmp_longest_first(const void *a, const void *b, void *ctx)
{
    double x = expected_s(a, ctx), y = expected_s(b, ctx);
    return (x < y) - (x > y);
}

/* The watchdog's look at one running run: did it end, or must it be stopped? Returns 1
 * when it ended (and was recorded). */
static int watch(const Options *o, Run *r, CmdSampler *cs)
{
    int status;
    struct rusage ru;
    if (wait4(r->pid, &status, WNOHANG, &ru) == r->pid) {
        spawn_finished(r, status, &ru);
        if (target_is_cmd(o))
            cmdrun_finish(cs, r, WIFEXITED(status) && WEXITSTATUS(status) == 0);
        run_evaluate(r, &o->tol);
        return 1;
    }
    if (target_is_cmd(o))
        cmdrun_tick(cs, r);
    uint64_t rss = sysmem_rss_of((int)r->pid);
    r->peak_rss_bytes = rss > r->peak_rss_bytes ? rss : r->peak_rss_bytes;
    double limit = o->timeout_s ? o->timeout_s : 120.0 + 5.0 * expected_s(r, (void *)o);
    if (rss > r->budget_bytes)
        spawn_kill(r, KILL_BUDGET);
    else if (now_s() - r->t_start > limit)
        spawn_kill(r, KILL_TIMEOUT);
    return 0;
}

/* Starts and watches the runs until all are done or a signal asks to stop. */
static void run_all(const Options *o, Run *runs, int n)
{
    Progress p;
    progress_start(&p, n, (int)o->jobs, expected_s, (void *)o);
    int next = 0, running = 0, done = 0;
    while (done < n && !g_stop) {
        for (; running < o->jobs && next < n; next++) {
            if (start(o, &runs[next], &g_samplers[next]) == 0) {
                running++;
                continue;
            }
            runs[next].state = RUN_DONE;
            runs[next].verdict = verdict_unstarted();
            snprintf(runs[next].detail, sizeof runs[next].detail, "could not be started (see stderr)");
            done++;
        }
        for (int i = 0; i < n; i++)
            if (runs[i].state == RUN_RUNNING && watch(o, &runs[i], &g_samplers[i])) {
                running--;
                done++;
                progress_finished(&p, &runs[i]);
            }
        progress_tick(&p, runs, n);
        /* a program of one's own is sampled by the soak: look more often */
        nanosleep(&(struct timespec){0, (target_is_cmd(o) ? 5 : 50) * 1000 * 1000}, NULL);
    }
}

/* ---- naming what grew, when the profiles hold too few samples ------------------------------ */

/* jemalloc samples one allocation every 2^prof_sample bytes: a growth of less than a few
 * dozen samples names its place by chance, or not at all (80 KB in 128 KiB samples). For
 * the GROWING jemalloc run of each build with the largest count whose stacks are missing
 * or drawn from fewer than ATTRIB_MIN_SAMPLES samples, the same command is run once more
 * into RUN/attrib/, sampled finely enough that its growth holds about 32 samples (2^L
 * bytes, L at least 10); its profiles then name the place (attrib_source_dir). */
#define ATTRIB_MIN_SAMPLES 16.0

static int needs_finer(const Options *o, const Run *r, const Run *runs, int n, long *lg)
{
    if (!mode_spec(r->mode)->heap_profiles || r->verdict != V_GROWING || r->resume_from || r->an.worst < 0)
        return 0;
    for (int i = 0; i < n; i++) /* the largest such run of its build only */
        if (&runs[i] != r && runs[i].mode == r->mode && runs[i].verdict == V_GROWING &&
            !runs[i].resume_from && !strcmp(runs[i].fault, r->fault) && runs[i].iters > r->iters)
            return 0;
    double period = (double)(1L << o->prof_sample);
    if (r->n_stacks && r->stacks[0].bytes >= ATTRIB_MIN_SAMPLES * period)
        return 0;
    /* only a growth of the heap shows in heap profiles: not the arena's or the tape's use of
     * what they hold already, not pages */
    const char *name = r->an.series[r->an.worst].name;
    if (strncmp(name, "mem.", 4) && strncmp(name, "persistent.", 11) && strcmp(name, "jemalloc.allocated"))
        return 0;
    double growth = r->an.series[r->an.worst].growth;
    long l = 10;
    while (l + 1 < o->prof_sample - 1 && (double)(1L << (l + 1)) * 32.0 <= growth)
        l++;
    *lg = l;
    return l < o->prof_sample - 1 && growth > 0;
}

/* Runs r again into RUN/attrib sampled every 2^lg bytes, then names its stacks from there. */
static void refine_attribution(const Options *o, Run *r, long lg)
{
    static Run again;
    static CmdSampler cs;
    again = *r;
    snprintf(again.dir, sizeof again.dir, "%s/attrib", r->dir);
    if (mkdir_p(again.dir) != 0)
        return;
    Options finer = *o;
    finer.prof_sample = lg;
    fprintf(stderr,
            "soak: %s: its profiles hold too few samples to name what grew; running it again sampled every "
            "%ld bytes (RUN/attrib)\n",
            r->name, 1L << lg);
    if (start(&finer, &again, &cs) != 0)
        return;
    while (!watch(&finer, &again, &cs) && !g_stop)
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    if (g_stop)
        return;
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/sample-period.txt", again.dir);
    FILE *p = fopen(path, "w");
    if (p) {
        fprintf(p, "%ld\n", 1L << lg);
        fclose(p);
    }
    run_attribute(r);
}

/* After SIGINT/SIGTERM: the running runs are stopped and recorded as interrupted. */
static void stop_all(const Options *o, Run *runs, int n)
{
    fprintf(stderr, "\nsoak: %s: stopping the running runs; finished runs are kept\n",
            g_stop == SIGINT ? "interrupted" : "terminated");
    for (int i = 0; i < n; i++)
        if (runs[i].state == RUN_RUNNING) {
            spawn_kill(&runs[i], KILL_INTERRUPT);
            int status;
            struct rusage ru;
            wait4(runs[i].pid, &status, 0, &ru);
            spawn_finished(&runs[i], status, &ru);
            if (target_is_cmd(o))
                cmdrun_finish(&g_samplers[i], &runs[i], 0);
            run_evaluate(&runs[i], &o->tol);
        }
}

/* The baseline, loaded and checked to share a run with this soak. 0, or 2 after a message. */
static int load_baseline(const Options *o, const Run *runs, int n, json_t **out)
{
    char err[1024];
    *out = NULL;
    if (!o->baseline)
        return 0;
    json_t *b = summary_load(o->baseline, err, sizeof err);
    if (!b) {
        fprintf(stderr, "soak: --baseline %s\n", err);
        return 2;
    }
    if (!baseline_shared(b, runs, n)) {
        fprintf(stderr,
                "soak: --baseline %s: it has no run of this soak (same mode, count, resume and fault): "
                "nothing could be compared; take a baseline of the same matrix\n",
                o->baseline);
        json_decref(b);
        return 2;
    }
    *out = b;
    return 0;
}

int soak_main(int argc, char **argv)
{
    static Options o;
    static Run runs[MAX_RUNS];
    int rc = options_parse(argc, argv, &o);
    if (rc || o.help) {
        if (o.help)
            options_usage(stdout);
        return rc;
    }
    char outbuf[PATH_MAX];
    soak_default_out(outbuf, sizeof outbuf, "");
    const char *out = o.out ? o.out : outbuf;
    o.out = out;
    if (mkdir_p(out) != 0 || access(out, W_OK) != 0) {
        fprintf(stderr, "soak: --out %s: cannot create or write there: %s\n", out, strerror(errno));
        return 2;
    }
    int n = plan_runs(&o, out, runs);
    json_t *baseline = NULL;
    if (n < 0 || target_check(&o, runs, n) || load_baseline(&o, runs, n, &baseline))
        return 2;
    qsort_r(runs, (size_t)n, sizeof runs[0], cmp_longest_first, &o); /* the long pole starts at once */
    static SoakResult res;
    res = (SoakResult){
        .runs = runs,
        .n_runs = n,
        .tol = o.tol,
        .expect_faults = o.expect_faults,
        .strict_leaks = o.strict_leaks,
        .annotate = o.annotate,
        .base = {
            .path = o.baseline, .doc = baseline, .peak_pct = o.base_peak_pct, .time_pct = o.base_time_pct}};
    snprintf(res.config, sizeof res.config, "%s", o.config);
    env_capture(&res.env, o.build);
    env_write_txt(&res.env, out, o.build);
    if (o.n_resume && prepare_resume(&o, out) != 0)
        return 1;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fprintf(stderr, "soak: %d runs (%s workload, %ld at a time, budget %ld MiB per run) -> %s\n", n, o.config,
            o.jobs, o.budget_mb, out);
    double t0 = now_s();
    run_all(&o, runs, n);
    if (g_stop)
        stop_all(&o, runs, n);
    for (int i = 0; i < n; i++)
        run_attribute(&runs[i]);
    for (int i = 0; i < n && !g_stop; i++) {
        long lg;
        if (needs_finer(&o, &runs[i], runs, n, &lg))
            refine_attribution(&o, &runs[i], lg);
    }
    runs_timelines(runs, n);
    res.interrupted = g_stop != 0;
    res.wall_s = now_s() - t0;
    qsort(runs, (size_t)n, sizeof runs[0], run_cmp_canonical);
    if (baseline)
        baseline_compare(baseline, &res);
    rc = soak_finish(&res, out, o.templates);
    json_decref(baseline);
    return g_stop ? 128 + g_stop : rc;
}
