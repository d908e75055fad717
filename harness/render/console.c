#include "console.h"

#include <stdio.h>
#include <string.h>

#include "util.h"
#include "words.h"

static void print_runs(const SoakResult *res)
{
    printf("\n%-10s %-12s %-14s %-12s %-20s %9s %8s  %s\n", "mode", "fault", "iters", "verdict", "kind",
           "peak MiB", "wall s", "detail");
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        char iters[32], detail[RUN_DETAIL_MAX];
        snprintf(iters, sizeof iters, "%ld%s", r->iters, r->resume_from ? " resumed" : "");
        run_detail(r, detail, sizeof detail);
        printf("%-10s %-12s %-14s %-12s %-20s %9.1f %8.1f  %s\n", mode_name(r->mode), r->fault, iters,
               verdict_name(r->verdict), r->kind != KIND_NONE ? kind_name(r->kind) : "-",
               (double)r->peak_rss_bytes / MIB, r->wall_s, detail);
    }
}

static void print_sweeps(const SoakResult *res)
{
    for (int i = 0; i < res->n_sweeps; i++) {
        const Sweep *s = &res->sweeps[i];
        if (s->points >= 2 && !s->judged)
            printf(
                "sweep %-8s %-12s peak memory vs iterations: shown, not judged (%s) (%.2f bytes/iteration, "
                "%d counts)\n",
                mode_name(s->mode), s->fault, s->why_not_judged, s->slope, s->points);
        else if (s->points >= 2)
            printf("sweep %-8s %-12s peak memory vs iterations: %s (%.2f bytes/iteration, %d counts)\n",
                   mode_name(s->mode), s->fault, s->growing ? "GROWING" : "FLAT", s->slope, s->points);
    }
}

static void print_baseline(const BaselineCompare *b)
{
    if (!b->path)
        return;
    printf("baseline %s: %d runs compared", b->path, b->matched);
    if (b->n_unmatched) {
        printf("; %d without a counterpart there:", b->n_unmatched);
        for (int i = 0; i < b->n_unmatched && i < 16; i++)
            printf(" %s", b->unmatched[i]);
        if (b->n_unmatched > 16)
            printf(" ...");
    }
    printf("\n");
    for (int i = 0; i < b->n_regressions; i++)
        printf("baseline regression: %s\n", b->regressions[i]);
}

static void print_misses(const SoakResult *res)
{
    for (int i = 0; i < res->n_cells && res->expect_faults; i++) {
        const Cell *c = &res->cells[i];
        if (c->missed)
            printf("fault not caught as required: %s %s: %s, expected %s\n", c->fault, mode_name(c->mode),
                   verdict_name(c->worst), verdict_name(c->required));
    }
}

/* The diagnosis: one numbered entry per problem, or one line saying there is none. */
static void print_diagnosis(const SoakResult *res)
{
    const Diagnosis *d = &res->diag;
    if (!d->n) {
        char none[240];
        words_no_problem(res, none, sizeof none);
        printf("\ndiagnosis: no problem found: %s\n", none);
        return;
    }
    printf("\ndiagnosis: %d problem%s%s (kinds: %s)\n", d->n, d->n > 1 ? "s" : "",
           d->dropped ? " (and more: see summary.json)" : "", k_glossary);
    for (int i = 0; i < d->n; i++) {
        const Problem *p = &d->list[i];
        char line[700], proj[120], blind[96];
        words_problem(p, line, sizeof line);
        words_projection(p, proj, sizeof proj);
        printf("  %d. %s%s\n", i + 1, p->fails ? "" : p->expected ? "(expected) " : "(does not fail) ", line);
        if (proj[0])
            printf("     %s\n", proj);
        if (p->python && p->code[0])
            printf("     %s\n", p->code);
        if (p->outside_python)
            printf(
                "     outside Python's allocators: tracemalloc did not trace it (a C extension's own); its "
                "native stack\n");
        char detail[PROBLEM_DETAIL_MAX];
        words_problem_detail(p, detail, sizeof detail);
        if (detail[0])
            printf("     %s\n", detail);
        for (int k = 0; k < p->n_frames; k++)
            printf("     %s %s\n", k ? "  " : "at", p->frames[k]);
        words_modes(p->blind, blind, sizeof blind);
        if (p->blind)
            printf("     not seen by %s (summary.json says why)\n", blind);
        if (d->first_bad[0])
            printf("     first bad commit %.12s %s\n", d->first_bad, d->first_bad_subject);
    }
}

void console_print(const SoakResult *res, const char *out, int report_ok)
{
    print_runs(res);
    print_sweeps(res);
    print_baseline(&res->base);
    print_misses(res);
    print_diagnosis(res);
    printf("\noverall: %s\n", overall_name(res->overall));
    char sens[200];
    words_sensitivity(res->sensitive, 1, sens, sizeof sens);
    if (sens[0])
        printf("%s: %s\n", res->overall == OVERALL_PASS ? "flat" : "where flat", sens);
    for (int m = 0; m < MODE_COUNT; m++)
        if (res->unjudged_modes & (1u << m))
            printf("incomplete: no %s run was long enough to judge: give larger counts (--iters)\n",
                   mode_name((Mode)m));
    for (int i = 0; i < res->n_controls; i++) {
        const Run *c = &res->controls[i];
        printf("%s: %s %ld: %s\n", c->control_caught || c->control == 2 ? "control" : "incomplete: control",
               mode_name(c->mode), c->iters, c->control_why);
    }
    for (int i = 0; i < res->n_runs; i++)
        if (res->runs[i].cause == CAUSE_BLIND)
            printf("incomplete: %s %ld was blind: its tool never reached the program (its detail says why)\n",
                   mode_name(res->runs[i].mode), res->runs[i].iters);
    printf("summary: %s/summary.json\n", out);
    if (report_ok)
        printf("report:  %s/index.html\n", out);
}
