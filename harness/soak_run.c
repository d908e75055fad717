/* soak_run.c - `soak [options]`: the stages in their order. Plans the matrix (plan.h),
 * runs it (runner.h) judging each run as it ends (judge.h), names what grew (a run again,
 * sampled finer, when its profiles hold too few samples), compares with the baseline
 * (baseline.h), then concludes and renders (soak_finish, commands.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baseline.h"
#include "commands.h"
#include "judge.h"
#include "options.h"
#include "plan.h"
#include "render.h"
#include "runner.h"
#include "summary_load.h"
#include "target.h"
#include "util.h"

static volatile sig_atomic_t g_stop; /* the signal that asked us to stop */

static void on_signal(int sig)
{
    g_stop = sig;
}

/* Judging, as each run ends. */
static void judge_ended(Run *r, void *ctx)
{
    const Options *o = ctx;
    run_evaluate(r, &o->tol);
}

/* Runs r again into RUN/attrib sampled every 2^lg bytes, then names its stacks from there. */
static void refine_attribution(const Options *o, Run *r, long lg, HeapNames *names)
{
    Run *again = malloc(sizeof *again);
    if (!again)
        return;
    *again = *r;
    again->heap = NULL; /* what r owns stays r's */
    again->command = again->excerpt = again->py_folded = again->py_interpreter = NULL;
    again->samples_csv = again->timeline_csv = NULL;
    again->samples = NULL;
    if ((size_t)snprintf(again->dir, sizeof again->dir, "%s/attrib", r->dir) >= sizeof again->dir ||
        mkdir_p(again->dir) != 0) {
        free(again);
        return;
    }
    Options finer = *o;
    finer.prof_sample = lg;
    fprintf(stderr,
            "%s: %s: its profiles hold too few samples to name what grew; running it again sampled every "
            "%ld bytes (RUN/attrib)\n",
            program_invocation_short_name, r->name, 1L << lg);
    Runner rn = {&finer, &g_stop, judge_ended, &finer};
    int rc = runner_one(&rn, again);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/sample-period.txt", again->dir);
    run_release(again);
    free(again);
    if (rc != 0)
        return;
    FILE *p = fopen(path, "w");
    if (p) {
        fprintf(p, "%ld\n", 1L << lg);
        fclose(p);
    }
    run_attribute(r, names);
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
        fprintf(stderr, "%s: --baseline %s\n", program_invocation_short_name, err);
        return 2;
    }
    if (!baseline_shared(b, runs, n)) {
        fprintf(stderr,
                "%s: --baseline %s: it has no run of this soak (same mode, count, resume and fault): "
                "nothing could be compared; take a baseline of the same matrix\n",
                program_invocation_short_name, o->baseline);
        json_decref(b);
        return 2;
    }
    *out = b;
    return 0;
}

/* One soak: its options, its plan's runs and what it concludes, passed explicitly. */
typedef struct Soak {
    Options o;
    Run runs[PLAN_MAX_RUNS];
    SoakResult res;
    HeapNames *names; /* what addr2line said of the addresses of the runs' programs */
} Soak;

/* Runs runs[0..n): for a program of one's own each mode's smallest run first, then the rest
 * with time limits and the soak's cost from their pace (plan_pilots, plan_pace), longest
 * first; a run clearly past --timeout is left not started. */
static void run_paced(const Options *o, const Runner *rn, Run *runs, int n)
{
    int k = plan_pilots(o, runs, n);
    if (!k) {
        plan_longest_first(o, runs, n); /* (plan_pilots may have moved some) */
        runner_all(rn, runs, n);
        return;
    }
    runner_all(rn, runs, k);
    Run *rest = runs + k;
    int m = n - k, skipped = g_stop ? 0 : plan_pace(o, runs, k, rest, m);
    for (int i = 0, last = m - 1; skipped && i < last; i++) /* those not started to the end */
        if (rest[i].cause == CAUSE_WONT_FIT) {
            Run t = rest[i];
            rest[i--] = rest[last];
            rest[last--] = t;
        }
    plan_longest_first(o, rest, m - skipped);
    runner_all(rn, rest, m - skipped);
}

/* Runs the planned runs[0..*n), then the longer ones that decide a mode (plan_longer) and
 * the controls (plan_controls, a too short one again), attributes what grew, and puts them in
 * canonical order with the controls after the runs. *n: all of them; returns how many are runs. */
static int run_all(const Options *o, const char *out, const Runner *rn, Run *runs, int *n_io,
                   HeapNames *names)
{
    int n = *n_io;
    run_paced(o, rn, runs, n);
    for (int round = 0, k; round < o->longer && !g_stop; round++) { /* decide, or run longer */
        if ((k = plan_longer(o, out, runs, n, PLAN_MAX_RUNS - n)) <= 0)
            break;
        runner_all(rn, runs + n, k);
        n += k;
    }
    int nc = g_stop ? 0 : plan_controls(o, out, runs, n, runs + n, PLAN_MAX_RUNS - n);
    if (nc > 0) { /* each mode must catch a growth the probe plants */
        runner_all(rn, runs + n, nc);
        int again = 0; /* a control too short to judge: once more, twice as long */
        for (int i = n; i < n + nc && n + nc + again < PLAN_MAX_RUNS && !g_stop; i++)
            again += plan_control_longer(o, out, &runs[i], &runs[n + nc + again]) == 0;
        if (again)
            runner_all(rn, runs + n + nc, again);
        n += nc + again;
    }
    for (int i = 0; i < n; i++)
        run_attribute(&runs[i], names);
    for (int i = 0; i < n && !g_stop; i++) {
        long lg;
        if (run_needs_finer(&runs[i], runs, n, o->prof_sample, &lg))
            refine_attribution(o, &runs[i], lg, names);
    }
    qsort(runs, (size_t)n, sizeof runs[0], run_cmp_canonical);
    *n_io = n;
    return runs_split_controls(runs, n);
}

static int soak(int argc, char **argv, Soak *s);

int soak_main(int argc, char **argv)
{
    Soak *s = calloc(1, sizeof *s);
    if (!s) {
        fprintf(stderr, "%s: out of memory\n", program_invocation_short_name);
        return 1;
    }
    s->names = heapnames_new();
    int rc = soak(argc, argv, s);
    heapnames_free(s->names);
    free(s);
    return rc;
}

static int soak(int argc, char **argv, Soak *s)
{
    Options *o = &s->o;
    Run *runs = s->runs;
    SoakResult *res = &s->res;
    int rc = options_parse(argc, argv, o);
    const char *prog = path_last(argv[0]);
    if (!rc && o->version) {
        printf("%s %s\n", prog, FLATMEM_VERSION);
        return 0;
    }
    if (rc || o->help) {
        if (o->help)
            options_usage(stdout, prog);
        return rc;
    }
    char outbuf[PATH_MAX];
    soak_default_out(outbuf, sizeof outbuf, "");
    const char *out = o->out ? o->out : outbuf;
    o->out = out;
    if (mkdir_p(out) != 0 || access(out, W_OK) != 0) {
        fprintf(stderr, "%s: --out %s: cannot create or write there: %s\n", program_invocation_short_name,
                out, strerror(errno));
        return 2;
    }
    int n = plan_runs(o, out, runs);
    json_t *baseline = NULL;
    if (n < 0 || target_check(o, runs, n) || (o->history && hist_check_db(o->history)) ||
        load_baseline(o, runs, n, &baseline))
        return 2;
    plan_longest_first(o, runs, n);
    *res = (SoakResult){.runs = runs,
                        .n_runs = n,
                        .tol = o->tol,
                        .expect_faults = o->expect_faults,
                        .strict_leaks = o->strict_leaks,
                        .annotate = o->annotate,
                        .base = {.path = o->baseline,
                                 .doc = baseline,
                                 .peak_pct = o->base_peak_pct,
                                 .time_pct = o->base_time_pct}};
    snprintf(res->config, sizeof res->config, "%s", o->config);
    if (o->cmd)
        snprintf(res->command, sizeof res->command, "%s%s%s", o->cmd, o->load ? " | load: " : "",
                 o->load ? o->load : "");
    env_capture(&res->env, o->build);
    env_write_txt(&res->env, out, o->build);
    if (o->n_resume && runner_prepare_resume(o, out) != 0)
        return 1;
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (o->shard_n && strcmp(o->shard_source, "option"))
        fprintf(stderr, "%s: shard %ld/%ld from %s (%s)\n", program_invocation_short_name, o->shard_k,
                o->shard_n, o->shard_source, o->shard_how);
    res->shard_k = o->shard_k, res->shard_n = o->shard_n;
    snprintf(res->shard_source, sizeof res->shard_source, "%s", o->shard_source);
    fprintf(stderr, "%s: %d runs (%s workload, %ld at a time, budget %ld MiB per run) -> %s\n",
            program_invocation_short_name, n, o->config, o->jobs, o->budget_mb, out);
    double t0 = now_s();
    Runner rn = {o, &g_stop, judge_ended, o};
    int k = run_all(o, out, &rn, runs, &n, s->names); /* the runs, longer ones, controls: k of n are runs */
    res->runs = runs, res->n_runs = k;
    res->controls = runs + k, res->n_controls = n - k;
    runs_timelines(runs, k, s->names);
    res->interrupted = g_stop != 0;
    res->wall_s = now_s() - t0;
    runs_arena_sites(runs, k);
    if (baseline)
        baseline_compare(baseline, res);
    rc = soak_finish(res, out, o->templates, o->history);
    runs_release(runs, n);
    json_decref(baseline);
    return g_stop ? 128 + g_stop : rc;
}
