#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "profiles.h"
#include "words.h"
#include "report_charts.h"
#include "report_coverage.h"
#include "report_diag.h"
#include "util.h"
#include "xml.h"

static const char k_css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1100px;"
    "padding:12px;color:#222;line-height:1.4}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}"
    ".banner{padding:14px;font-size:1.4em;font-weight:bold;border-radius:6px}"
    ".PASS{background:#2e7d32;color:#fff}.FAIL{background:#c62828;color:#fff}.INCOMPLETE{background:#6d6d6d;"
    "color:#fff}"
    ".scroll{overflow-x:auto}table{border-collapse:collapse;margin:6px 0;font-size:.92em}"
    "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}"
    "td.v b,td.v small{display:block}td.v small{color:#444}"
    "img{max-width:100%;height:auto;border:1px solid #eee}.fig{margin:10px "
    "0}.cap{color:#444;font-size:.92em;margin:2px 0 14px}"
    "pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:.85em;white-space:pre-wrap;word-break:"
    "break-all}"
    "code{font-size:.9em;word-break:break-all}"
    ".problem{border-left:6px solid #c62828;background:#fff7f7;padding:2px 14px 8px;margin:14px "
    "0;border-radius:4px}"
    ".problem.quiet{border-left-color:#9e9e9e;background:#fafafa}.problem h3{margin:10px 0 2px}"
    ".problem h3 small{font-weight:normal;color:#555}.meaning{margin:0 0 8px;color:#444;font-style:italic}"
    "table.facts th{width:9em;background:none;border:none;padding:2px 8px 2px 0;color:#555}"
    "table.facts td{border:none;padding:2px 0}.clean{padding:10px;background:#e8f5e9;border-radius:4px}"
    "details{margin:8px 0}summary{cursor:pointer;color:#1a4d8f}h4{margin:10px 0 2px}";

static const char *verdict_colour(Verdict v)
{
    switch (v) {
    case V_FLAT: return "#d4f4dd";
    case V_GROWING: return "#ffe0b2";
    case V_INCONCLUSIVE: return "#fff9c4";
    case V_NOT_RUN: return "#eeeeee";
    default: return "#ffcdd2";
    }
}

/* ---- sections ----------------------------------------------------------------------------- */

static void section_banner(FILE *f, const SoakResult *res)
{
    const char *ov = overall_name(res->overall);
    int n_bad = 0;
    for (int i = 0; i < res->n_runs; i++)
        n_bad += res->runs[i].fails;
    fprintf(f,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<title>Soak report: %s</title><style>%s</style></head><body>\n",
            ov, k_css);
    fprintf(f, "<h1>Does memory stay flat?</h1>\n<div class=\"banner %s\">%s: ", ov, ov);
    if (res->overall == OVERALL_PASS)
        fprintf(f, "%s (%d runs)",
                res->expect_faults ? "every fault is caught as required, the clean build stays flat"
                                   : "memory stays flat in every run and across the sweep",
                res->n_runs);
    else if (res->overall == OVERALL_FAIL && res->diag.n && res->diag.list[0].fails) {
        const Problem *p = &res->diag.list[0];
        fprintf(f, "%s", kind_name(p->kind));
        if (p->function[0]) {
            fprintf(f, " in ");
            xml_str(f, p->function);
        } else if (p->site[0]) {
            fprintf(f, " at site ");
            xml_str(f, p->site);
        }
        if (strcmp(p->fault, "none")) {
            fprintf(f, " (fault build ");
            xml_str(f, p->fault);
            fputc(')', f);
        }
        int more = 0;
        for (int i = 1; i < res->diag.n; i++)
            more += res->diag.list[i].fails;
        fprintf(f, more ? " and %d more problem%s" : "", more, more > 1 ? "s" : "");
        fprintf(f, " (%d of %d runs fail)", n_bad, res->n_runs);
    } else if (res->overall == OVERALL_FAIL)
        fprintf(f, "%d of %d runs fail, or peak memory grows across the sweep", n_bad, res->n_runs);
    else { /* the console's and summary.md's words */
        char why[400];
        if (res->overall == OVERALL_INCONCLUSIVE)
            words_no_problem(res, why, sizeof why);
        else
            words_incomplete(res, why, sizeof why);
        xml_str(f, why);
    }
    fprintf(f, "</div>\n<p>Workload <code>");
    xml_str(f, res->config);
    fprintf(f,
            "</code>, total wall time %.0f s. <a href=\"summary.json\">summary.json</a> · "
            "<a href=\"junit.xml\">junit.xml</a> · <a href=\"env.txt\">env.txt</a>. What each verdict, "
            "kind and word means: %s (%s when installed)</p>\n",
            res->wall_s, k_glossary, k_glossary_installed);
}

static void td_verdict(FILE *f, const Run *r)
{
    fprintf(f, "<td class=\"v\" style=\"background:%s\"><b>%s</b>", verdict_colour(r->verdict),
            verdict_name(r->verdict));
    const SeriesResult *w = r->an.worst >= 0 ? &r->an.series[r->an.worst] : NULL;
    if (r->verdict == V_FLAT && r->an.sensitive >= 0) { /* what it could have seen, not its noise */
        const SeriesResult *ss = &r->an.series[r->an.sensitive];
        char v[32];
        words_per_unit(ss->sensitivity, v, sizeof v);
        fprintf(f, "<small>no growth above %s B/it (", v);
        xml_str(f, ss->name);
        fputs(")</small>", f);
    } else if (r->verdict == V_FLAT && mode_spec(r->mode)->checks_leaks) {
        fprintf(f, "<small>%s</small>", k_no_block_lost);
    } else if (w && w->cls == SERIES_COUNT) {
        fprintf(f, "<small>%+.3g/it (", w->slope);
        xml_str(f, w->name);
        fputs(")</small>", f);
    } else if (w) {
        fprintf(f, "<small>%+.1f B/it (", w->slope);
        xml_str(f, w->name);
        fputs(")</small>", f);
    }
    fprintf(f, "<small>peak %.1f MiB</small><small><a href=\"runs/", (double)r->peak_rss_bytes / MIB);
    xml_str(f, r->name);
    fprintf(f, "/\">run folder</a></small>");
    profiles_links(f, r, "<small>profiles: ", "</small>");
    fprintf(f, "</td>");
}

/* One table of verdicts: runs[0..n) all of one fault; modes down, counts across. */
static void verdict_table(FILE *f, const Run *runs, int n)
{
    long keys[32];
    int nk = runs_columns(runs, n, keys, 32);
    fprintf(f, "<h2>Verdicts%s", strcmp(runs[0].fault, "none") ? ": fault " : "");
    if (strcmp(runs[0].fault, "none"))
        xml_str(f, runs[0].fault);
    fprintf(f, "</h2>\n<div class=\"scroll\"><table><tr><th>mode</th>");
    for (int k = 0; k < nk; k++)
        fprintf(f, "<th>%ld iterations%s</th>", keys[k] / 2, keys[k] % 2 ? ", resumed" : "");
    fprintf(f, "</tr>\n");
    for (int m = 0; m < MODE_COUNT; m++) {
        const Run *row[32] = {0};
        int any = 0;
        for (int q = 0; q < n; q++)
            for (int k = 0; k < nk; k++)
                if (runs[q].mode == (Mode)m && runs_column_key(&runs[q]) == keys[k]) {
                    row[k] = &runs[q];
                    any = 1;
                }
        if (!any)
            continue;
        fprintf(f, "<tr><th>%s</th>", mode_name((Mode)m));
        for (int k = 0; k < nk; k++)
            row[k] ? td_verdict(f, row[k]) : (void)fprintf(f, "<td>-</td>");
        fprintf(f, "</tr>\n");
    }
    fprintf(f, "</table></div>\n");
}

static void section_verdicts(FILE *f, const SoakResult *res)
{
    for (int i = 0, j; i < res->n_runs; i = j) {
        for (j = i; j < res->n_runs && !strcmp(res->runs[j].fault, res->runs[i].fault); j++)
            ;
        verdict_table(f, res->runs + i, j - i);
    }
}

static void section_matrix(FILE *f, const SoakResult *res)
{
    if (!res->n_cells)
        return;
    fprintf(
        f,
        "<h2>Detection matrix (fault x mode: the worst verdict, its first finding, what is required)</h2>\n"
        "<div class=\"scroll\"><table><tr><th>fault</th>");
    for (int m = 0; m < MODE_COUNT; m++)
        fprintf(f, "<th>%s</th>", mode_name((Mode)m));
    fprintf(f, "</tr>\n");
    for (int i = 0; i < res->n_cells;) {
        const char *fault = res->cells[i].fault;
        fprintf(f, "<tr><th>");
        xml_str(f, fault);
        fprintf(f, "</th>");
        for (int m = 0; m < MODE_COUNT; m++) {
            const Cell *c = NULL;
            for (int k = i; k < res->n_cells && !strcmp(res->cells[k].fault, fault); k++)
                c = res->cells[k].mode == (Mode)m ? &res->cells[k] : c;
            if (!c) {
                fprintf(f, "<td>-</td>");
                continue;
            }
            fprintf(f, "<td class=\"v\" style=\"background:%s\"><b>%s</b><small>", verdict_colour(c->worst),
                    verdict_name(c->worst));
            if (c->example && c->example->has_finding) {
                xml_str(f, c->example->finding.tool);
                fputc(' ', f);
                xml_str(f, c->example->finding.kind);
            } else if (c->example && c->example->n_sites) {
                fputs("site ", f);
                xml_str(f, c->example->sites[0].site);
            }
            fprintf(f, "</small><small>%s%s</small></td>",
                    c->required == V_NOT_RUN ? "nothing required" : "required: ",
                    c->required == V_NOT_RUN ? ""
                    : c->caught              ? verdict_name(c->required)
                                             : "MISSED");
        }
        fprintf(f, "</tr>\n");
        while (i < res->n_cells && !strcmp(res->cells[i].fault, fault))
            i++;
    }
    fprintf(f, "</table></div>\n");
}

static void section_sweeps(FILE *f, const SoakResult *res)
{
    int any = 0;
    for (int i = 0; i < res->n_sweeps; i++)
        any |= res->sweeps[i].points >= 2;
    fprintf(f, "<h2>Across the sweep</h2>\n");
    if (!any) {
        fprintf(f, "<p>No mode has two FLAT runs of different counts: there is no peak-against-count line to "
                   "fit.</p>\n");
        return;
    }
    fprintf(
        f,
        "<div class=\"scroll\"><table><tr><th>mode</th><th>fault</th><th>counts</th><th>peak RSS slope</th>"
        "<th>growth over the sweep</th><th>verdict</th></tr>\n");
    for (int i = 0; i < res->n_sweeps; i++) {
        const Sweep *s = &res->sweeps[i];
        if (s->points < 2)
            continue;
        fprintf(f, "<tr><td>%s</td><td>", mode_name(s->mode));
        xml_str(f, s->fault);
        fprintf(f,
                "</td><td>%d</td><td>%.2f B/iteration</td><td>%.0f KiB</td><td "
                "style=\"background:%s\">%s%s</td></tr>\n",
                s->points, s->slope, s->growth / 1024.0,
                !s->judged   ? "#eeeeee"
                : s->growing ? "#ffe0b2"
                             : "#d4f4dd",
                !s->judged   ? "not judged: "
                : s->growing ? "GROWING"
                             : "FLAT",
                s->why_not_judged);
    }
    fprintf(f, "</table></div>\n");
}

/* What the soak could see (docs/soak.md, "Sensitivity") and each mode's control ("Controls"). */
static void section_controls(FILE *f, const SoakResult *res)
{
    char sens[200];
    words_sensitivity(res->sensitive, 1, sens, sizeof sens);
    fprintf(f, "<h2>How flat is flat</h2>\n<p>");
    if (sens[0]) {
        fprintf(f, "Where the runs are FLAT: ");
        xml_str(f, sens);
        fprintf(f, ". ");
    }
    fprintf(f, "Each FLAT cell above says the smallest growth its run would have caught.</p>\n");
    if (!res->n_controls) {
        fprintf(f, "<p>No control runs%s.</p>\n",
                strcmp(res->config, "cmd") ? " (this engine's workload: its fault builds are its controls)"
                                           : "");
        return;
    }
    fprintf(
        f, "<div "
           "class=\"scroll\"><table><tr><th>control</th><th>planted</th><th>seen</th><th>result</th></tr>\n");
    for (int i = 0; i < res->n_controls; i++) {
        const Run *c = &res->controls[i];
        fprintf(f, "<tr><td><a href=\"runs/");
        xml_str(f, c->name);
        fprintf(f, "/\">%s %ld</a></td><td>%.0f B/%s%s</td><td>%.0f</td><td style=\"background:%s\">",
                mode_name(c->mode), c->iters, c->control_planted, run_step_word(c),
                c->control_ms ? " (by time)" : "", c->control_seen,
                c->control_caught ? "#d4f4dd"
                : c->control == 2 ? "#eeeeee"
                                  : "#ffcdd2");
        xml_str(f, c->control_why);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table></div>\n");
}

static void section_baseline(FILE *f, const SoakResult *res)
{
    const BaselineCompare *b = &res->base;
    if (!b->path)
        return;
    fprintf(f, "<h2>Against the baseline</h2>\n<p><code>");
    xml_str(f, b->path);
    fprintf(f, "</code>: %d runs compared (peak memory may rise %.0f%%, time per iteration %.0f%%)",
            b->matched, b->peak_pct, b->time_pct);
    for (int i = 0; i < b->n_unmatched && i < 16; i++) {
        fprintf(f, "%s<code>", i ? ", " : "; without a counterpart there: ");
        xml_str(f, b->unmatched[i]);
        fprintf(f, "</code>");
    }
    fprintf(f, ".</p>\n");
    for (int i = 0; i < b->n_regressions; i++) {
        fprintf(f, "%s", i ? "<br>" : "<p><b>Regressions:</b><br>");
        xml_str(f, b->regressions[i]);
    }
    if (b->n_regressions)
        fprintf(f, "</p>\n");
}

static void section_charts(FILE *f, const Charts *cs)
{
    fprintf(f, "<h2>Charts</h2>\n");
    for (int i = 0; i < cs->n; i++) {
        const Chart *c = &cs->list[i];
        if (!strncmp(c->file, "problem-", 8))
            continue; /* shown in its diagnosis entry */
        /* div/p rather than figure/figcaption: HTML4 parsers (xmllint --html) accept it too */
        fprintf(f, "<div class=\"fig\"><a href=\"charts/%s.svg\"><img src=\"charts/%s.png\" alt=\"", c->file,
                c->file);
        xml_str(f, c->title);
        fprintf(f, "\"></a><p class=\"cap\">");
        xml_str(f, c->caption);
        fprintf(f, " (<a href=\"charts/%s.svg\">SVG</a>)</p></div>\n", c->file);
    }
}

static void section_commands(FILE *f, const SoakResult *res)
{
    fprintf(f, "<h2>Runs and how to reproduce them</h2>\n<div "
               "class=\"scroll\"><table><tr><th>run</th><th>verdict</th>"
               "<th>wall s</th><th>command</th></tr>\n");
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        const char *cmd = r->command;
        fprintf(f, "<tr><td><a href=\"runs/");
        xml_str(f, r->name);
        fprintf(f, "/\">");
        xml_str(f, r->name);
        fprintf(f, "</a></td><td>%s</td><td>%.1f</td><td><code>", verdict_name(r->verdict), r->wall_s);
        xml_str(f, cmd ? cmd : "");
        fprintf(f, "</code></td></tr>\n");
    }
    fprintf(f, "</table></div>\n");
}

static void section_environment(FILE *f, const char *dir)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/env.txt", dir);
    char *env = read_file(path, 1 << 20, NULL);
    fprintf(f, "<h2>Environment</h2>\n<pre>");
    xml_str(f, env ? env : "(no env.txt: this folder was not written by soak)");
    fprintf(f, "</pre>\n</body></html>\n");
    free(env);
}

int report_write(const SoakResult *res, const char *dir, const char *templates, char *err, size_t errlen)
{
    Charts *cs = calloc(1, sizeof *cs);
    if (!cs) {
        snprintf(err, errlen, "out of memory drawing the charts");
        return -1;
    }
    OutFile of;
    FILE *f = charts_draw(cs, res, dir, templates, err, errlen) == 0
                  ? outfile_open_in(&of, dir, "index.html", err, errlen)
                  : NULL;
    if (!f) {
        free(cs);
        return -1;
    }
    section_banner(f, res);
    report_diagnosis_section(f, res, dir, cs);
    section_verdicts(f, res);
    section_matrix(f, res);
    section_sweeps(f, res);
    section_controls(f, res);
    section_baseline(f, res);
    report_coverage_section(f, dir);
    section_charts(f, cs);
    section_commands(f, res);
    section_environment(f, dir);
    free(cs);
    return outfile_finish(&of, err, errlen);
}
