#include "runner.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include "attach.h"
#include "cmdrun.h"
#include "fdwatch.h"
#include "service.h"
#include "plan.h"
#include "progress.h"
#include "spawn.h"
#include "sysmem.h"
#include "target.h"
#include "tree.h"
#include "util.h"
#include "verdicts.h"
#include "workload.h"

/* What the soak watches of a running run: its samples (--cmd runs: cmdrun.h), its
 * descriptors (every run: fdwatch.h) and, for a service, its phases (service.h). */
typedef struct Watch {
    CmdSampler cs;
    FdWatch *fds;
    Service svc;
} Watch;

static double expected_s(const Run *r, void *ctx)
{
    return plan_expected_s(ctx, r);
}

static int start(const Options *o, Run *r, Watch *wa)
{
    if (o->attach_pid) { /* nothing to start: a process of the user's, watched */
        cmdrun_prepare(r);
        if (attach_start(o, r) != 0)
            return -1;
        char prog[PATH_MAX], path[PATH_MAX + 16];
        target_program(o, r, prog, sizeof prog);
        snprintf(path, sizeof path, "%s/program.txt", r->dir);
        FILE *f = fopen(path, "w");
        if (f) {
            fprintf(f, "%s\n", prog);
            fclose(f);
        }
        wa->fds = fdwatch_start(r->pid);
        return cmdrun_start(&wa->cs, r, NULL, 0);
    }
    Launch l;
    if (service_enabled(o))
        service_prepare(o, r);
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
    if (service_enabled(o) && service_start(&wa->svc, o, r) != 0)
        return -1;
    return target_is_cmd(o) ? cmdrun_start(&wa->cs, r, o->step_regex, service_enabled(o)) : 0;
}

int runner_prepare_resume(const Options *o, const char *out)
{
    Argv *a = argv_new();
    char prog[PATH_MAX], log[PATH_MAX + 32];
    target_plain_program(o, prog, sizeof prog);
    argv_add(a, "%s", prog);
    for (int i = 0; o->wl->args[i]; i++)
        argv_add(a, "%s", o->wl->args[i]);
    argv_add(a, "%d", WORKLOAD_RESUME_FROM);
    argv_add(a, "--quiet");
    argv_add(a, "--save");
    argv_add(a, "%s/resume-from.ckpt", out);
    if (o->data) {
        argv_add(a, "--data");
        argv_add(a, "%s", o->data);
    }
    snprintf(log, sizeof log, "%s/resume-from.log", out);
    int rc = argv_run(a, log, log, 0);
    argv_free(a);
    if (rc != 0) {
        fprintf(stderr,
                "%s: the checkpoint for resumed runs could not be made (%s, %d iterations; its output: %s)\n",
                program_invocation_short_name, prog, WORKLOAD_RESUME_FROM, log);
        return -1;
    }
    return 0;
}

/* The runs being run and what is watched of each (runs[i] with ws[i]). */
typedef struct Batch {
    Run *runs;
    Watch *ws;
    int n;
} Batch;

/* What tree_end must leave alone when run i ends: the processes of the other runs still
 * running (their own, their loads) into keep. How many. */
static int running_pids(const Batch *b, int i, pid_t *keep)
{
    int k = 0;
    for (int j = 0; j < b->n; j++) {
        if (b->runs[j].state != RUN_RUNNING || j == i)
            continue;
        keep[k++] = b->runs[j].pid;
        if (b->ws[j].svc.load_pid > 0)
            keep[k++] = b->ws[j].svc.load_pid;
    }
    return k;
}

/* Run i's process has ended with status: its record, what it left running stopped
 * (tree.h), its samples, then the caller's judging. */
static void finished(const Runner *rn, const Batch *b, int i, int status, const struct rusage *ru)
{
    pid_t keep[2 * PLAN_MAX_RUNS];
    Run *r = &b->runs[i];
    Watch *wa = &b->ws[i];
    if (service_enabled(rn->o))
        service_ended(&wa->svc, r);
    spawn_finished(r, status, ru);
    if (!r->attached) /* a process the user started is theirs: left as it was */
        tree_end(r, keep, running_pids(b, i, keep));
    fdwatch_finish(wa->fds, r->dir, r->wall_s);
    wa->fds = NULL;
    if (target_is_cmd(rn->o))
        cmdrun_finish(&wa->cs, r, WIFEXITED(status) && WEXITSTATUS(status) == 0);
    rn->ended(r, rn->ctx);
}

/* The watchdog's look at running run i: did it end, or must it be stopped? Returns 1 when
 * it ended (and was recorded). */
static int watch(const Runner *rn, const Batch *b, int i)
{
    const Options *o = rn->o;
    Run *r = &b->runs[i];
    Watch *wa = &b->ws[i];
    int status;
    struct rusage ru;
    if (r->attached) { /* not a child: its time is up, or it has gone */
        int gone = !attach_alive(r);
        if (gone || now_s() - r->t_start >= o->duration_s) {
            if (gone)
                cmdrun_note(r,
                            "the process ended before the duration was over: judged over what was measured");
            memset(&ru, 0, sizeof ru);
            finished(rn, b, i, 0, &ru);
            return 1;
        }
    } else if (wait4(r->pid, &status, WNOHANG, &ru) == r->pid) {
        finished(rn, b, i, status, &ru);
        return 1;
    }
    if (target_is_cmd(o))
        cmdrun_tick(&wa->cs, r);
    int load_over = service_enabled(o) && service_load_over(&wa->svc); /* the server is stopped next */
    fdwatch_tick(wa->fds, now_s() - r->t_start, load_over);
    if (service_enabled(o))
        service_tick(&wa->svc, o, r);
    uint64_t rss = sysmem_rss_of((int)r->pid);
    r->peak_rss_bytes = rss > r->peak_rss_bytes ? rss : r->peak_rss_bytes;
    double limit = o->timeout_s ? o->timeout_s : 120.0 + 5.0 * plan_expected_s(o, r);
    if (r->attached)
        return 0; /* never stopped by the soak */
    if (rss > r->budget_bytes)
        spawn_kill(r, KILL_BUDGET);
    else if (now_s() - r->t_start > limit)
        spawn_kill(r, KILL_TIMEOUT);
    return 0;
}

/* A program of one's own is sampled by the soak: it is looked at more often. */
static void pause_between_looks(const Options *o)
{
    nanosleep(&(struct timespec){0, target_is_cmd(o) ? 2000000 : 50000000}, NULL);
}

/* Stops running run i and records it as interrupted. */
static void stop_one(const Runner *rn, const Batch *b, int i)
{
    Run *r = &b->runs[i];
    int status = 0;
    struct rusage ru = {0};
    if (r->attached) { /* the user's process: only the watching stops */
        r->killed = KILL_INTERRUPT;
    } else {
        spawn_kill(r, KILL_INTERRUPT);
        wait4(r->pid, &status, 0, &ru);
    }
    finished(rn, b, i, status, &ru);
}

void runner_all(const Runner *rn, Run *runs, int n)
{
    const Options *o = rn->o;
    Progress p;
    progress_start(&p, n, (int)o->jobs, expected_s, (void *)o);
    tree_init();
    int next = 0, running = 0, done = 0;
    Batch b = {runs, calloc((size_t)n + 1, sizeof(Watch)), n};
    if (!b.ws) {
        fprintf(stderr, "%s: out of memory\n", program_invocation_short_name);
        exit(1);
    }
    while (done < n && !*rn->stop) {
        for (; running < o->jobs && next < n; next++) {
            if (start(o, &runs[next], &b.ws[next]) == 0) {
                running++;
                continue;
            }
            runs[next].state = RUN_DONE;
            runs[next].verdict = verdict_unstarted();
            runs[next].cause = CAUSE_UNSTARTED;
            done++;
        }
        for (int i = 0; i < n; i++)
            if (runs[i].state == RUN_RUNNING && watch(rn, &b, i)) {
                running--;
                done++;
                progress_finished(&p, &runs[i]);
            }
        progress_tick(&p, runs, n);
        pause_between_looks(o);
    }
    if (*rn->stop) {
        fprintf(stderr, "\nsoak: %s: stopping the running runs; finished runs are kept\n",
                *rn->stop == SIGINT ? "interrupted" : "terminated");
        for (int i = 0; i < n; i++)
            if (runs[i].state == RUN_RUNNING)
                stop_one(rn, &b, i);
    }
    free(b.ws);
}

int runner_one(const Runner *rn, Run *r)
{
    Watch *wa = calloc(1, sizeof *wa);
    Batch b = {r, wa, 1};
    tree_init();
    if (!wa || start(rn->o, r, wa) != 0) {
        free(wa);
        return -1;
    }
    int rc = 0;
    while (!watch(rn, &b, 0)) {
        if (*rn->stop) {
            stop_one(rn, &b, 0);
            rc = -1;
            break;
        }
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    }
    free(wa);
    return rc;
}
