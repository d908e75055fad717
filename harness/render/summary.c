#include "summary.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "verdict.h"
#include "runjson.h"
#include "summary_load.h"
#include "outfile.h"
#include "util.h"
#include "words.h"

/* The cell's first finding ("asan stack-use-after-return") or growing site ("site x"). */
static void cell_finding(const Cell *c, char *out, size_t cap)
{
    const Run *w = c->example;
    out[0] = 0;
    if (w && w->has_finding)
        snprintf(out, cap, "%s %s", w->finding.tool, w->finding.kind);
    else if (w && w->n_sites)
        snprintf(out, cap, "site %s", w->sites[0].site);
}

static json_t *matrix_json(const SoakResult *res, json_t *missed)
{
    json_t *a = json_array();
    for (int i = 0; i < res->n_cells; i++) {
        const Cell *c = &res->cells[i];
        char finding[160];
        cell_finding(c, finding, sizeof finding);
        int req = c->required != V_NOT_RUN;
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "fault", c->fault, "mode",
                                           mode_name(c->mode), "verdict", verdict_name(c->worst), "finding",
                                           finding, "required", req ? verdict_name(c->required) : "",
                                           "caught", req ? json_boolean(c->caught) : json_null()));
        if (c->missed && res->expect_faults) {
            char m[160];
            snprintf(m, sizeof m, "%s %s: %s, expected %s", c->fault, mode_name(c->mode),
                     verdict_name(c->worst), verdict_name(c->required));
            json_array_append_new(missed, json_string(m));
        }
    }
    return a;
}

static json_t *sweeps_json(const SoakResult *res)
{
    json_t *a = json_array();
    for (int i = 0; i < res->n_sweeps; i++) {
        const Sweep *s = &res->sweeps[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:o, s:o, s:s, s:b, s:s}", "mode",
                                           mode_name(s->mode), "fault", s->fault, "points", s->points,
                                           "slope_bytes_per_iter", json_num(s->slope), "growth_bytes",
                                           json_num(s->growth), "verdict", s->growing ? "GROWING" : "FLAT",
                                           "judged", s->judged, "why_not_judged", s->why_not_judged));
    }
    return a;
}

static json_t *baseline_json(const BaselineCompare *b)
{
    json_t *regs = json_array(), *unmatched = json_array();
    for (int i = 0; i < b->n_regressions; i++)
        json_array_append_new(regs, json_string(b->regressions[i]));
    for (int i = 0; i < b->n_unmatched && i < 16; i++)
        json_array_append_new(unmatched, json_string(b->unmatched[i]));
    json_t *o = json_pack("{s:s, s:i, s:i, s:o}", "file", b->path ? b->path : "", "matched", b->matched,
                          "unmatched_count", b->n_unmatched, "unmatched", unmatched);
    return json_pack("{s:o, s:o}", "regressions", regs, "comparison", o);
}

static json_t *problem_json(const Problem *p, const Diagnosis *d)
{
    json_t *frames = json_array(), *seen = json_array(), *blind = json_array(), *runs = json_array();
    for (int k = 0; k < p->n_frames; k++)
        json_array_append_new(frames, json_string(p->frames[k]));
    for (int m = 0; m < MODE_COUNT; m++) {
        if (p->seen & (1u << m))
            json_array_append_new(seen, json_string(mode_name((Mode)m)));
        if (p->blind & (1u << m))
            json_array_append_new(blind, json_pack("{s:s, s:s}", "mode", mode_name((Mode)m), "why",
                                                   mode_blind_reason((Mode)m, p->kind)));
    }
    for (int k = 0; k < p->n_runs; k++)
        json_array_append_new(runs, json_string(p->runs[k]->name));
    char line[600];
    words_problem(p, line, sizeof line);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "kind", kind_name(p->kind), "meaning",
                          kind_words(p->kind), "fault", p->fault, "function", p->function, "location",
                          p->location, "site", p->site, "frames", frames);
    if (p->python) /* a line of a Python program, named by tracemalloc (docs/python.md) */
        json_object_set_new(o, "python_line", json_string(p->code));
    if (p->outside_python)
        json_object_set_new(o, "outside_python", json_true());
    /* the rate, of bytes (bytes_per_iter) or of what the kind counts (per_iter, with its unit) */
    const char *unit = kind_unit(p->kind);
    json_object_set_new(o, unit ? "per_iter" : "bytes_per_iter",
                        json_pack("{s:o, s:o, s:o, s:i}", "median", json_num(p->rate), "min",
                                  json_num(p->rate_min), "max", json_num(p->rate_max), "runs", p->n_rates));
    if (unit) {
        json_object_set_new(json_object_get(o, "per_iter"), "unit", json_string(unit));
        json_object_set_new(o, "bytes_per_iter",
                            json_pack("{s:n, s:n, s:n, s:i}", "median", "min", "max", "runs", 0));
    }
    json_object_set_new(o, "rate_from", json_string(p->rate_from));
    json_object_set_new(o, "process", json_string(p->process));
    json_object_set_new(o, "one_time_bytes", json_num(p->once_bytes));
    json_object_set_new(o, "projection",
                        isnan(p->rate) || p->rate <= 0
                            ? json_null()
                            : json_pack("{s:f, s:f}", "iterations", DIAG_PROJECT_ITERS, unit ? unit : "bytes",
                                        p->rate * DIAG_PROJECT_ITERS));
    json_object_set_new(o, "seen_by", seen);
    json_object_set_new(o, "not_seen_by", blind);
    json_object_set_new(o, "fails", json_boolean(p->fails));
    json_object_set_new(o, "expected", json_boolean(p->expected));
    json_object_set_new(o, "runs", runs);
    char detail[PROBLEM_DETAIL_MAX];
    words_problem_detail(p, detail, sizeof detail);
    json_object_set_new(o, "detail", json_string(detail));
    json_object_set_new(o, "first_bad_commit",
                        d->first_bad[0]
                            ? json_pack("{s:s, s:s}", "commit", d->first_bad, "subject", d->first_bad_subject)
                            : json_null());
    json_object_set_new(o, "summary", json_string(line));
    return o;
}

static json_t *diagnosis_json(const Diagnosis *d)
{
    json_t *a = json_array();
    for (int i = 0; i < d->n; i++)
        json_array_append_new(a, problem_json(&d->list[i], d));
    return a;
}

static json_t *summary_json(const SoakResult *res)
{
    char date[64];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    json_t *o = json_pack("{s:i, s:s, s:s, s:f, s:s, s:b}", "format_version", SUMMARY_FORMAT_VERSION,
                          "overall", overall_name(res->overall), "date", date, "wall_s", res->wall_s,
                          "config", res->config, "interrupted", res->interrupted);
    json_object_set_new(o, "strict_leaks", json_boolean(res->strict_leaks));
    if (res->shard_n) /* a shard says which slice it is (docs/ci.md) */
        json_object_set_new(o, "shard",
                            json_pack("{s:I, s:I, s:s}", "index", (json_int_t)res->shard_k, "count",
                                      (json_int_t)res->shard_n, "source", res->shard_source));
    if (res->command[0]) /* a program of one's own: its command template (docs/soak.md) */
        json_object_set_new(o, "command", json_string(res->command));
    json_t *env = env_to_json(&res->env);
    json_object_update(o, env);
    json_decref(env);
    json_object_set_new(o, "tolerance",
                        json_pack("{s:f, s:f, s:f, s:i, s:i, s:i}", "warmup_frac", res->tol.warmup_frac,
                                  "page_bytes", res->tol.page_bytes, "sensitivity", res->tol.sensitivity,
                                  "segments", ANALYSIS_SEGMENTS, "min_rows", ANALYSIS_MIN_ROWS,
                                  "sweep_min_counts", VERDICT_SWEEP_MIN_COUNTS));
    json_t *runs = json_array(), *missed = json_array();
    for (int i = 0; i < res->n_runs; i++)
        json_array_append_new(runs, run_to_json(&res->runs[i]));
    json_object_set_new(o, "runs", runs);
    const Run *sr = res->sensitive;
    json_t *sens = json_null();
    if (sr) { /* the PASS line's figure: the run's own, and which run it is */
        char words[200];
        words_sensitivity(sr, 1, words, sizeof words);
        const SeriesResult *ss = &sr->an.series[sr->an.sensitive];
        sens = json_pack("{s:s, s:f, s:s, s:s, s:I, s:s}", "series", ss->name, "per_iter", ss->sensitivity,
                         "unit", run_step_word(sr), "mode", mode_name(sr->mode), "iterations",
                         (json_int_t)sr->iters, "words", words);
    }
    json_object_set_new(o, "sensitivity", sens);
    json_t *controls = json_array();
    for (int i = 0; i < res->n_controls; i++) { /* each mode's control run (docs/soak.md, "Controls") */
        const Run *c = &res->controls[i];
        char rel[PATH_MAX + 8];
        snprintf(rel, sizeof rel, "runs/%s", c->name);
        json_array_append_new(
            controls,
            json_pack("{s:s, s:I, s:s, s:o, s:o, s:s, s:b, s:b, s:s, s:s}", "mode", mode_name(c->mode),
                      "iterations", (json_int_t)c->iters, "unit", run_step_word(c), "planted_per_iter",
                      json_num(c->control_planted), "seen_per_iter", json_num(c->control_seen), "planted_by",
                      c->control_ms ? "time" : "step marks", "caught", c->control_caught, "superseded",
                      c->control == 2, "why", c->control_why, "run_dir", rel));
    }
    json_object_set_new(o, "controls", controls);
    json_object_set_new(o, "expect_faults", json_boolean(res->expect_faults));
    json_object_set_new(o, "detection_matrix", matrix_json(res, missed));
    json_object_set_new(o, "faults_missed", missed);
    json_t *base = baseline_json(&res->base);
    json_object_set(o, "baseline_regressions", json_object_get(base, "regressions"));
    if (res->base.path)
        json_object_set(o, "baseline", json_object_get(base, "comparison"));
    json_decref(base);
    json_object_set_new(o, "sweeps", sweeps_json(res));
    json_object_set_new(o, "diagnosis", diagnosis_json(&res->diag));
    return o;
}

int summary_write(const SoakResult *res, const char *out_dir, char *err, size_t errlen)
{
    json_t *doc = summary_json(res);
    OutFile of;
    FILE *f = doc ? outfile_open_in(&of, out_dir, "summary.json", err, errlen) : NULL;
    if (!doc)
        snprintf(err, errlen, "summary.json: out of memory");
    int rc = f ? 0 : -1;
    if (f && json_dumpf(doc, f, JSON_INDENT(2) | JSON_REAL_PRECISION(8)) != 0) {
        outfile_abort(&of);
        snprintf(err, errlen, "%s/summary.json: cannot be written", out_dir);
        rc = -1;
    } else if (f) {
        fputc('\n', f);
        rc = outfile_finish(&of, err, errlen);
    }
    json_decref(doc);
    return rc;
}
