#include "plan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"
#include "modes.h"
#include "util.h"
#include "workload.h"

double plan_expected_s(const Options *o, const Run *r)
{
    if (r->expect_s > 0)
        return r->expect_s;
    return workload_ms(o->wl, r->mode) * (double)(r->iters - r->resume_from) / 1e3;
}

int plan_pilots(const Options *o, Run *runs, int n)
{
    if (o->attach_pid)
        return 0;
    int k = 0;
    for (int m = 0; m < o->n_modes; m++) {
        int best = -1;
        for (int i = k; i < n; i++)
            if (runs[i].mode == o->modes[m] && !runs[i].resume_from &&
                (best < 0 || runs[i].iters < runs[best].iters))
                best = i;
        if (best >= 0) {
            Run t = runs[k];
            runs[k] = runs[best];
            runs[best] = t;
            k++;
        }
    }
    int longer = 0; /* a run longer than its mode's pilot: else nothing to learn before it */
    for (int i = k; i < n && !longer; i++)
        for (int j = 0; j < k && !longer; j++)
            longer = runs[j].mode == runs[i].mode && runs[i].iters - runs[i].resume_from > runs[j].iters;
    return longer ? k : 0;
}

/* What run r should take at the pace of p (a finished run of its mode and command). */
static double at_pace(const Run *p, const Run *r)
{
    return p->wall_s * (double)(r->iters - r->resume_from) / (double)(p->iters > 0 ? p->iters : 1);
}

int plan_pace(const Options *o, const Run *pilots, int k, Run *rest, int n)
{
    double total = 0, most = 0;
    const Run *pole = NULL;
    int skipped = 0;
    for (int i = 0; i < n; i++) {
        Run *r = &rest[i];
        for (int j = 0; j < k; j++)
            if (pilots[j].mode == r->mode && pilots[j].state == RUN_DONE && pilots[j].wall_s > 0 &&
                pilots[j].killed == KILL_NONE)
                r->expect_s = at_pace(&pilots[j], r);
        /* clearly past the user's limit: not started (the estimate counts the start-up in
         * every step, so it is an upper bound; three times over is no near miss) */
        if (o->timeout_s > 0 && r->expect_s > 3 * o->timeout_s) {
            r->cause = CAUSE_WONT_FIT;
            skipped++;
            continue;
        }
        total += plan_expected_s(o, r);
        if (plan_expected_s(o, r) > most)
            most = plan_expected_s(o, r), pole = r;
    }
    long jobs = o->jobs > 0 ? o->jobs : 1;
    double wall = fmax(total / (double)jobs, most);
    if (pole) {
        char t[32], p[32];
        fmt_duration(t, sizeof t, wall);
        fmt_duration(p, sizeof p, most);
        fprintf(stderr,
                "%s: at the pace of each mode's first run, the other %d run%s take%s at most about %s, %ld "
                "at a time (%s is %s of it); --modes or --iters to shorten\n",
                program_invocation_short_name, n - skipped, n - skipped > 1 ? "s" : "",
                n - skipped > 1 ? "" : "s", t, jobs, pole->name, p);
    }
    for (int i = 0; i < n; i++)
        if (rest[i].cause == CAUSE_WONT_FIT)
            fprintf(
                stderr,
                "%s: %s: not started: at its mode's pace it would take about %.0f s, past --timeout %.0f\n",
                program_invocation_short_name, rest[i].name, rest[i].expect_s, o->timeout_s);
    return skipped;
}

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
        fprintf(stderr, "%s: --out %s: path too long\n", program_invocation_short_name, out);
        return -1;
    }
    r->budget_bytes = (uint64_t)o->budget_mb << 20;
    r->verdict = V_NOT_RUN;
    r->kind = KIND_NONE;
    r->cause = CAUSE_NOT_STARTED;
    return 0;
}

/* Why mode and fault of L (the largest fresh run of them) are not decided, or NULL. */
static const char *undecided_why(const Options *o, const Run *runs, int n, const Run *L)
{
    const ModeSpec *m = mode_spec(L->mode);
    if (L->state != RUN_DONE || L->cause == CAUSE_BLIND) /* blind: no count will make it see */
        return NULL;
    if (L->verdict == V_GROWING && L->an.undecided)
        return "its growth is within the scatter of its floors";
    if (L->verdict == V_FLAT && o->tol.sensitivity > 0 && m->judges_memory &&
        (L->an.sensitive < 0 || L->an.series[L->an.sensitive].sensitivity > o->tol.sensitivity))
        return "FLAT, but coarser than --sensitivity";
    if (L->verdict != V_UNJUDGED || !m->judges_memory)
        return NULL;
    for (int i = 0; i < n; i++)
        if (runs[i].mode == L->mode && !strcmp(runs[i].fault, L->fault) && runs[i].verdict != V_UNJUDGED &&
            runs[i].verdict != V_NOT_RUN)
            return NULL; /* another run of it was judged */
    return "too short to judge";
}

int plan_longer(const Options *o, const char *out, Run *runs, int n, int room)
{
    int added = 0;
    if (o->shard_n || o->attach_pid)
        return 0;
    for (int i = 0; i < n && added < room; i++) {
        const Run *L = &runs[i];
        int largest = !L->resume_from, rounds = 0;
        for (int j = 0; j < n; j++) {
            const Run *q = &runs[j];
            if (q->mode != L->mode || strcmp(q->fault, L->fault) || q->resume_from)
                continue;
            largest &= q->iters <= L->iters;
            rounds += q->longer_of != 0;
        }
        const char *why = largest ? undecided_why(o, runs, n, L) : NULL;
        if (!why || rounds >= o->longer)
            continue;
        if (o->timeout_s > 0 && 2.5 * L->wall_s > o->timeout_s) {
            fprintf(stderr, "%s: %s: %s; not run longer: twice its %.0f s would pass --timeout %.0f\n",
                    program_invocation_short_name, L->name, why, L->wall_s, o->timeout_s);
            continue;
        }
        int f = 0;
        while (f < o->n_faults - 1 && strcmp(o->faults[f], L->fault))
            f++;
        Run *r = &runs[n + added];
        if (plan_run(o, out, r, f, L->mode, 2 * L->iters, 0) != 0)
            break;
        r->longer_of = L->iters;
        r->expect_s = 2 * L->wall_s; /* its pace is known */
        fprintf(stderr, "%s: %s: %s; running it at %ld (--longer)\n", program_invocation_short_name, L->name,
                why, r->iters);
        added++;
    }
    return added;
}

/* A run's sensitivity (analysis.h), or INFINITY when it states none. */
static double sensitivity_of(const Run *q)
{
    return q->an.sensitive >= 0 ? q->an.series[q->an.sensitive].sensitivity : INFINITY;
}

/* Whether run q of a mode is judged, so that a control can copy it. */
static int control_can_copy(const Run *q, Mode m)
{
    if (q->mode != m || q->resume_from || strcmp(q->fault, "none") || q->state != RUN_DONE)
        return 0;
    return q->verdict == V_FLAT || q->verdict == V_GROWING || q->verdict == V_INCONCLUSIVE ||
           (q->verdict == V_ERROR && q->has_finding && mode_spec(m)->checks_leaks);
}

/* The run a control of mode m copies: its smallest judged fresh run that took a second or
 * more (a shorter one may be judged once and not the next time, on a busy machine) and
 * could see a growth within four times the mode's best figure (a Python program's first
 * 200 steps are mostly its start-up: 144 KB/iteration, where its 2000 saw 18), else its
 * longest judged one; NULL when none was judged (the mode is INCOMPLETE already). */
static const Run *control_base(const Run *runs, int n, Mode m)
{
    double best_sens = INFINITY;
    /* a mode that only checks leaks is shown a leak, which its check at exit reports at any
     * count: its smallest such run (valgrind's 5000 cost make soak 170 s, its 100 does 4) */
    for (int i = 0; i < n && mode_spec(m)->judges_memory; i++)
        if (control_can_copy(&runs[i], m))
            best_sens = fmin(best_sens, sensitivity_of(&runs[i]));
    const Run *best = NULL;
    int best_rank = -1;
    for (int i = 0; i < n; i++) {
        const Run *q = &runs[i];
        if (!control_can_copy(q, m))
            continue;
        int rank = 1 + (q->wall_s >= 1.0 && (isinf(best_sens) || sensitivity_of(q) <= 4 * best_sens));
        int better = rank > best_rank ||
                     (rank == best_rank && (rank == 1 ? q->iters > best->iters : q->iters < best->iters));
        if (better)
            best = q, best_rank = rank;
    }
    return best;
}

static long pow2_at_least(double v)
{
    long p = 16;
    while (p < v && p < (1L << 24))
        p *= 2;
    return p;
}

/* Whether run q's program marked its steps itself (the probe's steps.csv; not --step-regex). */
static int marks_steps(const Options *o, const Run *q)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/steps.csv", q->dir);
    FILE *f = o->step_regex ? NULL : fopen(path, "r");
    int c = f ? fgetc(f) : EOF;
    if (f)
        fclose(f);
    return c != EOF;
}

int plan_controls(const Options *o, const char *out, const Run *runs, int n, Run *ctl, int room)
{
    int added = 0;
    if (o->no_control || o->shard_n || o->attach_pid)
        return 0;
    for (int k = 0; k < o->n_modes && added < room; k++) {
        const ModeSpec *m = mode_spec(o->modes[k]);
        const Run *base = control_base(runs, n, o->modes[k]);
        if (!m->probe || !base)
            continue;
        double sens = base->an.sensitive >= 0 ? base->an.series[base->an.sensitive].sensitivity : 0;
        long keep = 0, lose = m->checks_leaks ? 256 : 0;
        /* as much as the program's own growth at least: what it grows by varies from run to
         * run by a few per cent of itself, which must stay small beside what is planted (a
         * Python program's 4151 bytes/iteration hid 256 planted: seen 321), and jemalloc's
         * samples of the planted blocks must be many among its own */
        double own =
            base->verdict == V_GROWING && base->an.worst >= 0 ? base->an.series[base->an.worst].slope : 0;
        /* and, for a mode that names what grew from heap profiles sampled every 2^N bytes,
         * enough in all over the run for 32 samples of it (a short run of a large model: 24
         * steps of 256 bytes were 6 KiB, not one sample of 128 KiB: the control went unnamed) */
        double sampled = m->heap_profiles ? 32.0 * (double)(1L << o->prof_sample) / (double)base->iters : 0;
        if (m->judges_memory)
            for (keep = 256; (keep < 4 * sens || keep < own || keep < sampled) && keep < (1L << 20);)
                keep *= 2;
        long ms = marks_steps(o, base) ? 0 : 2;
        if (ms) { /* by time, at the rate the base run went: a tick's worth of iterations' bytes, in a
                   * power of two (an allocator's size class: what is planted is what it holds) */
            double per_ms = (double)base->iters / 1000.0 / (base->wall_s > 0.01 ? base->wall_s : 0.01);
            long least = keep ? keep : lose;
            while (least * per_ms * (double)ms < 256 && ms < 32) /* blocks of 256 bytes or more: a
                                                                  * malloc header is then 6% at most */
                ms *= 2;
            double per_tick = per_ms * (double)ms;
            keep = keep ? pow2_at_least(keep * per_tick) : 0;
            lose = lose ? pow2_at_least(lose * per_tick) : 0;
        }
        Run *r = &ctl[added];
        if (plan_run(o, out, r, 0, o->modes[k], base->iters, 0) != 0)
            break;
        snprintf(r->name, sizeof r->name, "%s-%ld-control", mode_name(o->modes[k]), base->iters);
        if ((size_t)snprintf(r->dir, sizeof r->dir, "%s/runs/%s", out, r->name) >= sizeof r->dir)
            break;
        r->control = 1, r->control_keep = keep, r->control_lose = lose, r->control_ms = ms;
        r->expect_s = base->wall_s; /* the same command and count: its pace is known */
        /* a leak planted by time stops halfway through the time the run took: a tool's leak
         * check at exit sees all of it (LeakSanitizer's may start before the probe's exit hook) */
        r->control_until_ms = ms && !keep ? (long)(500.0 * base->wall_s) : 0;
        added++;
    }
    if (added)
        fprintf(stderr,
                "%s: %d control run%s: each mode must catch a growth the probe plants (--no-control)\n",
                program_invocation_short_name, added, added > 1 ? "s" : "");
    return added;
}

int plan_control_longer(const Options *o, const char *out, Run *c, Run *again)
{
    if (c->verdict != V_UNJUDGED || c->cause == CAUSE_BLIND || c->control != 1 ||
        plan_run(o, out, again, 0, c->mode, 2 * c->iters, 0) != 0)
        return -1;
    snprintf(again->name, sizeof again->name, "%s-%ld-control", mode_name(c->mode), again->iters);
    if ((size_t)snprintf(again->dir, sizeof again->dir, "%s/runs/%s", out, again->name) >= sizeof again->dir)
        return -1;
    again->control = 1, again->control_keep = c->control_keep, again->control_lose = c->control_lose;
    again->control_ms = c->control_ms, again->control_until_ms = 2 * c->control_until_ms;
    again->longer_of = c->iters;
    again->expect_s = 2 * c->wall_s;
    c->control = 2; /* superseded, in its run.txt too (soak report reads it so) */
    if (run_write_facts(c) != 0)
        fprintf(stderr, "%s: %s/run.txt: cannot be written\n", program_invocation_short_name, c->dir);
    fprintf(stderr, "%s: %s: too short to judge; the control again at %ld\n", program_invocation_short_name,
            c->name, again->iters);
    return 0;
}

static int cmp_longest_first(const void *a, const void *b, void *ctx)
{
    double x = plan_expected_s(ctx, a), y = plan_expected_s(ctx, b);
    return (x < y) - (x > y);
}

int plan_runs(const Options *o, const char *out, Run *runs)
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
    if (!n) {
        fprintf(stderr, "%s: shard %ld/%ld of %d runs is empty\n", program_invocation_short_name, o->shard_k,
                o->shard_n, index);
        return -1;
    }
    return n;
}

void plan_longest_first(const Options *o, Run *runs, int n)
{
    qsort_r(runs, (size_t)n, sizeof runs[0], cmp_longest_first, (void *)o);
}
