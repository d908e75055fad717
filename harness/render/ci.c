#include "ci.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "result.h"
#include "util.h"
#include "words.h"

void ci_escape(const char *in, char *out, size_t cap, int escape_props)
{
    size_t n = 0;
    for (const char *p = in; *p && n + 4 < cap; p++) {
        const char *enc = *p == '%' ? "%25" : *p == '\r' ? "%0D" : *p == '\n' ? "%0A" : NULL;
        if (escape_props && !enc)
            enc = *p == ':' ? "%3A" : *p == ',' ? "%2C" : NULL;
        if (enc) {
            memcpy(out + n, enc, 3);
            n += 3;
        } else
            out[n++] = *p;
    }
    out[n] = 0;
}

/* "engine/ops.c:412" -> file relative to the workspace (or the current folder), line. 1
 * when the location has both. */
static int split_location(const char *loc, char *file, size_t cap, long *line)
{
    const char *colon = strrchr(loc, ':');
    char *end;
    if (!colon || colon == loc || (*line = strtol(colon + 1, &end, 10)) <= 0 || *end)
        return 0;
    char cwd[PATH_MAX];
    const char *ws = getenv("GITHUB_WORKSPACE");
    const char *root = ws && *ws ? ws : getcwd(cwd, sizeof cwd);
    size_t rl = root ? strlen(root) : 0;
    const char *f = loc;
    if (rl && !strncmp(loc, root, rl) && loc[rl] == '/')
        f = loc + rl + 1;
    snprintf(file, cap, "%.*s", (int)(colon - f), f);
    return 1;
}

void ci_annotate(const SoakResult *res, FILE *f)
{
    for (int i = 0; i < res->diag.n; i++) {
        const Problem *p = &res->diag.list[i];
        char line[700], proj[120], msg[1600], title[400], file[PATH_MAX], efile[PATH_MAX * 3 / 2];
        char detail[PROBLEM_DETAIL_MAX];
        words_problem(p, line, sizeof line);
        words_projection(p, proj, sizeof proj);
        words_problem_detail(p, detail, sizeof detail);
        snprintf(msg, sizeof msg, "%s%s%s%s%s", line, proj[0] ? "; " : "", proj, detail[0] ? "; " : "",
                 detail);
        char emsg[sizeof msg * 3], t[200];
        ci_escape(msg, emsg, sizeof emsg, 0);
        snprintf(t, sizeof t, "memory soak: %s%s%s", kind_name(p->kind), p->function[0] ? " in " : "",
                 p->function);
        ci_escape(t, title, sizeof title, 1);
        long ln = 0;
        const char *level = p->fails ? "error" : "notice";
        if (split_location(p->location, file, sizeof file, &ln)) {
            ci_escape(file, efile, sizeof efile, 1);
            fprintf(f, "::%s file=%s,line=%ld,title=%s::%s\n", level, efile, ln, title, emsg);
        } else {
            fprintf(f, "::%s title=%s::%s\n", level, title, emsg);
        }
    }
    fflush(f);
}

/* Markdown table cell: '|' escaped, line breaks as spaces. */
static void md_cell(FILE *f, const char *s)
{
    for (; *s; s++)
        *s == '|' ? fputs("\\|", f) : *s == '\n' ? fputc(' ', f) : fputc(*s, f);
}

/* A problem's row of the table. */
static void md_row(FILE *f, const Problem *p, int index)
{
    char rate[200], a[48], seen[96], blind[96];
    words_rate(p, rate, sizeof rate);
    if (!rate[0])
        snprintf(rate, sizeof rate, "-");
    words_modes(p->seen, seen, sizeof seen);
    words_modes(p->blind, blind, sizeof blind);
    fprintf(f, "| %d | **%s**", index, kind_name(p->kind));
    if (strcmp(p->fault, "none")) {
        fputs(" (fault build ", f);
        md_cell(f, p->fault);
        fputc(')', f);
    }
    fprintf(f, " | ");
    if (p->function[0]) {
        fputc('`', f);
        md_cell(f, p->function);
        fputc('`', f);
    }
    if (p->location[0]) {
        fputc(' ', f);
        md_cell(f, p->location);
    }
    if (p->site[0]) {
        fprintf(f, "%ssite `", p->function[0] ? ", " : "");
        md_cell(f, p->site);
        fputc('`', f);
    }
    if (!p->function[0] && !p->site[0])
        fputs("not named (no tool in this soak gives a place)", f);
    fprintf(f, " | %s | %s | %s | ", rate, seen, blind);
    if (!isnan(p->rate) && p->rate > 0) {
        words_amount(p, p->rate * DIAG_PROJECT_ITERS, a, sizeof a);
        fprintf(f, "+%s", a);
    } else
        fputc('-', f);
    fprintf(f, " | %s |\n", p->fails ? "yes" : "no");
}

/* A problem's paragraph under the table: meaning, measurement, frames, blind modes, commit. */
static void md_paragraph(FILE *f, const Diagnosis *d, const Problem *p, int index)
{
    fprintf(f, "\n**%d. %s**: %s.", index, kind_name(p->kind), kind_words(p->kind));
    char detail[PROBLEM_DETAIL_MAX];
    words_problem_detail(p, detail, sizeof detail);
    if (detail[0]) {
        fputc(' ', f);
        md_cell(f, detail);
        fputc('.', f);
    }
    for (int k = 0; k < p->n_frames; k++) {
        fprintf(f, "%s`", k ? " <- " : " Top frames: ");
        md_cell(f, p->frames[k]);
        fputc('`', f);
    }
    for (int m = 0; m < MODE_COUNT; m++)
        if (p->blind & (1u << m))
            fprintf(f, " Not seen by %s: %s.", mode_name((Mode)m), mode_blind_reason((Mode)m, p->kind));
    if (d->first_bad[0]) {
        fprintf(f, " First bad commit: `%.12s` ", d->first_bad);
        md_cell(f, d->first_bad_subject);
        fputc('.', f);
    }
    fputc('\n', f);
}

static void md_problems(FILE *f, const SoakResult *res)
{
    const Diagnosis *d = &res->diag;
    fprintf(f, "| # | problem | where | bytes/iteration | seen by | not seen by | at 1,000,000 iterations | "
               "fails |\n"
               "|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < d->n; i++)
        md_row(f, &d->list[i], i + 1);
    for (int i = 0; i < d->n; i++)
        md_paragraph(f, d, &d->list[i], i + 1);
}

static void md_verdicts(FILE *f, const SoakResult *res)
{
    for (int i = 0, j; i < res->n_runs; i = j) {
        for (j = i; j < res->n_runs && !strcmp(res->runs[j].fault, res->runs[i].fault); j++)
            ;
        long keys[32];
        int nk = runs_columns(res->runs + i, j - i, keys, 32);
        fprintf(f, "\n| mode");
        if (strcmp(res->runs[i].fault, "none"))
            fprintf(f, " (fault %s)", res->runs[i].fault);
        fprintf(f, " |");
        for (int k = 0; k < nk; k++)
            fprintf(f, " %ld%s |", keys[k] / 2, keys[k] % 2 ? " resumed" : "");
        fprintf(f, "\n|---|");
        for (int k = 0; k < nk; k++)
            fprintf(f, "---|");
        for (int m = 0; m < MODE_COUNT; m++) {
            int any = 0;
            for (int q = i; q < j; q++)
                any |= res->runs[q].mode == (Mode)m;
            if (!any)
                continue;
            fprintf(f, "\n| %s |", mode_name((Mode)m));
            for (int k = 0; k < nk; k++) {
                const Run *r = NULL;
                for (int q = i; q < j; q++)
                    if (res->runs[q].mode == (Mode)m && runs_column_key(&res->runs[q]) == keys[k])
                        r = &res->runs[q];
                fprintf(f, " %s |", r ? verdict_name(r->verdict) : "-");
            }
        }
        fputc('\n', f);
    }
}

int ci_write_summary_md(const SoakResult *res, const char *out, char *err, size_t errlen)
{
    OutFile of;
    FILE *f = outfile_open_in(&of, out, "summary.md", err, errlen);
    if (!f)
        return -1;
    char wall[32];
    fmt_duration(wall, sizeof wall, res->wall_s);
    fprintf(f, "## Memory soak: %s\n\n", overall_name(res->overall));
    fprintf(f, "Workload `%s`, %d runs, %s%s%.12s%s.\n\n", res->config, res->n_runs, wall,
            res->env.commit[0] ? ", commit `" : "", res->env.commit,
            res->env.commit[0] ? (res->env.dirty ? "` (dirty)" : "`") : "");
    char none[240];
    words_no_problem(res, none, sizeof none);
    if (!res->diag.n)
        fprintf(f, "No problem found: %s.\n", none);
    else
        md_problems(f, res);
    md_verdicts(f, res);
    fprintf(f, "\nThe report: `%s/index.html` (summary.json, junit.xml and the run folders beside it).\n",
            out);
    fprintf(f, "What each verdict, kind and word means: %s (%s when installed).\n", k_glossary,
            k_glossary_installed);
    return outfile_finish(&of, err, errlen);
}

int ci_step_summary(const char *out, char *err, size_t errlen)
{
    const char *dest = getenv("GITHUB_STEP_SUMMARY");
    if (!dest || !*dest)
        return 0;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/summary.md", out);
    size_t len = 0;
    char *text = read_file(path, 1 << 20, &len);
    FILE *f = text ? fopen(dest, "a") : NULL;
    int ok = f && fwrite(text, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        snprintf(err, errlen, "GITHUB_STEP_SUMMARY=%s: cannot append %s: %s", dest, path, strerror(errno));
    free(text);
    return ok ? 0 : -1;
}
