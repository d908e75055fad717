#include "summary.h"

#include <errno.h>
#include <stdlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "outfile.h"

const char *overall_name(Overall o)
{
    return o == OVERALL_PASS ? "PASS" : o == OVERALL_FAIL ? "FAIL" : "INCOMPLETE";
}

Verdict fault_expected(const char *fault, Mode mode)
{
    static const struct {
        const char *fault;
        Verdict v[MODE_COUNT]; /* native, asan, valgrind, jemalloc */
    } table[] = {
        {"none", {V_FLAT, V_FLAT, V_FLAT, V_FLAT}},
        {"early_reset", {V_NOT_RUN, V_ERROR, V_ERROR, V_NOT_RUN}},
        {"stack_inputs", {V_NOT_RUN, V_ERROR, V_NOT_RUN, V_NOT_RUN}},
        {"tape_keep", {V_GROWING, V_NOT_RUN, V_NOT_RUN, V_GROWING}},
        {"leak", {V_GROWING, V_ERROR, V_ERROR, V_GROWING}},
        {"creep", {V_GROWING, V_NOT_RUN, V_NOT_RUN, V_GROWING}},
        {"par_leak", {V_GROWING, V_ERROR, V_ERROR, V_GROWING}},
        {"split_leak", {V_GROWING, V_ERROR, V_ERROR, V_GROWING}},
        {"eval_leak", {V_GROWING, V_ERROR, V_ERROR, V_GROWING}},
        {"stale_probs", {V_NOT_RUN, V_ERROR, V_ERROR, V_NOT_RUN}},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].fault, fault))
            return table[i].v[mode];
    return V_NOT_RUN;
}

void soak_conclude(SoakResult *res)
{
    res->n_sweeps = 0;
    res->n_missed = 0;
    int any_bad = 0, any_missing = res->interrupted;
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        if (r->verdict == V_NOT_RUN || r->state != 2) {
            any_missing = 1;
        } else if (res->expect_faults && strcmp(r->fault, "none")) {
            Verdict want = fault_expected(r->fault, r->mode);
            if (want != V_NOT_RUN && r->verdict != want) {
                any_bad = 1;
                if (res->n_missed < 64)
                    snprintf(res->missed[res->n_missed++], sizeof res->missed[0], "%s %s %ld: %s, expected %s",
                             r->fault, mode_name(r->mode), r->iters, verdict_name(r->verdict), verdict_name(want));
            }
        } else if (r->verdict != V_FLAT) {
            any_bad = 1;
        }
    }
    /* one sweep per (mode, fault) with two counts or more, over the runs trained from
     * scratch (a resumed run did fewer iterations than its count says) */
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        if (r->resume_from)
            continue;
        int seen = 0;
        for (int k = 0; k < res->n_sweeps; k++)
            seen |= res->sweeps[k].mode == r->mode && !strcmp(res->sweeps[k].fault, r->fault);
        if (seen || res->n_sweeps == (int)(sizeof res->sweeps / sizeof res->sweeps[0]))
            continue;
        double x[64], y[64], lo = INFINITY, hi = -INFINITY;
        int n = 0;
        for (int j = 0; j < res->n_runs && n < 64; j++) {
            const Run *q = &res->runs[j];
            if (q->mode != r->mode || strcmp(q->fault, r->fault) || q->verdict != V_FLAT || !q->peak_rss_bytes ||
                q->resume_from)
                continue;
            x[n] = (double)q->iters;
            y[n] = (double)q->peak_rss_bytes;
            lo = fmin(lo, x[n]);
            hi = fmax(hi, x[n]);
            n++;
        }
        Sweep *s = &res->sweeps[res->n_sweeps++];
        memset(s, 0, sizeof *s);
        s->mode = r->mode;
        snprintf(s->fault, sizeof s->fault, "%s", r->fault);
        s->points = n;
        s->slope = n >= 2 ? theil_sen(x, y, (size_t)n) : 0.0;
        s->growth = n >= 2 ? s->slope * (hi - lo) : 0.0;
        s->judged = mode_judges_rss(s->mode);
        s->growing = s->judged && n >= 2 && s->growth > res->tol.rss_bytes;
        any_bad |= s->growing && (!res->expect_faults || !strcmp(s->fault, "none"));
    }
    /* against the baseline: the same run (mode, count, fault) may not be worse than
     * stated percentages in peak memory or time per iteration */
    res->n_regressions = 0;
    for (int i = 0; res->baseline_json && i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        char key[160];
        snprintf(key, sizeof key, "{\"mode\": \"%s\", \"iterations\": %ld, \"fault\": \"%s\"", mode_name(r->mode),
                 r->iters, r->fault);
        const char *p = strstr(res->baseline_json, key);
        if (!p || r->verdict == V_NOT_RUN || r->resume_from)
            continue;
        const char *end = strstr(p + 1, "\n    {\"mode\"");
        const char *a = strstr(p, "\"peak_rss_bytes\": "), *b = strstr(p, "\"ms_per_iter\": ");
        double bp = a && (!end || a < end) ? strtod(a + 18, NULL) : NAN;
        double bm = b && (!end || b < end) ? strtod(b + 15, NULL) : NAN;
        double ms = run_train_value(r, "ms_per_iter_median");
        char *msg = res->regressions[res->n_regressions];
        if (bp > 0 && (double)r->peak_rss_bytes > bp * (1.0 + res->baseline_peak_pct / 100.0) && res->n_regressions < 32) {
            snprintf(msg, 200, "%s %ld %s: peak %.1f MiB, baseline %.1f MiB (+%.0f%% > %.0f%%)", mode_name(r->mode),
                     r->iters, r->fault, (double)r->peak_rss_bytes / 1048576.0, bp / 1048576.0,
                     ((double)r->peak_rss_bytes / bp - 1.0) * 100.0, res->baseline_peak_pct);
            msg = res->regressions[++res->n_regressions];
        }
        if (bm > 0 && ms > bm * (1.0 + res->baseline_time_pct / 100.0) && res->n_regressions < 32) {
            snprintf(msg, 200, "%s %ld %s: %.3f ms/iteration, baseline %.3f (+%.0f%% > %.0f%%)", mode_name(r->mode),
                     r->iters, r->fault, ms, bm, (ms / bm - 1.0) * 100.0, res->baseline_time_pct);
            res->n_regressions++;
        }
    }
    any_bad |= res->n_regressions > 0;
    res->overall = any_missing ? OVERALL_INCOMPLETE : any_bad ? OVERALL_FAIL : OVERALL_PASS;
}

static void shell_cmd_line(FILE *f, const Run *r)
{
    char path[PATH_MAX + 16], line[4096];
    snprintf(path, sizeof path, "%s/command.txt", r->dir);
    FILE *c = fopen(path, "r");
    line[0] = 0;
    if (c) {
        if (!fgets(line, sizeof line, c))
            line[0] = 0;
        fclose(c);
    }
    line[strcspn(line, "\n")] = 0;
    json_str(f, line);
}

static int write_summary_json(const SoakResult *res, const char *out_dir, char *err, size_t errlen)
{
    OutFile of;
    FILE *f = outfile_open_in(&of, out_dir, "summary.json", err, errlen);
    if (!f)
        return -1;
    char date[64];
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    fprintf(f, "{\n  \"overall\": \"%s\",\n  \"date\": \"%s\",\n  \"wall_s\": %.1f,\n  \"config\": ",
            overall_name(res->overall), date, res->wall_s);
    json_str(f, res->config);
    fprintf(f, ",\n  \"interrupted\": %s,\n", res->interrupted ? "true" : "false");
    fprintf(f, "  \"tolerance\": {\"rss_bytes\": %.0f, \"alloc_bytes\": %.0f, \"warmup_frac\": %.3f},\n",
            res->tol.rss_bytes, res->tol.alloc_bytes, res->tol.warmup_frac);
    fprintf(f, "  \"runs\": [");
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        const SeriesResult *w = r->an.worst >= 0 ? &r->an.series[r->an.worst] : NULL;
        fprintf(f, "%s\n    {\"mode\": \"%s\", \"iterations\": %ld, \"fault\": ", i ? "," : "", mode_name(r->mode),
                r->iters);
        json_str(f, r->fault);
        fprintf(f, ", \"resume_from\": %ld, \"verdict\": \"%s\", \"slope_bytes_per_iter\": ", r->resume_from,
                verdict_name(r->verdict));
        json_num(f, w ? w->slope : 0.0);
        fprintf(f, ", \"slope_series\": ");
        json_str(f, w ? w->name : "");
        fprintf(f, ", \"peak_rss_bytes\": %llu, \"wall_s\": %.3f, \"ms_per_iter\": ", (unsigned long long)r->peak_rss_bytes,
                r->wall_s);
        json_num(f, run_train_value(r, "ms_per_iter_median"));
        fprintf(f, ", \"iterations_reached\": %llu, \"exit_code\": %d, \"signal\": %d,\n     \"detail\": ",
                (unsigned long long)r->iter_reached, r->exit_code, r->signal);
        json_str(f, r->detail);
        fprintf(f, ",\n     \"run_dir\": ");
        char rel[PATH_MAX + 8];
        snprintf(rel, sizeof rel, "runs/%s", r->name);
        json_str(f, rel);
        fprintf(f, ", \"command\": ");
        shell_cmd_line(f, r);
        fprintf(f, ",\n     \"findings\": [");
        if (r->has_finding) {
            fprintf(f, "{\"tool\": ");
            json_str(f, r->finding.tool);
            fprintf(f, ", \"kind\": ");
            json_str(f, r->finding.kind);
            fprintf(f, ", \"message\": ");
            json_str(f, r->finding.message);
            fprintf(f, ", \"frames\": [");
            for (int k = 0; k < r->finding.n_frames; k++) {
                fprintf(f, "%s", k ? ", " : "");
                json_str(f, r->finding.frames[k]);
            }
            fprintf(f, "]}");
        }
        fprintf(f, "],\n     \"series\": [");
        for (int k = 0, first = 1; k < r->an.n_series; k++) {
            const SeriesResult *s = &r->an.series[k];
            fprintf(f, "%s{\"name\": \"%s\", \"slope\": ", first ? "" : ", ", s->name);
            json_num(f, s->slope);
            fprintf(f, ", \"growth\": ");
            json_num(f, s->growth);
            fprintf(f, ", \"growing\": %s, \"judged\": %s}", s->growing ? "true" : "false", s->judged ? "true" : "false");
            first = 0;
        }
        fprintf(f, "],\n     \"sites\": [");
        for (int k = 0; k < r->n_sites; k++) {
            fprintf(f, "%s{\"site\": ", k ? ", " : "");
            json_str(f, r->sites[k].site);
            fprintf(f, ", \"bytes_per_iter\": ");
            json_num(f, r->sites[k].score);
            fprintf(f, "}");
        }
        fprintf(f, "]}");
    }
    fprintf(f, "\n  ],\n  \"expect_faults\": %s,\n  \"faults_missed\": [", res->expect_faults ? "true" : "false");
    for (int i = 0; i < res->n_missed; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_str(f, res->missed[i]);
    }
    fprintf(f, "],\n  \"detection_matrix\": [");
    /* fault x mode, when faults ran: the worst verdict over the counts, its first finding
     * or growing site, and what docs/faults.md requires of the cell */
    int cells = 0;
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        int first = 1, any_fault = 0;
        for (int j = 0; j < res->n_runs; j++)
            any_fault |= strcmp(res->runs[j].fault, "none") != 0;
        for (int j = 0; j < i && first; j++)
            first = !(res->runs[j].mode == r->mode && !strcmp(res->runs[j].fault, r->fault));
        if (!any_fault || !first)
            continue;
        const Run *worst = r;
        for (int j = i; j < res->n_runs; j++)
            if (res->runs[j].mode == r->mode && !strcmp(res->runs[j].fault, r->fault) &&
                res->runs[j].verdict > worst->verdict)
                worst = &res->runs[j];
        Verdict want = fault_expected(r->fault, r->mode);
        fprintf(f, "%s\n    {\"fault\": ", cells++ ? "," : "");
        json_str(f, r->fault);
        fprintf(f, ", \"mode\": \"%s\", \"verdict\": \"%s\", \"finding\": ", mode_name(r->mode),
                verdict_name(worst->verdict));
        char finding[160] = "";
        if (worst->has_finding)
            snprintf(finding, sizeof finding, "%s %s", worst->finding.tool, worst->finding.kind);
        else if (worst->n_sites)
            snprintf(finding, sizeof finding, "site %s", worst->sites[0].site);
        json_str(f, finding);
        fprintf(f, ", \"required\": ");
        json_str(f, want == V_NOT_RUN ? "" : verdict_name(want));
        fprintf(f, ", \"caught\": %s}", want == V_NOT_RUN ? "null" : worst->verdict == want ? "true" : "false");
    }
    fprintf(f, "%s],\n  \"baseline_regressions\": [", cells ? "\n  " : "");
    for (int i = 0; i < res->n_regressions; i++) {
        fprintf(f, "%s", i ? ", " : "");
        json_str(f, res->regressions[i]);
    }
    fprintf(f, "],\n  \"sweeps\": [");
    for (int i = 0; i < res->n_sweeps; i++) {
        const Sweep *s = &res->sweeps[i];
        fprintf(f, "%s\n    {\"mode\": \"%s\", \"fault\": ", i ? "," : "", mode_name(s->mode));
        json_str(f, s->fault);
        fprintf(f, ", \"points\": %d, \"slope_bytes_per_iter\": ", s->points);
        json_num(f, s->slope);
        fprintf(f, ", \"growth_bytes\": ");
        json_num(f, s->growth);
        fprintf(f, ", \"verdict\": \"%s\", \"judged\": %s}", s->growing ? "GROWING" : "FLAT", s->judged ? "true" : "false");
    }
    fprintf(f, "\n  ]\n}\n");
    return outfile_finish(&of, err, errlen);
}

static int write_junit(const SoakResult *res, const char *out_dir, char *err, size_t errlen)
{
    OutFile of;
    FILE *f = outfile_open_in(&of, out_dir, "junit.xml", err, errlen);
    if (!f)
        return -1;
    int failures = 0, skipped = 0;
    for (int i = 0; i < res->n_runs; i++) {
        failures += res->runs[i].verdict != V_FLAT && res->runs[i].verdict != V_NOT_RUN;
        skipped += res->runs[i].verdict == V_NOT_RUN;
    }
    for (int i = 0; i < res->n_sweeps; i++)
        failures += res->sweeps[i].growing;
    failures += res->n_regressions > 0;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites name=\"soak\" tests=\"%d\" failures=\"%d\" skipped=\"%d\" time=\"%.1f\">\n",
            res->n_runs + res->n_sweeps + (res->baseline_json != NULL), failures, skipped, res->wall_s);
    fprintf(f, "  <testsuite name=\"soak\" tests=\"%d\" failures=\"%d\" skipped=\"%d\" time=\"%.1f\">\n",
            res->n_runs + res->n_sweeps + (res->baseline_json != NULL), failures, skipped, res->wall_s);
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        fprintf(f, "    <testcase classname=\"soak.%s", mode_name(r->mode));
        if (strcmp(r->fault, "none")) {
            fputs(".fault-", f);
            xml_str(f, r->fault);
        }
        fprintf(f, "\" name=\"%ld iterations\" time=\"%.3f\">", r->iters, r->wall_s);
        if (r->verdict == V_NOT_RUN) {
            fprintf(f, "<skipped message=\"");
            xml_str(f, r->detail);
            fprintf(f, "\"/>");
        } else if (r->verdict != V_FLAT) {
            fprintf(f, "<failure type=\"%s\" message=\"%s: ", verdict_name(r->verdict), verdict_name(r->verdict));
            xml_str(f, r->detail);
            fprintf(f, "\">");
            xml_str(f, r->detail);
            for (int k = 0; k < r->finding.n_frames && r->has_finding; k++) {
                fputs("\n  at ", f);
                xml_str(f, r->finding.frames[k]);
            }
            fprintf(f, "\nrun folder: runs/");
            xml_str(f, r->name);
            fprintf(f, "</failure>");
        }
        fprintf(f, "</testcase>\n");
    }
    for (int i = 0; i < res->n_sweeps; i++) {
        const Sweep *s = &res->sweeps[i];
        fprintf(f, "    <testcase classname=\"soak.sweep\" name=\"%s ", mode_name(s->mode));
        xml_str(f, s->fault);
        fprintf(f, " peak memory vs iterations\">");
        if (s->growing)
            fprintf(f, "<failure type=\"GROWING\" message=\"peak RSS grows %.2f bytes per iteration across the "
                       "sweep (%.0f bytes)\"/>",
                    s->slope, s->growth);
        fprintf(f, "</testcase>\n");
    }
    if (res->baseline_json) {
        fprintf(f, "    <testcase classname=\"soak.baseline\" name=\"no regression against the baseline\">");
        if (res->n_regressions) {
            fprintf(f, "<failure type=\"REGRESSION\" message=\"");
            xml_str(f, res->regressions[0]);
            fprintf(f, "\">");
            for (int i = 0; i < res->n_regressions; i++) {
                xml_str(f, res->regressions[i]);
                fputc('\n', f);
            }
            fprintf(f, "</failure>");
        }
        fprintf(f, "</testcase>\n");
    }
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return outfile_finish(&of, err, errlen);
}

int soak_write(const SoakResult *res, const char *out_dir, char *err, size_t errlen)
{
    if (write_summary_json(res, out_dir, err, errlen) != 0)
        return -1;
    return write_junit(res, out_dir, err, errlen);
}
