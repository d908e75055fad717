#include "runjson.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"
#include "words.h"

json_t *json_num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *finding_json(const Run *r)
{
    json_t *a = json_array();
    if (!r->has_finding)
        return a;
    json_t *frames = json_array();
    for (int k = 0; k < r->finding.n_frames; k++)
        json_array_append_new(frames, json_string(r->finding.frames[k]));
    json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o}", "tool", r->finding.tool, "kind",
                                       r->finding.kind, "message", r->finding.message, "frames", frames));
    return a;
}

static json_t *series_json(const Run *r)
{
    json_t *a = json_array();
    for (int k = 0; k < r->an.n_series; k++) {
        const SeriesResult *s = &r->an.series[k];
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:b, s:b}", "name", s->name, "class",
                              series_class_name(s->cls), "slope", json_num(s->slope), "growth",
                              json_num(s->growth), "growing", s->growing, "judged", s->judged);
        if (s->cls != SERIES_EXACT && !s->short_run) {
            json_t *fl = json_array();
            for (int k2 = 0; k2 < ANALYSIS_SEGMENTS; k2++)
                json_array_append_new(fl, json_num(s->floors[k2]));
            json_object_set_new(o, "floors", fl);
            json_object_set_new(o, "steady", json_boolean(s->steady));
            json_object_set_new(o, "decided", json_boolean(s->decided));
        }
        if (!isnan(s->sensitivity))
            json_object_set_new(o, "sensitivity", json_real(s->sensitivity));
        if (s->short_run)
            json_object_set_new(o, "too_few_rows", json_integer((json_int_t)s->points));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *sites_json(const Run *r)
{
    json_t *a = json_array();
    for (int k = 0; k < r->n_sites; k++)
        json_array_append_new(a, json_pack("{s:s, s:o}", "site", r->sites[k].site, "bytes_per_iter",
                                           json_num(r->sites[k].score)));
    return a;
}

static json_t *stacks_json(const Run *r)
{
    json_t *a = json_array();
    for (int k = 0; k < r->n_stacks; k++) {
        const StackGrowth *g = &r->stacks[k];
        char callers[400];
        stack_callers_line(g, callers, sizeof callers);
        json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:o, s:s}", "function", g->function, "where", g->where,
                              "bytes", json_num(g->bytes), "bytes_per_iter", json_num(g->bytes_per_iter),
                              "share", json_num(g->share), "callers", callers);
        if (r->python_traced) { /* a line of Python (its source), or a native stack tracemalloc traced or not
                                 */
            json_object_set_new(o, "source", json_string(g->python ? "python" : "native"));
            if (g->python)
                json_object_set_new(o, "code", json_string(g->code));
            else
                json_object_set_new(o, "traced_by_python", json_boolean(g->traced));
        }
        json_array_append_new(a, o);
    }
    return a;
}

/* command.txt's line: the run's command as it can be pasted into a shell. */
static json_t *command_json(const Run *r)
{
    const char *text = r->command ? r->command : "";
    json_t *s = json_stringn(text, strcspn(text, "\n"));
    return s ? s : json_string("");
}

json_t *run_to_json(const Run *r)
{
    const SeriesResult *w = r->an.worst >= 0 ? &r->an.series[r->an.worst] : NULL;
    char rel[PATH_MAX + 8];
    snprintf(rel, sizeof rel, "runs/%s", r->name);
    json_t *o = json_pack("{s:s, s:I, s:s, s:I, s:s, s:o, s:s, s:I, s:f, s:o, s:I, s:i, s:i}", "mode",
                          mode_name(r->mode), "iterations", (json_int_t)r->iters, "fault", r->fault,
                          "resume_from", (json_int_t)r->resume_from, "verdict", verdict_name(r->verdict),
                          "slope_bytes_per_iter", json_num(w ? w->slope : 0.0), "slope_series",
                          w ? w->name : "", "peak_rss_bytes", (json_int_t)r->peak_rss_bytes, "wall_s",
                          r->wall_s, "ms_per_iter", json_num(r->ms_per_iter), "iterations_reached",
                          (json_int_t)r->iter_reached, "exit_code", r->exit_code, "signal", r->signal);
    char detail[RUN_DETAIL_MAX];
    run_detail(r, detail, sizeof detail);
    json_object_set_new(o, "detail", json_string(detail));
    json_object_set_new(o, "run_dir", json_string(rel));
    json_object_set_new(o, "command", command_json(r));
    json_object_set_new(o, "findings", finding_json(r));
    json_object_set_new(o, "series", series_json(r));
    const SeriesResult *sens = r->an.sensitive >= 0 ? &r->an.series[r->an.sensitive] : NULL;
    json_object_set_new(o, "sensitivity",
                        sens ? json_pack("{s:s, s:f, s:s}", "series", sens->name, "per_iter",
                                         sens->sensitivity, "unit", run_step_word(r))
                             : json_null());
    json_object_set_new(o, "sites", sites_json(r));
    json_object_set_new(o, "kind", json_string(kind_name(r->kind)));
    json_object_set_new(o, "note", json_string(r->note));
    json_object_set_new(o, "leak_bytes", json_num(r->leak_bytes));
    if (r->grower[0]) /* a --cmd program's tree: the process that grows */
        json_object_set_new(o, "process_growing",
                            json_pack("{s:s, s:b}", "process", r->grower, "child", r->grower_is_child));
    if (r->fds.count > 0) /* the descriptors that grew most: on what, and where opened */
        json_object_set_new(o, "descriptors_grown",
                            json_pack("{s:i, s:s, s:s}", "count", r->fds.count, "target", r->fds.target,
                                      "opened_at", r->fds.frame));
    json_object_set_new(o, "leak_objects", json_num(r->leak_objects));
    json_object_set_new(o, "one_time_leak", json_boolean(r->one_time_leak));
    json_object_set_new(o, "settled_by",
                        r->settled_by ? json_integer((json_int_t)r->settled_by) : json_null());
    json_object_set_new(o, "decided", json_boolean(!r->an.growing || !r->an.undecided));
    json_object_set_new(o, "confirmed_by",
                        r->confirmed_by ? json_integer((json_int_t)r->confirmed_by) : json_null());
    json_object_set_new(o, "longer_of", r->longer_of ? json_integer((json_int_t)r->longer_of) : json_null());
    json_object_set_new(o, "stacks", stacks_json(r));
    if (r->stacks_why[0])
        json_object_set_new(o, "stacks_missing", json_string(r->stacks_why));
    return o;
}

int runjson_write(const Run *r)
{
    char path[PATH_MAX + 16], tmp[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/run.json", r->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    json_t *o = run_to_json(r);
    int ok =
        o && json_dump_file(o, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(8)) == 0 && rename(tmp, path) == 0;
    json_decref(o);
    return ok ? 0 : -1;
}
