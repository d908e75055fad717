#include "runner.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "cmdrun.h"
#include "fdwatch.h"
#include "plan.h"
#include "progress.h"
#include "spawn.h"
#include "sysmem.h"
#include "target.h"
#include "tree.h"
#include "util.h"
#include "verdicts.h"
#include "workload.h"

/* What the soak watches of a running run: its samples (--cmd runs: cmdrun.h) and its
 * descriptors (every run: fdwatch.h). */
typedef struct Watch {
    CmdSampler cs;
    FdWatch *fds;
} Watch;

static Watch g_watch[PLAN_MAX_RUNS];

static double expected_s(const Run *r, void *ctx)
{
    return plan_expected_s(ctx, r);
}

static int start(const Options *o, Run *r, Watch *wa)
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
    wa->fds = fdwatch_start(r->pid);
    return target_is_cmd(o) ? cmdrun_start(&wa->cs, r, o->step_regex) : 0;
}

int runner_prepare_resume(const Options *o, const char *out)
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

/* The pids of the runs still running, but r, into keep (what tree_end leaves alone). */
static int running_pids(const Run *runs, int n, const Run *r, pid_t *keep)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (runs[i].state == RUN_RUNNING && &runs[i] != r)
            keep[k++] = runs[i].pid;
    return k;
}

/* Run r's process has ended with status: its record, what it left running stopped
 * (tree.h), its samples, then the caller's judging. runs[0..n): every run (the running
 * ones are left alone). */
static void finished(const Runner *rn, Run *r, Watch *wa, int status, const struct rusage *ru,
                     const Run *runs, int n)
{
    static pid_t keep[PLAN_MAX_RUNS];
    spawn_finished(r, status, ru);
    tree_end(r, keep, running_pids(runs, n, r, keep));
    fdwatch_finish(wa->fds, r->dir, r->wall_s);
    wa->fds = NULL;
    if (target_is_cmd(rn->o))
        cmdrun_finish(&wa->cs, r, WIFEXITED(status) && WEXITSTATUS(status) == 0);
    rn->ended(r, rn->ctx);
}

/* The watchdog's look at one running run of runs[0..n): did it end, or must it be
 * stopped? Returns 1 when it ended (and was recorded). */
static int watch(const Runner *rn, Run *r, Watch *wa, const Run *runs, int n)
{
    const Options *o = rn->o;
    int status;
    struct rusage ru;
    if (wait4(r->pid, &status, WNOHANG, &ru) == r->pid) {
        finished(rn, r, wa, status, &ru, runs, n);
        return 1;
    }
    if (target_is_cmd(o))
        cmdrun_tick(&wa->cs, r);
    fdwatch_tick(wa->fds, now_s() - r->t_start);
    uint64_t rss = sysmem_rss_of((int)r->pid);
    r->peak_rss_bytes = rss > r->peak_rss_bytes ? rss : r->peak_rss_bytes;
    double limit = o->timeout_s ? o->timeout_s : 120.0 + 5.0 * plan_expected_s(o, r);
    if (rss > r->budget_bytes)
        spawn_kill(r, KILL_BUDGET);
    else if (now_s() - r->t_start > limit)
        spawn_kill(r, KILL_TIMEOUT);
    return 0;
}

/* A program of one's own is sampled by the soak: it is looked at more often. */
static void pause_between_looks(const Options *o)
{
    nanosleep(&(struct timespec){0, (target_is_cmd(o) ? 5 : 50) * 1000 * 1000}, NULL);
}

void runner_all(const Runner *rn, Run *runs, int n)
{
    const Options *o = rn->o;
    Progress p;
    progress_start(&p, n, (int)o->jobs, expected_s, (void *)o);
    tree_init();
    int next = 0, running = 0, done = 0;
    while (done < n && !*rn->stop) {
        for (; running < o->jobs && next < n; next++) {
            if (start(o, &runs[next], &g_watch[next]) == 0) {
                running++;
                continue;
            }
            runs[next].state = RUN_DONE;
            runs[next].verdict = verdict_unstarted();
            snprintf(runs[next].detail, sizeof runs[next].detail, "could not be started (see stderr)");
            done++;
        }
        for (int i = 0; i < n; i++)
            if (runs[i].state == RUN_RUNNING && watch(rn, &runs[i], &g_watch[i], runs, n)) {
                running--;
                done++;
                progress_finished(&p, &runs[i]);
            }
        progress_tick(&p, runs, n);
        pause_between_looks(o);
    }
}

/* Stops a running run of runs[0..n) and records it as interrupted. */
static void stop_one(const Runner *rn, Run *r, Watch *wa, const Run *runs, int n)
{
    spawn_kill(r, KILL_INTERRUPT);
    int status;
    struct rusage ru;
    wait4(r->pid, &status, 0, &ru);
    finished(rn, r, wa, status, &ru, runs, n);
}

void runner_stop_all(const Runner *rn, Run *runs, int n)
{
    fprintf(stderr, "\nsoak: %s: stopping the running runs; finished runs are kept\n",
            *rn->stop == SIGINT ? "interrupted" : "terminated");
    for (int i = 0; i < n; i++)
        if (runs[i].state == RUN_RUNNING)
            stop_one(rn, &runs[i], &g_watch[i], runs, n);
}

int runner_one(const Runner *rn, Run *r)
{
    static Watch wa;
    tree_init();
    if (start(rn->o, r, &wa) != 0)
        return -1;
    while (!watch(rn, r, &wa, r, 1)) {
        if (*rn->stop) {
            stop_one(rn, r, &wa, r, 1);
            return -1;
        }
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
    return 0;
}
