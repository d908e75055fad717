#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "evlog.h"
#include "json.h"
#include "outfile.h"
#include "report_coverage.h"
#include "samples.h"

/* ---- environment ------------------------------------------------------------------------ */

/* First line of a command's output (run with /bin/sh: fixed strings only). */
static void first_line(const char *cmd, char *out, size_t cap)
{
    out[0] = 0;
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    if (!fgets(out, (int)cap, p))
        out[0] = 0;
    pclose(p);
    out[strcspn(out, "\n")] = 0;
}

void report_capture_env(const char *dir, const char *build)
{
    char path[PATH_MAX + 16], v[512];
    snprintf(path, sizeof path, "%s/env.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    first_line("git rev-parse HEAD 2>/dev/null", v, sizeof v);
    fprintf(f, "git commit: %s\n", v[0] ? v : "(not a git checkout)");
    first_line("git status --porcelain --untracked-files=no 2>/dev/null | wc -l", v, sizeof v);
    fprintf(f, "git tree: %s\n", atoi(v) ? "dirty (uncommitted changes)" : "clean");
    first_line("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'", v, sizeof v);
    fprintf(f, "cpu: %s (%ld cores)\n", v, sysconf(_SC_NPROCESSORS_ONLN));
    first_line("dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || dpkg-query -W -f='${Version}' libopenblas-dev 2>/dev/null", v, sizeof v);
    fprintf(f, "openblas: %s\n", v[0] ? v : "unknown");
    first_line("dpkg-query -W -f='${Version}' libjemalloc2 2>/dev/null", v, sizeof v);
    fprintf(f, "jemalloc: %s\n", v[0] ? v : "unknown");
    first_line("valgrind --version 2>/dev/null", v, sizeof v);
    fprintf(f, "valgrind: %s\n", v[0] ? v : "unknown");
    time_t t = time(NULL);
    strftime(v, sizeof v, "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
    fprintf(f, "date: %s\n", v);
    static const char *const variants[] = {"release", "asan", "valgrind", "jemalloc"};
    for (int i = 0; i < 4; i++) {
        char fp[PATH_MAX + 64], line[2048];
        snprintf(fp, sizeof fp, "%s/%s/flags.txt", build, variants[i]);
        FILE *g = fopen(fp, "r");
        if (!g)
            continue;
        while (fgets(line, sizeof line, g))
            if (!strncmp(line, "cc_version:", 11) || !strncmp(line, "cflags:", 7) || !strncmp(line, "libs:", 5) ||
                !strncmp(line, "matmul:", 7))
                fprintf(f, "%s %s", variants[i], line);
        fclose(g);
    }
    fclose(f);
}

/* ---- charts ------------------------------------------------------------------------------- */

typedef struct Chart {
    char file[64];    /* base name below charts/ (.png and .svg) */
    char title[160];
    char caption[400]; /* what to look for */
} Chart;

/* Runs gnuplot on a template for both terminals. vars: extra "name='value'; ..." text. */
static int plot(const char *templates, const char *chart_dir, const char *tmpl, const Chart *c, const char *vars,
                char *err, size_t errlen)
{
    for (int t = 0; t < 2; t++) {
        const char *term = t ? "svg" : "png";
        char e[8 * PATH_MAX], script[PATH_MAX + 32];
        char title[sizeof c->title];
        snprintf(title, sizeof title, "%s", c->title);
        for (char *q = title; *q; q++)
            if (*q == '\'' || *q == '\\')
                *q = ' '; /* a gnuplot string literal */
        snprintf(e, sizeof e, "term='%s'; outfile='%s/%s.%s'; title='%s'; dir='%s'; %s", term, chart_dir, c->file,
                 term, title, templates, vars);
        snprintf(script, sizeof script, "%s/%s", templates, tmpl);
        pid_t pid = fork();
        if (pid < 0) {
            snprintf(err, errlen, "fork: %s", strerror(errno));
            return -1;
        }
        if (pid == 0) {
            /* gnuplot's warnings (an axis with one point, ...) go to a log, not the terminal */
            char log[PATH_MAX + 32];
            snprintf(log, sizeof log, "%s/gnuplot.log", chart_dir);
            int null = open("/dev/null", O_WRONLY), lf = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (null >= 0)
                dup2(null, 1);
            if (lf >= 0)
                dup2(lf, 2);
            execlp("gnuplot", "gnuplot", "-e", e, script, (char *)NULL);
            _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            snprintf(err, errlen, "gnuplot failed on %s for %s.%s (exit %d; is gnuplot installed? see %s/gnuplot.log)",
                     tmpl, c->file, term, WIFEXITED(st) ? WEXITSTATUS(st) : -1, chart_dir);
            return -1;
        }
    }
    return 0;
}

/* The charts of one page: each drawn from a template, then listed on the page. */
typedef struct Charts {
    Chart list[32];
    int n;
    const char *templates, *dir;
    char *err;
    size_t errlen;
} Charts;

/* Draws file.png and file.svg from tmpl with the given gnuplot variables and records the
 * chart for the page. 0, or -1 with the message in cs->err. */
static int chart(Charts *cs, const char *tmpl, const char *file, const char *title, const char *caption,
                 const char *vars)
{
    if (cs->n == (int)(sizeof cs->list / sizeof cs->list[0]))
        return 0;
    Chart *c = &cs->list[cs->n];
    snprintf(c->file, sizeof c->file, "%s", file);
    snprintf(c->title, sizeof c->title, "%s", title);
    snprintf(c->caption, sizeof c->caption, "%s", caption);
    if (plot(cs->templates, cs->dir, tmpl, c, vars, cs->err, cs->errlen) != 0)
        return -1;
    cs->n++;
    return 0;
}

/* A quote-free copy for gnuplot string literals (paths are our own; refuse the odd one). */
static int safe_for_gnuplot(const char *s)
{
    return !strchr(s, '\'') && !strchr(s, '\n');
}

static const Run *longest(const SoakResult *res, Mode m, const char *fault)
{
    const Run *best = NULL;
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        if (r->mode == m && !strcmp(r->fault, fault) && (!best || r->iters > best->iters))
            best = r;
    }
    return best;
}

static double last_value(const char *samples_path, const char *col)
{
    Samples s;
    char err[256];
    if (samples_load(&s, samples_path, err, sizeof err) != 0)
        return NAN;
    int c = samples_col(&s, col);
    double v = c >= 0 && s.nrows ? samples_at(&s, s.nrows - 1, c) : NAN;
    samples_free(&s);
    return v;
}

/* Per-site arena bytes per complete iteration, from an event log; top n into names/values. */
static int top_sites(const char *events, char names[][32], double *values, int n)
{
    EvlogReader r;
    char err[256];
    if (evlog_reader_open(&r, events, err, sizeof err) != 0)
        return 0;
    static double bytes[EVLOG_MAX_SITES];
    memset(bytes, 0, sizeof bytes);
    EvlogRecord rec;
    uint64_t ended = 0;
    while (evlog_next(&r, &rec, err, sizeof err) == 1) {
        if (rec.kind == EV_ITER_END)
            ended = rec.iter;
        else if (rec.kind == EV_ARENA_ALLOC && rec.iter > ended && rec.iter >= 1)
            bytes[rec.site] += (double)rec.bytes;
    }
    int k = 0;
    for (; k < n; k++) {
        int best = -1;
        for (int s = 0; s < EVLOG_MAX_SITES; s++)
            if (bytes[s] > 0 && (best < 0 || bytes[s] > bytes[best]))
                best = s;
        if (best < 0)
            break;
        snprintf(names[k], 32, "%s", evlog_site(&r, (unsigned)best));
        values[k] = bytes[best] / (double)(ended ? ended : 1);
        bytes[best] = 0;
    }
    evlog_reader_close(&r);
    return k;
}

/* Looks up "peak_rss_bytes" and "ms_per_iter" of a run in a baseline summary.json. */
static int baseline_lookup(const char *json, const Run *r, double *peak, double *ms)
{
    char key[160];
    snprintf(key, sizeof key, "{\"mode\": \"%s\", \"iterations\": %ld, \"fault\": \"%s\"", mode_name(r->mode), r->iters,
             r->fault);
    const char *p = json ? strstr(json, key) : NULL;
    if (!p)
        return 0;
    const char *end = strstr(p + 1, "\n    {\"mode\"");
    const char *a = strstr(p, "\"peak_rss_bytes\": "), *b = strstr(p, "\"ms_per_iter\": ");
    *peak = a && (!end || a < end) ? strtod(a + 18, NULL) : NAN;
    *ms = b && (!end || b < end) ? strtod(b + 15, NULL) : NAN;
    return 1;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (b) {
        b[fread(b, 1, (size_t)n, f)] = 0;
    }
    fclose(f);
    return b;
}

/* ---- the page ------------------------------------------------------------------------------ */

static const char *verdict_colour(Verdict v)
{
    switch (v) {
    case V_FLAT: return "#d4f4dd";
    case V_GROWING: return "#ffe0b2";
    case V_NOT_RUN: return "#eeeeee";
    default: return "#ffcdd2";
    }
}

static const char k_css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0 auto;max-width:1100px;"
    "padding:12px;color:#222;line-height:1.4}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}"
    ".banner{padding:14px;font-size:1.4em;font-weight:bold;border-radius:6px}"
    ".PASS{background:#2e7d32;color:#fff}.FAIL{background:#c62828;color:#fff}.INCOMPLETE{background:#6d6d6d;color:#fff}"
    ".scroll{overflow-x:auto}table{border-collapse:collapse;margin:6px 0;font-size:.92em}"
    "th,td{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}"
    "td.v b{display:block}td.v small{color:#444}"
    "img{max-width:100%;height:auto;border:1px solid #eee}.fig{margin:10px 0}.cap{color:#444;font-size:.92em;margin:2px 0 14px}"
    "pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:.85em;white-space:pre-wrap;word-break:break-all}"
    "code{font-size:.9em;word-break:break-all}";

static void td_verdict(FILE *f, const Run *r)
{
    fprintf(f, "<td class=\"v\" style=\"background:%s\"><b>%s</b>", verdict_colour(r->verdict), verdict_name(r->verdict));
    const SeriesResult *w = r->an.worst >= 0 ? &r->an.series[r->an.worst] : NULL;
    if (w)
        fprintf(f, "<small>%+.1f B/it (", w->slope), xml_str(f, w->name), fputs(")</small>", f);
    fprintf(f, "<small>peak %.1f MiB</small>", (double)r->peak_rss_bytes / 1048576.0);
    fprintf(f, "<small><a href=\"runs/");
    xml_str(f, r->name);
    fprintf(f, "/\">run folder</a></small></td>");
}

static void figure(FILE *f, const Chart *c)
{
    /* div/p rather than figure/figcaption: HTML4 parsers (xmllint --html) accept it too */
    fprintf(f, "<div class=\"fig\"><a href=\"charts/%s.svg\"><img src=\"charts/%s.png\" alt=\"", c->file, c->file);
    xml_str(f, c->title);
    fprintf(f, "\"></a><p class=\"cap\">");
    xml_str(f, c->caption);
    fprintf(f, " (<a href=\"charts/%s.svg\">SVG</a>)</p></div>\n", c->file);
}

/* The first lines of a tool log around its report, escaped. */
static void excerpt(FILE *f, const Run *r)
{
    char path[PATH_MAX + 32];
    const char *log = r->mode == MODE_VALGRIND ? "valgrind.log" : "stderr.txt";
    snprintf(path, sizeof path, "%s/%s", r->dir, log);
    char *text = read_file(path);
    if (!text)
        return;
    const char *start = strstr(text, r->finding.kind[0] ? r->finding.message : "");
    if (!start)
        start = text;
    while (start > text && start[-1] != '\n')
        start--;
    const char *p = start;
    for (int lines = 0; *p && lines < 14; p++)
        lines += *p == '\n';
    char saved = *p;
    *(char *)p = 0;
    fprintf(f, "<pre>");
    xml_str(f, start);
    fprintf(f, "</pre><p><a href=\"runs/");
    xml_str(f, r->name);
    fprintf(f, "/%s\">full log</a></p>\n", log);
    *(char *)p = saved;
    free(text);
}

int report_write(const SoakResult *res, const char *dir, const char *templates, const char *baseline, char *err,
                 size_t errlen)
{
    char chart_dir[PATH_MAX + 16], path[PATH_MAX + 64];
    snprintf(chart_dir, sizeof chart_dir, "%s/charts", dir);
    if (mkdir(chart_dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", chart_dir, strerror(errno));
        return -1;
    }
    if (!safe_for_gnuplot(dir) || !safe_for_gnuplot(templates)) {
        snprintf(err, errlen, "%s: a folder name with a quote cannot be passed to gnuplot", dir);
        return -1;
    }
    snprintf(path, sizeof path, "%s/common.gp", templates);
    if (access(path, R_OK) != 0) {
        snprintf(err, errlen, "%s: chart templates not found (run from the project folder or give --templates)", path);
        return -1;
    }
    Charts cs = {.templates = templates, .dir = chart_dir, .err = err, .errlen = errlen};
    char vars[3 * PATH_MAX];
    Mode modes_present[MODE_COUNT];
    int nm = 0;
    for (int m = 0; m < MODE_COUNT; m++)
        for (int i = 0; i < res->n_runs; i++)
            if (res->runs[i].mode == (Mode)m) {
                modes_present[nm++] = (Mode)m;
                break;
            }
    const char *main_fault = "none";
    int have_none = 0;
    for (int i = 0; i < res->n_runs; i++)
        have_none |= !strcmp(res->runs[i].fault, "none");
    if (!have_none && res->n_runs)
        main_fault = res->runs[0].fault;

    /* 2. the headline: peak memory against iteration count */
    snprintf(path, sizeof path, "%s/peak.dat", chart_dir);
    FILE *d = fopen(path, "w");
    char modes_word[128] = "";
    int blocks = 0;
    for (int k = 0; d && k < nm; k++) {
        int rows = 0;
        for (int i = 0; i < res->n_runs; i++) {
            const Run *r = &res->runs[i];
            if (r->mode != modes_present[k] || strcmp(r->fault, main_fault) || !r->peak_rss_bytes || r->resume_from)
                continue; /* a resumed run trained fewer iterations than its count: not on this line */
            fprintf(d, "%ld,%.3f\n", r->iters, (double)r->peak_rss_bytes / 1048576.0);
            rows++;
        }
        if (rows) {
            fprintf(d, "\n\n");
            strcat(modes_word, mode_name(modes_present[k]));
            strcat(modes_word, " ");
            blocks++;
        }
    }
    if (d)
        fclose(d);
    if (blocks) {
        char title[160];
        snprintf(title, sizeof title, "Peak memory against iteration count (fault %s)", main_fault);
        snprintf(vars, sizeof vars, "datafile='%s'; modes='%s'", path, modes_word);
        if (chart(&cs, "peak.gp", "peak", title,
                  "Each line should be horizontal: the same peak at 100 and at 10000 iterations. A line that rises "
                 "with the count is memory that grows with training time.", vars) != 0)
            return -1;
    }
    /* 1. memory against iteration, one chart per mode (its longest run) */
    for (int k = 0; k < nm; k++) {
        const Run *r = longest(res, modes_present[k], main_fault);
        char samples[PATH_MAX + 32];
        snprintf(samples, sizeof samples, "%s/samples.csv", r ? r->dir : "");
        if (!r || access(samples, R_OK) != 0 || !safe_for_gnuplot(samples))
            continue;
        char file[64];
        snprintf(file, sizeof file, "memory-%s", mode_name(r->mode));
        char title[160];
        snprintf(title, sizeof title, "%s, %ld iterations: memory against iteration (%s)", mode_name(r->mode),
                 r->iters, verdict_name(r->verdict));
        char caption[400];
        snprintf(caption, sizeof caption, "Flat lines after the first iterations mean nothing accumulates. The MiB axis starts at 0, so a "
                 "flat line looks flat; tape capacity is on the right axis, in entries.%s",
                 r->mode == MODE_JEMALLOC ? " The red lines are jemalloc's own statistics." : "");
        snprintf(vars, sizeof vars, "datafile='%s'; jemalloc=%d", samples, r->mode == MODE_JEMALLOC);
        if (chart(&cs, "memory.gp", file, title,
                  caption, vars) != 0)
            return -1;
    }
    /* 3. breakdown by role */
    snprintf(path, sizeof path, "%s/breakdown.dat", chart_dir);
    d = fopen(path, "w");
    int bars = 0;
    for (int k = 0; d && k < nm; k++) {
        const Run *r = longest(res, modes_present[k], main_fault);
        char samples[PATH_MAX + 32];
        snprintf(samples, sizeof samples, "%s/samples.csv", r ? r->dir : "");
        if (!r)
            continue;
        double p = last_value(samples, "persistent.parameter_bytes"), g = last_value(samples, "persistent.gradient_bytes");
        double o = last_value(samples, "persistent.optimizer_bytes"), a = last_value(samples, "arena.reserved_bytes");
        double t = last_value(samples, "tape.capacity") * 64.0, rss = last_value(samples, "proc.rss_bytes");
        if (isnan(p) || isnan(rss))
            continue;
        double other = fmax(0.0, rss - p - g - o - a - t);
        fprintf(d, "%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", mode_name(r->mode), p / 1048576.0, g / 1048576.0,
                o / 1048576.0, a / 1048576.0, t / 1048576.0, other / 1048576.0);
        bars++;
    }
    if (d)
        fclose(d);
    if (bars) {
        snprintf(vars, sizeof vars, "datafile='%s'", path);
        if (chart(&cs, "breakdown.gp", "breakdown", "Memory by role, end of the longest run of each mode",
                  "Where the memory goes: persistent parameters, gradients and AdamW state, the step arena "
                 "(activations), the tape, and the rest of RSS (code, libraries, the tools' own overhead: large "
                 "under ASan and Valgrind).", vars) != 0)
            return -1;
    }
    /* 4. top allocation sites, and the sites that grow */
    for (int k = 0; k < nm; k++) {
        const Run *r = longest(res, modes_present[k], main_fault);
        char events[PATH_MAX + 32];
        snprintf(events, sizeof events, "%s/events.bin", r ? r->dir : "");
        if (!r || access(events, R_OK) != 0)
            continue;
        char names[10][32];
        double values[10];
        int ns = top_sites(events, names, values, 10);
        if (!ns)
            continue;
        snprintf(path, sizeof path, "%s/sites.dat", chart_dir);
        d = fopen(path, "w");
        for (int i = 0; d && i < ns; i++)
            fprintf(d, "%s,%.1f\n", names[i], values[i]);
        if (d)
            fclose(d);
        char title[160];
        snprintf(title, sizeof title, "Top arena allocation sites, %s %ld iterations", mode_name(r->mode), r->iters);
        snprintf(vars, sizeof vars, "datafile='%s'; ylabel='bytes per iteration'; logy=0", path);
        if (chart(&cs, "bars.gp", "sites", title,
                  "Arena bytes each op or component takes per iteration (from the event log). They are given back "
                 "at every step's reset; what matters is that these bars do not change between runs.", vars) != 0)
            return -1;
        break;
    }
    snprintf(path, sizeof path, "%s/growth.dat", chart_dir);
    d = fopen(path, "w");
    int ng = 0;
    for (int i = 0; d && i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        for (int s = 0; s < r->n_sites && s < 3 && r->verdict == V_GROWING; s++, ng++)
            fprintf(d, "%s %ld %s: %s,%.1f\n", mode_name(r->mode), r->iters, r->fault, r->sites[s].site,
                    r->sites[s].score);
    }
    if (d)
        fclose(d);
    if (ng) {
        snprintf(vars, sizeof vars, "datafile='%s'; ylabel='bytes per iteration'; logy=0", path);
        if (chart(&cs, "bars.gp", "growth", "Sites that grow, in GROWING runs",
                  "Bytes per iteration kept on the heap (or added to the arena or tape) by each site: the op or "
                 "component to look at first.", vars) != 0)
            return -1;
    }
    /* 5. time per iteration by mode */
    snprintf(path, sizeof path, "%s/time.dat", chart_dir);
    d = fopen(path, "w");
    int nt = 0;
    for (int k = 0; d && k < nm; k++) {
        const Run *r = longest(res, modes_present[k], main_fault);
        double ms = r ? run_train_value(r, "ms_per_iter_median") : NAN;
        if (!isnan(ms) && ms > 0) {
            fprintf(d, "%s,%.4f\n", mode_name(r->mode), ms);
            nt++;
        }
    }
    if (d)
        fclose(d);
    if (nt) {
        snprintf(vars, sizeof vars, "datafile='%s'; ylabel='ms per iteration (log)'; logy=1", path);
        if (chart(&cs, "bars.gp", "time", "Time per iteration by mode (median, log scale)",
                  "The cost of each tool against native: ASan a few times slower, Valgrind tens of times.", vars) != 0)
            return -1;
    }
    /* 6. against a baseline */
    char *base = baseline ? read_file(baseline) : NULL;
    if (baseline && !base) {
        snprintf(err, errlen, "--baseline %s: %s", baseline, strerror(errno));
        return -1;
    }
    if (base) {
        char pk[PATH_MAX + 64], tm[PATH_MAX + 64];
        snprintf(pk, sizeof pk, "%s/baseline-peak.dat", chart_dir);
        snprintf(tm, sizeof tm, "%s/baseline-time.dat", chart_dir);
        FILE *a = fopen(pk, "w"), *b = fopen(tm, "w");
        int nb = 0;
        for (int i = 0; a && b && i < res->n_runs; i++) {
            const Run *r = &res->runs[i];
            double bp, bm;
            if (!baseline_lookup(base, r, &bp, &bm))
                continue;
            double ms = run_train_value(r, "ms_per_iter_median");
            fprintf(a, "%s %ld,%.3f,%.3f\n", mode_name(r->mode), r->iters, (double)r->peak_rss_bytes / 1048576.0,
                    bp / 1048576.0);
            fprintf(b, "%s %ld,%.4f,%.4f\n", mode_name(r->mode), r->iters, ms, bm);
            nb++;
        }
        if (a)
            fclose(a);
        if (b)
            fclose(b);
        if (nb) {
            snprintf(vars, sizeof vars, "datafile='%s'; ylabel='peak RSS, MiB'", pk);
            if (chart(&cs, "baseline.gp", "baseline-peak", "Peak memory: this soak and the baseline",
                      "Each pair should match; a taller blue bar is a regression.", vars) != 0)
                return -1;
            snprintf(vars, sizeof vars, "datafile='%s'; ylabel='ms per iteration'", tm);
            if (chart(&cs, "baseline.gp", "baseline-time", "Time per iteration: this soak and the baseline",
                      "Median ms per iteration; a taller blue bar is slower.", vars) != 0)
                return -1;
        }
        free(base);
    }

    /* the page */
    OutFile of;
    FILE *f = outfile_open_in(&of, dir, "index.html", err, errlen);
    if (!f)
        return -1;
    const char *ov = overall_name(res->overall);
    int n_bad = 0, n_done = 0;
    for (int i = 0; i < res->n_runs; i++) {
        n_bad += res->runs[i].verdict != V_FLAT && res->runs[i].verdict != V_NOT_RUN;
        n_done += res->runs[i].verdict != V_NOT_RUN;
    }
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
               "<title>Soak report: %s</title><style>%s</style></head><body>\n",
            ov, k_css);
    fprintf(f, "<h1>Does memory stay flat?</h1>\n<div class=\"banner %s\">%s: ", ov, ov);
    if (res->overall == OVERALL_PASS)
        fprintf(f, "memory stays flat in every run and across the sweep (%d runs)", res->n_runs);
    else if (res->overall == OVERALL_FAIL)
        fprintf(f, "%d of %d runs are not FLAT, or peak memory grows across the sweep", n_bad, res->n_runs);
    else
        fprintf(f, "the soak did not complete: %d of %d runs finished", n_done, res->n_runs);
    fprintf(f, "</div>\n<p>Config <code>");
    xml_str(f, res->config);
    fprintf(f, "</code>, total wall time %.0f s. <a href=\"summary.json\">summary.json</a> · "
               "<a href=\"junit.xml\">junit.xml</a> · <a href=\"env.txt\">env.txt</a></p>\n",
            res->wall_s);

    /* verdict tables: one per fault (none first) */
    for (int i = 0; i < res->n_runs;) {
        const char *fault = res->runs[i].fault;
        long counts[32];
        int ncount = 0;
        int j = i;
        /* columns: the counts, a resumed run of a count right after it (key 2 n + resumed) */
        for (; j < res->n_runs && !strcmp(res->runs[j].fault, fault); j++) {
            long key = 2 * res->runs[j].iters + (res->runs[j].resume_from != 0);
            int seen = 0;
            for (int k = 0; k < ncount; k++)
                seen |= counts[k] == key;
            if (!seen && ncount < 32)
                counts[ncount++] = key;
        }
        for (int a = 0; a < ncount; a++)
            for (int b = a + 1; b < ncount; b++)
                if (counts[b] < counts[a]) {
                    long t = counts[a];
                    counts[a] = counts[b];
                    counts[b] = t;
                }
        fprintf(f, "<h2>Verdicts%s", strcmp(fault, "none") ? ": fault " : "");
        if (strcmp(fault, "none"))
            xml_str(f, fault);
        fprintf(f, "</h2>\n<div class=\"scroll\"><table><tr><th>mode</th>");
        for (int k = 0; k < ncount; k++)
            fprintf(f, "<th>%ld iterations%s</th>", counts[k] / 2, counts[k] % 2 ? ", resumed" : "");
        fprintf(f, "</tr>\n");
        for (int m = 0; m < MODE_COUNT; m++) {
            int any = 0;
            for (int q = i; q < j; q++)
                any |= res->runs[q].mode == (Mode)m;
            if (!any)
                continue;
            fprintf(f, "<tr><th>%s</th>", mode_name((Mode)m));
            for (int k = 0; k < ncount; k++) {
                const Run *r = NULL;
                for (int q = i; q < j; q++)
                    if (res->runs[q].mode == (Mode)m &&
                        2 * res->runs[q].iters + (res->runs[q].resume_from != 0) == counts[k])
                        r = &res->runs[q];
                if (r)
                    td_verdict(f, r);
                else
                    fprintf(f, "<td>-</td>");
            }
            fprintf(f, "</tr>\n");
        }
        fprintf(f, "</table></div>\n");
        i = j;
    }
    /* detection matrix when faults ran */
    int any_fault = 0;
    for (int i = 0; i < res->n_runs; i++)
        any_fault |= strcmp(res->runs[i].fault, "none") != 0;
    if (any_fault) {
        fprintf(f, "<h2>Detection matrix (fault x mode: verdict and first finding)</h2>\n<div class=\"scroll\"><table>"
                   "<tr><th>fault</th>");
        for (int k = 0; k < nm; k++)
            fprintf(f, "<th>%s</th>", mode_name(modes_present[k]));
        fprintf(f, "</tr>\n");
        for (int i = 0; i < res->n_runs;) {
            const char *fault = res->runs[i].fault;
            int j = i;
            while (j < res->n_runs && !strcmp(res->runs[j].fault, fault))
                j++;
            fprintf(f, "<tr><th>");
            xml_str(f, fault);
            fprintf(f, "</th>");
            for (int k = 0; k < nm; k++) {
                const Run *worst = NULL;
                for (int q = i; q < j; q++)
                    if (res->runs[q].mode == modes_present[k] && (!worst || res->runs[q].verdict > worst->verdict))
                        worst = &res->runs[q];
                if (!worst) {
                    fprintf(f, "<td>-</td>");
                    continue;
                }
                fprintf(f, "<td class=\"v\" style=\"background:%s\"><b>%s</b><small>", verdict_colour(worst->verdict),
                        verdict_name(worst->verdict));
                if (worst->has_finding) {
                    xml_str(f, worst->finding.tool);
                    fputc(' ', f);
                    xml_str(f, worst->finding.kind);
                } else if (worst->n_sites) {
                    fputs("site ", f);
                    xml_str(f, worst->sites[0].site);
                }
                fprintf(f, "</small></td>");
            }
            fprintf(f, "</tr>\n");
            i = j;
        }
        fprintf(f, "</table></div>\n");
    }
    /* sweeps */
    fprintf(f, "<h2>Across the sweep</h2>\n<div class=\"scroll\"><table><tr><th>mode</th><th>fault</th><th>counts</th>"
               "<th>peak RSS slope</th><th>growth over the sweep</th><th>verdict</th></tr>\n");
    for (int i = 0; i < res->n_sweeps; i++) {
        const Sweep *s = &res->sweeps[i];
        if (s->points < 2)
            continue; /* fewer than two FLAT runs of that mode and fault: nothing to fit */
        fprintf(f, "<tr><td>%s</td><td>", mode_name(s->mode));
        xml_str(f, s->fault);
        fprintf(f, "</td><td>%d</td><td>%.2f B/iteration</td><td>%.0f KiB</td><td style=\"background:%s\">%s</td></tr>\n",
                s->points, s->slope, s->growth / 1024.0, !s->judged ? "#eeeeee" : s->growing ? "#ffe0b2" : "#d4f4dd",
                !s->judged ? "not judged: the tool holds freed blocks back" : s->growing ? "GROWING" : "FLAT");
    }
    fprintf(f, "</table></div>\n");
    /* findings and details of runs that are not FLAT */
    int header = 0;
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        if (r->verdict == V_FLAT)
            continue;
        if (!header++)
            fprintf(f, "<h2>Findings</h2>\n");
        fprintf(f, "<h3>%s, %ld iterations, fault ", mode_name(r->mode), r->iters);
        xml_str(f, r->fault);
        fprintf(f, ": %s</h3>\n<p>", verdict_name(r->verdict));
        xml_str(f, r->detail);
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
    report_coverage_section(f, dir);
    /* charts */
    fprintf(f, "<h2>Charts</h2>\n");
    for (int i = 0; i < cs.n; i++)
        figure(f, &cs.list[i]);
    /* commands */
    fprintf(f, "<h2>Runs and how to reproduce them</h2>\n<div class=\"scroll\"><table><tr><th>run</th><th>verdict</th>"
               "<th>wall s</th><th>command</th></tr>\n");
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        char cp[PATH_MAX + 32];
        snprintf(cp, sizeof cp, "%s/command.txt", r->dir);
        char *cmd = read_file(cp);
        fprintf(f, "<tr><td><a href=\"runs/");
        xml_str(f, r->name);
        fprintf(f, "/\">");
        xml_str(f, r->name);
        fprintf(f, "</a></td><td>%s</td><td>%.1f</td><td><code>", verdict_name(r->verdict), r->wall_s);
        xml_str(f, cmd ? cmd : "");
        fprintf(f, "</code></td></tr>\n");
        free(cmd);
    }
    fprintf(f, "</table></div>\n");
    /* environment */
    snprintf(path, sizeof path, "%s/env.txt", dir);
    char *env = read_file(path);
    fprintf(f, "<h2>Environment</h2>\n<pre>");
    xml_str(f, env ? env : "(no env.txt: this folder was not written by soak)");
    fprintf(f, "</pre>\n</body></html>\n");
    free(env);
    return outfile_finish(&of, err, errlen);
}
