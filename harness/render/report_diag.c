#include "report_diag.h"

#include "attrib.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profiles.h"
#include "report_flame.h"
#include "util.h"
#include "xml.h"
#include "words.h"

/* The first lines of a tool log around its report (the judge's excerpt), escaped. */
static void excerpt(FILE *f, const Run *r)
{
    if (!r->excerpt)
        return;
    fprintf(f, "<pre>");
    xml_str(f, r->excerpt);
    fprintf(f, "</pre><p><a href=\"runs/");
    xml_str(f, r->name);
    fprintf(f, "/%s\">full log</a></p>\n", mode_spec(r->mode)->log);
}

static void finding_of(FILE *f, const Run *r)
{
    char label[160];
    run_label(r, label, sizeof label);
    fprintf(f, "<h4>");
    xml_str(f, label);
    fprintf(f, ": %s</h4>\n<p>", verdict_name(r->verdict));
    char detail[RUN_DETAIL_MAX];
    run_detail(r, detail, sizeof detail);
    xml_str(f, detail);
    fprintf(f, "</p>\n");
    if (r->has_finding) {
        fprintf(f, "<p>");
        xml_str(f, r->finding.tool);
        fprintf(f, " <b>");
        xml_str(f, r->finding.kind);
        fprintf(f, "</b>");
        for (int k = 0; k < r->finding.n_frames; k++) {
            fprintf(f, "<br>&nbsp;&nbsp;at <code>");
            xml_str(f, r->finding.frames[k]);
            fprintf(f, "</code>");
        }
        fprintf(f, "</p>\n");
        excerpt(f, r);
    }
    for (int k = 0; k < r->n_sites; k++) {
        fprintf(f, "%s<code>", k ? ", " : "<p>growing sites: ");
        xml_str(f, r->sites[k].site);
        fprintf(f, "</code> %.1f B/iteration", r->sites[k].score);
    }
    if (r->n_sites)
        fprintf(f, "</p>\n");
}

/* One row of an entry's table of facts; value escaped. */
static void fact(FILE *f, const char *name, const char *value)
{
    if (!value[0])
        return;
    fprintf(f, "<tr><th>%s</th><td>", name);
    xml_str(f, value);
    fprintf(f, "</td></tr>\n");
}

static void facts(FILE *f, const Diagnosis *d, const Problem *p)
{
    char buf[600];
    fprintf(f, "<table class=\"facts\">\n");
    words_rate(p, buf, sizeof buf);
    if (isnan(p->rate) && !isnan(p->once_bytes))
        strncat(buf, ": it does not grow with training", sizeof buf - strlen(buf) - 1);
    fact(f, "How fast", buf);
    words_projection(p, buf, sizeof buf);
    fact(f, "Projection", buf);
    words_problem_detail(p, buf, sizeof buf);
    fact(f, "Measured", buf);
    fact(f, "Engine site", p->site);
    words_modes(p->seen, buf, sizeof buf);
    fact(f, "Seen by", buf);
    if (p->blind) {
        fprintf(f, "<tr><th>Not seen by</th><td>");
        for (int m = 0; m < MODE_COUNT; m++)
            if (p->blind & (1u << m))
                fprintf(f, "<b>%s</b>: %s<br>", mode_name((Mode)m), mode_blind_reason((Mode)m, p->kind));
        fprintf(f, "</td></tr>\n");
    }
    if (p->n_frames) {
        fprintf(f, "<tr><th>Top frames</th><td>");
        for (int k = 0; k < p->n_frames; k++) {
            fprintf(f, "%s<code>", k ? "<br>called from " : "");
            xml_str(f, p->frames[k]);
            fprintf(f, "</code>");
        }
        fprintf(f, "</td></tr>\n");
    }
    if (d->first_bad[0]) {
        snprintf(buf, sizeof buf, "%.12s %s (harness/bisect)", d->first_bad, d->first_bad_subject);
        fact(f, "First bad commit", buf);
    }
    fact(f, "Fails the soak",
         p->fails      ? "yes"
         : p->expected ? "no: the fault build shows what it was built to show"
                       : "no (a one-time leak fails only with --strict-leaks)");
    fprintf(f, "</table>\n");
}

/* The stacks that grew in the problem's largest jemalloc run, and their flame graph. */
static void stacks(FILE *f, const Problem *p, int index, const char *dir)
{
    const Run *r = p->stacks;
    if (!r)
        return;
    fprintf(f, "<p><b>Growth by call stack</b> (%s <a href=\"runs/",
            r->stacks_mapped   ? "the mappings the program made, recorded in"
            : r->python_traced ? "lines of Python from tracemalloc's snapshots and native stacks from "
                                 "jemalloc's heap profiles of"
                               : "jemalloc's heap profiles of");
    xml_str(f, r->name);
    fprintf(f, "/\">");
    xml_str(f, r->name);
    fprintf(f,
            "</a>, after warm-up against the end):</p>\n<div "
            "class=\"scroll\"><table><tr><th>function</th><th>where</th>"
            "<th>bytes/%s (%s)</th><th>share</th><th>called from</th></tr>\n",
            run_step_word(r),
            r->stacks_mapped   ? "mapped"
            : r->python_traced ? "Python lines: traced; native: sampled"
                               : "sampled");
    for (int k = 0; k < r->n_stacks; k++) {
        const StackGrowth *g = &r->stacks[k];
        fprintf(f, "<tr><td><code>");
        xml_str(f, g->function);
        fprintf(f, "</code></td><td>");
        xml_str(f, g->where[0] ? g->where : "?");
        if (g->python) { /* a line of Python: its source under its place */
            fprintf(f, "<br><code>");
            xml_str(f, g->code);
            fprintf(f, "</code>");
        } else if (r->python_traced) {
            fprintf(f, g->traced ? " <small>(traced by tracemalloc too)</small>"
                                 : " <small>(outside Python's allocators)</small>");
        }
        fprintf(f, "</td><td>%.1f</td><td>%.0f%%</td><td>", g->bytes_per_iter, 100 * g->share);
        char callers[400];
        stack_callers_line(g, callers, sizeof callers);
        xml_str(f, callers);
        fprintf(f, "</td></tr>\n");
    }
    fprintf(f, "</table></div>\n");
    profiles_links(
        f, r, "<p>The same growth in the formats other tools read (docs/reports.md): ",
        ". Read them with <code>go tool pprof -top growth.pb.gz</code>, <code>go tool pprof -diff_base "
        "heap-early.pb.gz heap-late.pb.gz</code>, Pyroscope or Parca; open the last at "
        "speedscope.app.</p>\n");
    char out[PATH_MAX + 32], title[200], err[512], line[300], src[PATH_MAX + 16], in[PATH_MAX + 64];
    run_source_dir(r, src, sizeof src);
    /* a line of Python: its tracebacks (flatmem_pytrace.py), the line's frame "f file.py:N" in red */
    const char *base = path_last(p->location);
    snprintf(line, sizeof line, "%s %s", p->function, base);
    const char *folded = p->python ? r->py_folded : r->heap ? r->heap->folded : NULL;
    snprintf(out, sizeof out, "%s/charts/flame-%d.svg", dir, index);
    snprintf(title, sizeof title, "Problem %d: memory grown by %s, %s", index,
             p->python ? "Python traceback" : "call stack", r->name);
    snprintf(in, sizeof in, "%s/%s", src, p->python ? "pygrowth.collapsed" : "growth.collapsed");
    int n = flame_write(folded, in, out, title, p->python ? line : p->function, err, sizeof err);
    if (n > 0)
        fprintf(
            f,
            "<div class=\"fig\"><a href=\"charts/flame-%d.svg\"><img src=\"charts/flame-%d.svg\" alt=\"flame "
            "graph of the memory that grew\"></a><p class=\"cap\">Flame graph: each box is a function, as "
            "wide "
            "as the memory that grew below it; the root is at the bottom, the function the growth is charged "
            "to "
            "is red, allocator frames grey. Open it on its own to read every box on hover.</p></div>\n",
            index, index);
    else if (n < 0) {
        fprintf(f, "<p>No flame graph: ");
        xml_str(f, err);
        fprintf(f, "</p>\n");
    }
}

static void chart_of(FILE *f, const Charts *cs, int index)
{
    char name[32];
    snprintf(name, sizeof name, "problem-%d", index);
    for (int i = 0; i < cs->n; i++)
        if (!strcmp(cs->list[i].file, name)) {
            fprintf(f, "<div class=\"fig\"><a href=\"charts/%s.svg\"><img src=\"charts/%s.png\" alt=\"", name,
                    name);
            xml_str(f, cs->list[i].title);
            fprintf(f, "\"></a><p class=\"cap\">Over time: ");
            xml_str(f, cs->list[i].title);
            fprintf(f, ".</p></div>\n");
        }
}

static void problem(FILE *f, const SoakResult *res, const Problem *p, int index, const char *dir,
                    const Charts *cs)
{
    fprintf(f, "<div class=\"problem%s\" id=\"problem-%d\"><h3>%d. %s", p->fails ? "" : " quiet", index,
            index, kind_name(p->kind));
    if (p->function[0]) {
        fprintf(f, " in <code>");
        xml_str(f, p->function);
        fprintf(f, "</code>");
    }
    if (p->location[0]) {
        fprintf(f, " <small>");
        xml_str(f, p->location);
        fprintf(f, "</small>");
    }
    if (!p->function[0] && p->site[0]) {
        fprintf(f, " at site <code>");
        xml_str(f, p->site);
        fprintf(f, "</code>");
    }
    if (strcmp(p->fault, "none")) {
        fprintf(f, " <small>fault build ");
        xml_str(f, p->fault);
        fprintf(f, "</small>");
    }
    fprintf(f, "</h3>\n<p class=\"meaning\">");
    xml_str(f, kind_words(p->kind));
    fprintf(f, "</p>\n");
    if (p->python && p->code[0]) {
        fprintf(f, "<p>The line of Python that keeps it (named by tracemalloc):</p><pre class=\"code\">");
        xml_str(f, p->location);
        fprintf(f, ": ");
        xml_str(f, p->code);
        fprintf(f, "</pre>\n");
    }
    if (p->outside_python)
        fprintf(f, "<p>Outside Python's allocators: tracemalloc did not trace this memory (a C extension's "
                   "own <code>malloc</code>), so it is named by its native stack from jemalloc's heap "
                   "profiles.</p>\n");
    facts(f, &res->diag, p);
    chart_of(f, cs, index);
    stacks(f, p, index, dir);
    if (p->n_runs) {
        fprintf(f, "<details><summary>The evidence: %d run%s (", p->n_runs, p->n_runs > 1 ? "s" : "");
        for (int k = 0; k < p->n_runs; k++) {
            fprintf(f, "%s", k ? ", " : "");
            xml_str(f, p->runs[k]->name);
        }
        fprintf(f, ")</summary>\n");
        for (int k = 0; k < p->n_runs; k++)
            finding_of(f, p->runs[k]);
        fprintf(f, "</details>\n");
    }
    fprintf(f, "</div>\n");
}

void report_diagnosis_section(FILE *f, const SoakResult *res, const char *dir, const Charts *cs)
{
    const Diagnosis *d = &res->diag;
    fprintf(f, "<h2 id=\"diagnosis\">Diagnosis</h2>\n");
    if (!d->n) {
        char none[240];
        words_no_problem(res, none, sizeof none);
        fprintf(f, "<p class=\"clean\">No problem found: %s.</p>\n", none);
        return;
    }
    int failing = 0;
    for (int i = 0; i < d->n; i++)
        failing += d->list[i].fails;
    fprintf(f,
            "<p>%d problem%s, %d of them failing the soak; the evidence of every mode and count that points "
            "at the "
            "same place is one entry.%s</p>\n",
            d->n, d->n > 1 ? "s" : "", failing,
            d->dropped ? " More were found than are shown: see summary.json." : "");
    for (int i = 0; i < d->n; i++)
        problem(f, res, &d->list[i], i + 1, dir, cs);
}
