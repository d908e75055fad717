#include "baseline.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rules.h"
#include "util.h"

json_t *baseline_find(json_t *baseline, const Run *r)
{
    size_t i;
    json_t *run;
    json_array_foreach(json_object_get(baseline, "runs"), i, run)
    {
        const char *mode = json_string_value(json_object_get(run, "mode"));
        const char *fault = json_string_value(json_object_get(run, "fault"));
        if (mode && fault && !strcmp(mode, mode_name(r->mode)) && !strcmp(fault, r->fault) &&
            json_integer_value(json_object_get(run, "iterations")) == r->iters &&
            json_integer_value(json_object_get(run, "resume_from")) == r->resume_from)
            return run;
    }
    return NULL;
}

int baseline_shared(json_t *baseline, const Run *runs, int n)
{
    int shared = 0;
    for (int i = 0; i < n; i++)
        shared += baseline_find(baseline, &runs[i]) != NULL;
    return shared;
}

static double number(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Adds a regression line unless the list is full. */
static void regression(BaselineCompare *b, const Run *r, const char *what, double now, double then,
                       double pct, const char *unit)
{
    if (b->n_regressions == (int)(sizeof b->regressions / sizeof b->regressions[0]))
        return;
    char label[128];
    run_label(r, label, sizeof label);
    snprintf(b->regressions[b->n_regressions++], sizeof b->regressions[0],
             "%s: %s %.3g %s, baseline %.3g (+%.0f%% > %.0f%%)", label, what, now, unit, then,
             (now / then - 1.0) * 100.0, pct);
}

void baseline_compare(json_t *baseline, SoakResult *res)
{
    BaselineCompare *b = &res->base;
    b->matched = b->n_unmatched = b->n_regressions = 0;
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        if (verdict_run_skipped(r))
            continue;
        json_t *then = baseline_find(baseline, r);
        if (!then) {
            if (b->n_unmatched < (int)(sizeof b->unmatched / sizeof b->unmatched[0]))
                snprintf(b->unmatched[b->n_unmatched], sizeof b->unmatched[0], "%s", r->name);
            b->n_unmatched++;
            continue;
        }
        b->matched++;
        double bp = number(then, "peak_rss_bytes"), bm = number(then, "ms_per_iter");
        if (bp > 0 && (double)r->peak_rss_bytes > bp * (1.0 + b->peak_pct / 100.0))
            regression(b, r, "peak", (double)r->peak_rss_bytes / MIB, bp / MIB, b->peak_pct, "MiB");
        if (bm > 0 && r->ms_per_iter > bm * (1.0 + b->time_pct / 100.0))
            regression(b, r, "time", r->ms_per_iter, bm, b->time_pct, "ms/iteration");
    }
}

int baseline_acceptable(json_t *summary, const char *path, int force, char *err, size_t errlen)
{
    const char *overall = json_string_value(json_object_get(summary, "overall"));
    if (force || (overall && !strcmp(overall, "PASS")))
        return 0;
    snprintf(err, errlen,
             "%s: the soak's overall verdict is %s: a baseline must come from a complete soak that "
             "passed (make baseline FORCE=1 to take it all the same)",
             path, overall ? overall : "missing");
    return -1;
}
