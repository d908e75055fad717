#include "histpage.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "argv.h"
#include "outfile.h"
#include "util.h"
#include "xml.h"

#define CHART_W 1000
#define CHART_H 420

void hist_commit_words(const HistCommit *c, char *out, size_t cap)
{
    snprintf(out, cap, "%.10s \"%.60s%s\"", c->sha, c->subject, strlen(c->subject) > 60 ? "..." : "");
}

/* "+30.6% (6.5 MiB -> 8.5 MiB)" */
static void change_words(HistFigure f, const ChangePoint *cp, char *out, size_t cap)
{
    char a[32], b[32];
    hist_figure_fmt(f, cp->before, a, sizeof a);
    hist_figure_fmt(f, cp->after, b, sizeof b);
    if (fabs(cp->before) > 1e-12)
        snprintf(out, cap, "%+.1f%% (%s -> %s)", 100 * (cp->after - cp->before) / fabs(cp->before), a, b);
    else
        snprintf(out, cap, "%s -> %s", a, b);
}

/* "66 KiB, repeats" */
static void noise_words(HistFigure f, const CpNoise *n, char *out, size_t cap)
{
    char v[32];
    hist_figure_fmt(f, n->sigma, v, sizeof v);
    const char *from = isfinite(n->within) && n->within >= n->sigma     ? "repeated soaks"
                       : isfinite(n->between) && n->between >= n->sigma ? "between commits"
                                                                        : "resolution";
    snprintf(out, cap, "%s (%s)", v, from);
}

static void series_name(const HistSeriesOut *s, char *out, size_t cap)
{
    snprintf(out, cap, "%s %s %ld", s->workload, s->mode, s->count);
}

/* The range to bisect for a regression, in words. */
static void range_words(const HistReport *r, const HistRegression *g, char *out, size_t cap)
{
    const HistCommit *good = &r->commits[g->good], *bad = &r->commits[g->at];
    if (!strcmp(bad->parent, good->sha))
        snprintf(out, cap, "%.10s..%.10s (its parent was soaked: it is the commit, nothing to bisect)",
                 good->sha, bad->sha);
    else
        snprintf(out, cap, "%.10s..%.10s (`soak history --bisect`, or `soak bisect %.10s %.10s --figure %s`)",
                 good->sha, bad->sha, good->sha, bad->sha, hist_figure_name(r->series[g->series[0]].fig));
}

void hist_print(FILE *f, const HistData *d, const HistReport *r, const char *db)
{
    fprintf(f, "%s: %d soak%s of %d commit%s, in %s", db, d->n_soaks, d->n_soaks == 1 ? "" : "s",
            r->n_commits, r->n_commits == 1 ? "" : "s", r->order_from);
    if (r->dirty_left || r->off_line_left)
        fprintf(f, "; left out: %d of a dirty tree, %d of commits off that line", r->dirty_left,
                r->off_line_left);
    int ww = 8; /* the workload column: as wide as the widest, up to 40 */
    for (int i = 0; i < r->n_series; i++)
        ww = (int)strlen(r->series[i].workload) > ww ? (int)strlen(r->series[i].workload) : ww;
    ww = ww > 40 ? 40 : ww;
    fprintf(f, "\n\n%-*s %-9s %7s %-6s %7s %-14s %-32s %s\n", ww, "workload", "mode", "count", "figure",
            "commits", "newest", "noise", "change points (at the first commit after the step)");
    for (int i = 0; i < r->n_series; i++) {
        const HistSeriesOut *s = &r->series[i];
        char newest[32], noise[64];
        hist_figure_fmt(s->fig, s->n ? s->vals[s->start[s->n] - 1] : NAN, newest, sizeof newest);
        noise_words(s->fig, &s->noise, noise, sizeof noise);
        fprintf(f, "%-*.*s %-9s %7ld %-6s %7d %-14s %-32s", ww, ww, s->workload, s->mode, s->count,
                hist_figure_name(s->fig), s->n, newest, noise);
        if (!s->n_cps)
            fprintf(f, " none");
        for (int k = 0; k < s->n_cps; k++) {
            char ch[96], cw[120];
            change_words(s->fig, &s->cps[k], ch, sizeof ch);
            hist_commit_words(&r->commits[s->commit[s->cps[k].at]], cw, sizeof cw);
            fprintf(f, "%s%s at %s (z %.0f)%s", k ? "; " : " ", ch, cw, fabs(s->cps[k].z),
                    s->cps[k].held ? " HELD" : "");
        }
        fputc('\n', f);
    }
    if (!r->n_regs) {
        fprintf(f, "\nno regression: no figure of the newest commits is above its level before a step\n");
        return;
    }
    fprintf(f, "\nregressions the newest commits hold (%d):\n", r->n_regs);
    for (int i = 0; i < r->n_regs; i++) {
        const HistRegression *g = &r->regs[i];
        char cw[120], range[300];
        hist_commit_words(&r->commits[g->at], cw, sizeof cw);
        fprintf(f, "  %s:", cw);
        for (int k = 0; k < g->n_series; k++) {
            const HistSeriesOut *s = &r->series[g->series[k]];
            char ch[96], nm[560];
            change_words(s->fig, &s->cps[g->cp[k]], ch, sizeof ch);
            series_name(s, nm, sizeof nm);
            fprintf(f, "%s %s %s in %s", k ? "," : "", hist_figure_name(s->fig), ch, nm);
        }
        range_words(r, g, range, sizeof range);
        fprintf(f, "\n    range to bisect: %s\n", range);
    }
}

/* The series of one chart: one workload, mode and figure (a line per count). */
typedef struct Group {
    int first; /* a series of it */
    int members[16];
    int n;
} Group;

static int make_groups(const HistReport *r, Group *g, int cap)
{
    int n = 0;
    for (int i = 0; i < r->n_series; i++) {
        const HistSeriesOut *s = &r->series[i];
        int at = -1;
        for (int k = 0; k < n && at < 0; k++) {
            const HistSeriesOut *t = &r->series[g[k].first];
            if (t->fig == s->fig && !strcmp(t->mode, s->mode) && !strcmp(t->workload, s->workload))
                at = k;
        }
        if (at < 0 && n < cap)
            g[at = n++] = (Group){.first = i};
        if (at >= 0 && g[at].n < 16)
            g[at].members[g[at].n++] = i;
    }
    return n;
}

static double scaled(HistFigure f, double v)
{
    return f == FIG_PEAK ? v / MIB : v;
}

static const char *y_label(HistFigure f)
{
    return f == FIG_PEAK ? "peak RSS, MiB" : f == FIG_RATE ? "growth, bytes per step" : "time, ms per step";
}

/* The chart's data (blocks per count), and the gnuplot variables for it. */
static int chart_data(const HistReport *r, const Group *g, const char *csv, char *vars, size_t cap,
                      char *marks, size_t mcap)
{
    OutFile of;
    FILE *f = outfile_open(&of, csv);
    if (!f)
        return -1;
    char counts[512] = "", cps[512] = "", labels[1024] = "";
    size_t nc = 0, np = 0, nl = 0;
    int marked[64], n_marked = 0;
    for (int m = 0; m < g->n; m++) {
        const HistSeriesOut *s = &r->series[g->members[m]];
        for (int k = 0; k < s->n; k++)
            for (int i = s->start[k]; i < s->start[k + 1]; i++)
                fprintf(f, "%d,%.6g\n", s->commit[k], scaled(s->fig, s->vals[i]));
        fprintf(f, "\n\n");
        nc += (size_t)snprintf(counts + nc, sizeof counts - nc, "%s%ld", m ? " " : "", s->count);
        for (int k = 0; k < s->n_cps && np < sizeof cps - 16 && nl < sizeof labels - 40; k++) {
            const ChangePoint *cp = &s->cps[k];
            int at = s->commit[cp->at], dup = 0;
            for (int j = 0; j < n_marked && !dup; j++) /* one mark a commit, whichever count saw it */
                dup = marked[j] == at;
            if (dup || n_marked == (int)(sizeof marked / sizeof marked[0]))
                continue;
            marked[n_marked++] = at;
            np += (size_t)snprintf(cps + np, sizeof cps - np, "%s%d", np ? " " : "", at);
            char size[32]; /* one word: gnuplot splits the labels at blanks */
            if (fabs(cp->before) > 1e-12)
                snprintf(size, sizeof size, "%+.0f%%", 100 * (cp->after - cp->before) / fabs(cp->before));
            else
                snprintf(size, sizeof size, "%+.4g%s", scaled(s->fig, cp->after - cp->before),
                         s->fig == FIG_PEAK   ? "MiB"
                         : s->fig == FIG_RATE ? "B/step"
                                              : "ms");
            nl += (size_t)snprintf(labels + nl, sizeof labels - nl, "%s%.7s:%s", nl ? " " : "",
                                   r->commits[at].sha, size);
        }
        if (nc >= sizeof counts)
            break;
    }
    if (outfile_commit(&of) != 0)
        return -1;
    snprintf(marks, mcap, "%s", labels);
    size_t n = (size_t)snprintf(vars, cap, "xtics_cmd=\"set xtics (");
    int every = r->n_commits > 40 ? (r->n_commits + 39) / 40 : 1;
    for (int c = 0; c < r->n_commits && n < cap - 64; c += every)
        n += (size_t)snprintf(vars + n, cap - n, "%s'%.7s' %d", c ? ", " : "", r->commits[c].sha, c);
    snprintf(vars + n, cap - n,
             ")\"; counts='%s'; cps='%s'; cplabels='%s'; n=%d; ylabel='%s'; height=%d; width=%d", counts, cps,
             labels, r->n_commits, y_label(r->series[g->first].fig), CHART_H, CHART_W);
    return 0;
}

static int run_gnuplot(const char *templates, const char *png, const char *csv, const char *map,
                       const char *title, const char *vars, const char *log)
{
    char e[32768];
    int len = snprintf(e, sizeof e,
                       "term='png'; outfile='%s'; title='%s'; dir='%s'; datafile='%s'; mapfile='%s'; %s", png,
                       title, templates, csv, map, vars);
    if (len < 0 || (size_t)len >= sizeof e)
        return -1;
    char script[PATH_MAX + 16];
    snprintf(script, sizeof script, "%s/history.gp", templates);
    Argv *a = argv_new();
    argv_add(a, "gnuplot");
    argv_add(a, "-e");
    argv_add(a, "%s", e);
    argv_add(a, "%s", script);
    int st = argv_run(a, NULL, log, 1);
    argv_free(a);
    return st;
}

/* The image map of a chart: a circle per point, linking to its soak's report. */
static void write_map(FILE *f, const HistData *d, const HistReport *r, const Group *g, int id,
                      const char *mapfile, const char *out)
{
    double tx0, tx1, ty0, ty1, x0, x1, y0, y1;
    FILE *m = fopen(mapfile, "r");
    int ok =
        m && fscanf(m, "%lf %lf %lf %lf %lf %lf %lf %lf", &tx0, &tx1, &ty0, &ty1, &x0, &x1, &y0, &y1) == 8;
    if (m)
        fclose(m);
    fprintf(f, "<map name=\"m%d\">", id);
    for (int k = 0; ok && x1 > x0 && y1 > y0 && k < g->n; k++) {
        const HistSeriesOut *s = &r->series[g->members[k]];
        for (int c = 0; c < s->n; c++)
            for (int i = s->start[c]; i < s->start[c + 1]; i++) {
                const HistSoak *soak = hist_soak(d, s->soaks[i]);
                if (!soak || !soak->report[0])
                    continue;
                double px = tx0 + (s->commit[c] - x0) / (x1 - x0) * (tx1 - tx0);
                double py = CHART_H - (ty0 + (scaled(s->fig, s->vals[i]) - y0) / (y1 - y0) * (ty1 - ty0));
                char href[PATH_MAX + 8], val[32], cw[120];
                hist_report_href(soak->report, out, href, sizeof href);
                hist_figure_fmt(s->fig, s->vals[i], val, sizeof val);
                hist_commit_words(&r->commits[s->commit[c]], cw, sizeof cw);
                fprintf(f, "<area shape=\"circle\" coords=\"%.0f,%.0f,6\" href=\"", px, py);
                xml_str(f, href);
                fprintf(f, "\" title=\"");
                xml_str(f, cw);
                fprintf(f, ", count %ld: %s\" alt=\"%s\">", s->count, val, val);
            }
    }
    fprintf(f, "</map>\n");
}

void hist_report_href(const char *report, const char *out, char *href, size_t cap)
{
    char base[PATH_MAX];
    if (report[0] != '/' || !realpath(out, base)) {
        snprintf(href, cap, "%s", report);
        return;
    }
    size_t common = 0; /* the folders both paths start with */
    for (size_t i = 0; base[i] && report[i] == base[i]; i++)
        if (report[i + 1] == '/' && (base[i + 1] == '/' || !base[i + 1]))
            common = i + 1;
    if (!strcmp(base, "/"))
        common = 0;
    size_t n = 0;
    href[0] = 0;
    for (const char *p = base + common; *p; p++)
        if (*p == '/' && n + 4 < cap)
            n += (size_t)snprintf(href + n, cap - n, "../");
    snprintf(href + n, cap - n, "%s", report + common + (report[common] == '/'));
}

static const char k_css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1100px;"
    "padding:12px;color:#222;line-height:1.4}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;"
    "border-bottom:1px solid #ddd}.banner{padding:14px;font-size:1.3em;font-weight:bold;border-radius:6px}"
    ".PASS{background:#2e7d32;color:#fff}.FAIL{background:#c62828;color:#fff}.scroll{overflow-x:auto}"
    "table{border-collapse:collapse;margin:6px 0;font-size:.92em}th,td{border:1px solid #ccc;padding:4px 8px;"
    "text-align:left;vertical-align:top}th{background:#f3f3f3}.cap{color:#444;font-size:.92em;margin:2px 0 "
    "14px}"
    "code{font-size:.9em}img.map{border:1px solid #eee;max-width:none}";

static void page_head(FILE *f, const HistData *d, const HistReport *r, const char *db)
{
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
               "content=\"width=device-width,initial-scale=1\"><title>Soak history: ");
    xml_str(f, db);
    fprintf(f, "</title><style>%s</style></head><body>\n<h1>Memory across commits</h1>\n", k_css);
    fprintf(f, "<div class=\"banner %s\">", r->n_regs ? "FAIL" : "PASS");
    if (r->n_regs)
        fprintf(f, "%d regression%s the newest commits hold", r->n_regs, r->n_regs > 1 ? "s" : "");
    else
        fprintf(f, "no regression held at the newest commits");
    fprintf(f, "</div>\n<p>");
    xml_str(f, db);
    fprintf(f, ": %d soaks of %d commits, in the ", d->n_soaks, r->n_commits);
    xml_str(f, r->order_from);
    fprintf(f,
            "; left out: %d soaks of a dirty tree, %d of commits off that line. A change point is a step "
            "between two commits that stands out of the noise measured in this history (docs/history.md); "
            "each point of a chart links to its soak's report.</p>\n",
            r->dirty_left, r->off_line_left);
}

static void page_regressions(FILE *f, const HistReport *r)
{
    if (!r->n_regs)
        return;
    fprintf(f,
            "<h2>Regressions the newest commits hold</h2>\n<div class=\"scroll\"><table><tr><th>first commit "
            "after the step</th><th>what changed</th><th>range to bisect</th></tr>\n");
    for (int i = 0; i < r->n_regs; i++) {
        const HistRegression *g = &r->regs[i];
        char cw[120], range[300];
        hist_commit_words(&r->commits[g->at], cw, sizeof cw);
        range_words(r, g, range, sizeof range);
        fprintf(f, "<tr><td><code>");
        xml_str(f, cw);
        fprintf(f, "</code></td><td>");
        for (int k = 0; k < g->n_series; k++) {
            const HistSeriesOut *s = &r->series[g->series[k]];
            char ch[96], nm[560];
            change_words(s->fig, &s->cps[g->cp[k]], ch, sizeof ch);
            series_name(s, nm, sizeof nm);
            fprintf(f, "%s%s ", k ? "<br>" : "", hist_figure_name(s->fig));
            xml_str(f, ch);
            fprintf(f, " in ");
            xml_str(f, nm);
        }
        fprintf(f, "</td><td><code>");
        xml_str(f, range);
        fprintf(f, "</code></td></tr>\n");
    }
    fprintf(f, "</table></div>\n");
}

static void page_commits(FILE *f, const HistData *d, const HistReport *r, const char *out)
{
    fprintf(f, "<h2>Commits</h2>\n<div class=\"scroll\"><table><tr><th>#</th><th>commit</th><th>subject</th>"
               "<th>soaks</th><th>newest soak</th></tr>\n");
    for (int c = r->n_commits - 1; c >= 0; c--) {
        const HistCommit *k = &r->commits[c];
        const HistSoak *s = hist_soak(d, k->soak);
        fprintf(f, "<tr><td>%d</td><td><code>%.10s</code></td><td>", c, k->sha);
        xml_str(f, k->subject);
        fprintf(f, "</td><td>%d</td><td>", k->n_soaks);
        if (s && s->report[0]) {
            char href[PATH_MAX + 8];
            hist_report_href(s->report, out, href, sizeof href);
            fprintf(f, "<a href=\"");
            xml_str(f, href);
            fprintf(f, "\">%s</a> ", s->overall);
        } else if (s)
            fprintf(f, "%s ", s->overall);
        if (s)
            xml_str(f, s->recorded);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table></div>\n");
}

/* A chart per group, with its map. */
static int page_charts(FILE *f, const HistData *d, const HistReport *r, const char *out,
                       const char *templates, char *err, size_t cap)
{
    Group groups[128];
    int ng = make_groups(r, groups, 128);
    char charts[PATH_MAX];
    snprintf(charts, sizeof charts, "%s/charts", out);
    if (mkdir_p(charts) != 0) {
        snprintf(err, cap, "%s: cannot create", charts);
        return -1;
    }
    fprintf(f, "<h2>Figures over commits</h2>\n");
    for (int i = 0; i < ng; i++) {
        const HistSeriesOut *s = &r->series[groups[i].first];
        char csv[PATH_MAX + 32], png[PATH_MAX + 32], map[PATH_MAX + 32], log[PATH_MAX + 32], vars[12288];
        char title[640], marks[1024];
        snprintf(csv, sizeof csv, "%s/chart-%d.csv", charts, i);
        snprintf(png, sizeof png, "%s/chart-%d.png", charts, i);
        snprintf(map, sizeof map, "%s/chart-%d.map", charts, i);
        snprintf(log, sizeof log, "%s/gnuplot.log", charts);
        snprintf(title, sizeof title, "%s: %s, %s mode, by count", hist_figure_name(s->fig), s->workload,
                 s->mode);
        for (char *q = title; *q; q++)
            if (*q == '\'' || *q == '\\' || *q == '"')
                *q = ' ';
        if (chart_data(r, &groups[i], csv, vars, sizeof vars, marks, sizeof marks) != 0 ||
            run_gnuplot(templates, png, csv, map, title, vars, log) != 0) {
            snprintf(err, cap, "%s: gnuplot could not draw it (is gnuplot installed? see %s)", png, log);
            return -1;
        }
        fprintf(
            f,
            "<div class=\"scroll\"><img class=\"map\" src=\"charts/chart-%d.png\" width=\"%d\" height=\"%d\" "
            "usemap=\"#m%d\" alt=\"",
            i, CHART_W, CHART_H, i);
        xml_str(f, title);
        fprintf(f, "\">");
        write_map(f, d, r, &groups[i], i, map, out);
        fprintf(f, "</div><p class=\"cap\">");
        xml_str(f, title);
        fprintf(f,
                ". Each count a line; a dashed red line: a change point, at the first commit after the step "
                "(its size against the level before). Marked: ");
        xml_str(f, marks[0] ? marks : "none");
        fprintf(f, ".</p>\n");
    }
    return 0;
}

int hist_write_page(const HistData *d, const HistReport *r, const char *db, const char *out,
                    const char *templates, char *err, size_t cap)
{
    if (mkdir_p(out) != 0) {
        snprintf(err, cap, "--out %s: cannot create", out);
        return -1;
    }
    OutFile of;
    FILE *f = outfile_open_in(&of, out, "index.html", err, cap);
    if (!f)
        return -1;
    page_head(f, d, r, db);
    page_regressions(f, r);
    if (page_charts(f, d, r, out, templates, err, cap) != 0) {
        outfile_abort(&of);
        return -1;
    }
    page_commits(f, d, r, out);
    fprintf(f, "</body></html>\n");
    if (outfile_commit(&of) != 0) {
        snprintf(err, cap, "%s/index.html: cannot be written", out);
        return -1;
    }
    return 0;
}
