#include "report_charts.h"

#include "attrib.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "argv.h"
#include "baseline.h"
#include "columns.h"
#include "evlog.h"
#include "samples.h"
#include "util.h"

/* The line the script prints before each chart (to the log). */
#define CHART_MARK "chart:"

/* What every chart function works from. */
typedef struct Ctx {
    const SoakResult *res;
    const char *dir, *templates;
    char chart_dir[PATH_MAX + 16];
    Charts *cs;
    Mode modes[MODE_COUNT]; /* the modes present, in order */
    int n_modes;
    const char *fault; /* the fault the charts show: none when it ran */
    char templates_abs[PATH_MAX];
    FILE *script; /* DIR/charts/charts.gp: every chart, drawn by one gnuplot at the end */
    char *err;
    size_t errlen;
} Ctx;

/* Adds a template's chart in both terminals to the charts' script (drawn at the end by one
 * gnuplot: a process each cost five times the drawing). vars: extra "name='value'; ..." text.
 * Each chart starts from gnuplot's defaults and no variables (reset session), and says
 * which it is first, so that the log names the chart where gnuplot stopped. */
static void plot(const Ctx *c, const char *tmpl, const Chart *ch, const char *vars)
{
    char title[sizeof ch->title];
    snprintf(title, sizeof title, "%s", ch->title);
    for (char *q = title; *q; q++)
        if (*q == '\'' || *q == '\\')
            *q = ' '; /* a gnuplot string literal */
    for (int t = 0; t < 2; t++) {
        const char *term = t ? "svg" : "png";
        fprintf(c->script, "reset session\nunset datafile\nunset print\nprint '%s %s.%s'\n", CHART_MARK,
                ch->file, term);
        fprintf(c->script, "term='%s'; outfile='%s/%s.%s'; title='%s'; dir='%s'; %s\n", term, c->chart_dir,
                ch->file, term, title, c->templates, vars);
        fprintf(c->script, "load '%s/%s'\nunset output\n", c->templates, tmpl);
    }
}

/* Runs the charts' script (DIR/charts/charts.gp). 0, or -1 with the message in err, which
 * names the chart gnuplot stopped at (the last mark in its log). */
static int plot_all(Ctx *c)
{
    char script[PATH_MAX + 32], log[PATH_MAX + 32];
    snprintf(script, sizeof script, "%s/charts.gp", c->chart_dir);
    snprintf(log, sizeof log, "%s/gnuplot.log", c->chart_dir);
    int bad = ferror(c->script);
    if (fclose(c->script) != 0 || bad) {
        c->script = NULL;
        snprintf(c->err, c->errlen, "%s: could not be written", script);
        return -1;
    }
    c->script = NULL;
    Argv *a = argv_new();
    argv_add(a, "gnuplot");
    argv_add(a, "%s", script);
    int st = argv_run(a, NULL, log, 0); /* gnuplot's warnings (an axis with one point, ...) */
    argv_free(a);
    if (st == 0)
        return 0;
    char which[96] = "the first chart";
    char *text = read_file(log, 1 << 20, NULL);
    for (char *m = text ? strstr(text, CHART_MARK) : NULL; m; m = strstr(m + 1, CHART_MARK))
        sscanf(m + strlen(CHART_MARK), " %95s", which);
    free(text);
    snprintf(c->err, c->errlen, "gnuplot failed on %s (exit %d; is gnuplot installed? see %s)", which, st,
             log);
    return -1;
}

/* Adds file from tmpl to the charts' script and records it for the page. */
static void chart(Ctx *c, const char *tmpl, const char *file, const char *title, const char *caption,
                  const char *vars)
{
    if (c->cs->n == (int)(sizeof c->cs->list / sizeof c->cs->list[0]))
        return;
    Chart *ch = &c->cs->list[c->cs->n];
    snprintf(ch->file, sizeof ch->file, "%s", file);
    snprintf(ch->title, sizeof ch->title, "%s", title);
    snprintf(ch->caption, sizeof ch->caption, "%s", caption);
    plot(c, tmpl, ch, vars);
    c->cs->n++;
}

static int safe_for_gnuplot(const char *s)
{
    return !strchr(s, '\'') && !strchr(s, '\n');
}

/* The longest run of mode m in the charted fault (NULL: none). */
static const Run *longest(const Ctx *c, Mode m)
{
    const Run *best = NULL;
    for (int i = 0; i < c->res->n_runs; i++) {
        const Run *r = &c->res->runs[i];
        if (r->mode == m && !strcmp(r->fault, c->fault) && (!best || r->iters > best->iters))
            best = r;
    }
    return best;
}

/* DIR/charts/name into path; the file opened for writing (NULL on failure). */
static FILE *data_file(const Ctx *c, const char *name, char *path, size_t cap)
{
    snprintf(path, cap, "%s/%s", c->chart_dir, name);
    return fopen(path, "w");
}

/* A chart's data from the run's model (a file the judge read, whole), as DIR/charts/NAME.csv
 * for gnuplot; its path into path. 0, or -1 when it cannot be written. */
static int write_data(const Ctx *c, const char *name, const char *text, char *path, size_t cap)
{
    if ((size_t)snprintf(path, cap, "%s/%s.csv", c->chart_dir, name) >= cap)
        return -1;
    FILE *f = fopen(path, "w");
    int ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

/* Closes the data file d (at path) and, when it holds rows, draws the chart from it;
 * more: gnuplot variables besides the data file ("" for none). */
static void draw(Ctx *c, FILE *d, int rows, const char *path, const char *tmpl, const char *file,
                 const char *title, const char *caption, const char *more)
{
    if (d)
        fclose(d);
    if (!rows)
        return;
    char vars[3 * PATH_MAX];
    snprintf(vars, sizeof vars, "datafile='%s'%s%s", path, more[0] ? "; " : "", more);
    chart(c, tmpl, file, title, caption, vars);
}

/* ---- one function per chart -------------------------------------------------------------- */

/* The headline: peak memory against the iteration count, a line per mode. */
static void chart_peak(Ctx *c)
{
    char path[PATH_MAX + 64], modes[128] = "", vars[3 * PATH_MAX], title[160];
    FILE *d = data_file(c, "peak.dat", path, sizeof path);
    for (int k = 0; d && k < c->n_modes; k++) {
        int rows = 0;
        for (int i = 0; i < c->res->n_runs; i++) {
            const Run *r = &c->res->runs[i];
            if (r->mode != c->modes[k] || strcmp(r->fault, c->fault) || !r->peak_rss_bytes || r->resume_from)
                continue; /* a resumed run trained fewer iterations than its count: not on this line */
            fprintf(d, "%ld,%.3f\n", r->iters, (double)r->peak_rss_bytes / MIB);
            rows++;
        }
        if (rows) {
            fprintf(d, "\n\n");
            snprintf(modes + strlen(modes), sizeof modes - strlen(modes), "%s ", mode_name(c->modes[k]));
        }
    }
    if (!d)
        return;
    fclose(d);
    if (!modes[0])
        return;
    snprintf(title, sizeof title, "Peak memory against iteration count (fault %s)", c->fault);
    snprintf(vars, sizeof vars, "datafile='%s'; modes='%s'", path, modes);
    chart(c, "peak.gp", "peak", title,
          "Each line should be horizontal: the same peak at 100 and at 10000 iterations. A line that rises "
          "with the count is memory that grows with training time.",
          vars);
}

/* Memory against iteration, one chart per mode (its longest run). */
static void chart_memory(Ctx *c)
{
    for (int k = 0; k < c->n_modes; k++) {
        const Run *r = longest(c, c->modes[k]);
        char samples[PATH_MAX + 64], file[64], title[160], caption[400], vars[3 * PATH_MAX];
        if (!r || !r->samples_csv)
            continue;
        snprintf(file, sizeof file, "memory-%s", mode_name(r->mode));
        if (write_data(c, file, r->samples_csv, samples, sizeof samples) != 0)
            continue;
        snprintf(title, sizeof title, "%s, %ld iterations: memory against iteration (%s)", mode_name(r->mode),
                 r->iters, verdict_name(r->verdict));
        snprintf(
            caption, sizeof caption,
            "Flat lines after the first iterations mean nothing accumulates. The MiB axis starts at 0, so a "
            "flat line looks flat%s.%s%s",
            strcmp(r->config, "cmd") ? "; tape capacity is on the right axis, in entries" : "",
            mode_spec(r->mode)->allocator_note ? mode_spec(r->mode)->allocator_note : "",
            mode_spec(r->mode)->judges_memory
                ? ""
                : " Under this tool RSS rises as it holds freed blocks back: not judged.");
        snprintf(vars, sizeof vars, "datafile='%s'; jemalloc=%d", samples,
                 mode_spec(r->mode)->allocator_note != NULL);
        chart(c, strcmp(r->config, "cmd") ? "memory.gp" : "memory-cmd.gp", file, title, caption, vars);
    }
}

static double last_value(const Run *r, const char *col)
{
    const Samples *s = r->samples; /* the judge's */
    int k = s ? samples_col(s, col) : -1;
    return k >= 0 && s->nrows ? samples_at(s, s->nrows - 1, k) : NAN;
}

/* One row per mode, its longest run, written by row (which returns the rows it wrote). */
static int rows_per_mode(Ctx *c, FILE *d, int (*row)(FILE *d, const Run *r))
{
    int n = 0;
    for (int k = 0; d && k < c->n_modes; k++) {
        const Run *r = longest(c, c->modes[k]);
        n += r ? row(d, r) : 0;
    }
    return n;
}

/* A run's memory by role at its end: parameters, gradients, AdamW state, arena, tape, rest. */
static int breakdown_row(FILE *d, const Run *r)
{
    double v[6] = {last_value(r, COL_PARAMETER_BYTES), last_value(r, COL_GRADIENT_BYTES),
                   last_value(r, COL_OPTIMIZER_BYTES), last_value(r, COL_ARENA_RESERVED),
                   last_value(r, COL_TAPE_BYTES),      last_value(r, COL_RSS)};
    if (isnan(v[0]) || isnan(v[5]))
        return 0;
    v[4] = isnan(v[4]) ? 0 : v[4];
    double other = fmax(0.0, v[5] - v[0] - v[1] - v[2] - v[3] - v[4]);
    fprintf(d, "%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f\n", mode_name(r->mode), v[0] / MIB, v[1] / MIB, v[2] / MIB,
            v[3] / MIB, v[4] / MIB, other / MIB);
    return 1;
}

/* A chart with one bar (group) per mode, from each mode's longest run. */
typedef struct PerMode {
    const char *data, *tmpl, *file, *title, *caption, *more;
    int (*row)(FILE *d, const Run *r);
} PerMode;

static void chart_per_mode(Ctx *c, const PerMode *p)
{
    char path[PATH_MAX + 64];
    FILE *d = data_file(c, p->data, path, sizeof path);
    draw(c, d, rows_per_mode(c, d, p->row), path, p->tmpl, p->file, p->title, p->caption, p->more);
}

static void chart_breakdown(Ctx *c)
{
    static const PerMode p = {"breakdown.dat",
                              "breakdown.gp",
                              "breakdown",
                              "Memory by role, end of the longest run of each mode",
                              "Where the memory goes: persistent parameters, gradients and AdamW state, the "
                              "step arena (activations), the "
                              "tape, and the rest of RSS (code, libraries, the tools' own overhead: large "
                              "under ASan and Valgrind).",
                              "",
                              breakdown_row};
    chart_per_mode(c, &p);
}

/* The arena's top allocation sites, from the first mode with an event log. */
static void chart_sites(Ctx *c)
{
    for (int k = 0; k < c->n_modes; k++) {
        const Run *r = longest(c, c->modes[k]);
        char path[PATH_MAX + 64], title[160];
        int ns = r ? r->n_arena_sites : 0; /* the judge's reading of its event log */
        if (!ns)
            continue;
        FILE *d = data_file(c, "sites.dat", path, sizeof path);
        for (int i = 0; d && i < ns; i++)
            fprintf(d, "%s,%.1f\n", r->arena_sites[i].site, r->arena_sites[i].bytes);
        snprintf(title, sizeof title, "Top arena allocation sites, %s %ld iterations", mode_name(r->mode),
                 r->iters);
        draw(c, d, ns, path, "bars.gp", "sites", title,
             "Arena bytes each op or component takes per iteration (from the event log). They are given "
             "back at every step's reset; what matters is that these bars do not change between runs.",
             "ylabel='bytes per iteration'; logy=0");
        return; /* the first mode with one */
    }
}

/* The sites that grow, in GROWING runs. */
static void chart_growth(Ctx *c)
{
    char path[PATH_MAX + 64];
    FILE *d = data_file(c, "growth.dat", path, sizeof path);
    int n = 0;
    for (int i = 0; d && i < c->res->n_runs; i++) {
        const Run *r = &c->res->runs[i];
        char label[128];
        run_label(r, label, sizeof label);
        for (int s = 0; s < r->n_sites && s < 3 && r->verdict == V_GROWING; s++, n++)
            fprintf(d, "%s: %s,%.1f\n", label, r->sites[s].site, r->sites[s].score);
    }
    draw(c, d, n, path, "bars.gp", "growth", "Sites that grow, in GROWING runs",
         "Bytes per iteration kept on the heap (or added to the arena or tape) by each site: the op or "
         "component to look at first.",
         "ylabel='bytes per iteration'; logy=0");
}

static int time_row(FILE *d, const Run *r)
{
    if (!(r->ms_per_iter > 0))
        return 0;
    fprintf(d, "%s,%.4f\n", mode_name(r->mode), r->ms_per_iter);
    return 1;
}

/* Time per iteration by mode (each mode's longest run). */
static void chart_time(Ctx *c)
{
    static const PerMode p = {
        "time.dat",
        "bars.gp",
        "time",
        "Time per iteration by mode (median, log scale)",
        "The cost of each tool against native: ASan a few times slower, Valgrind tens of times.",
        "ylabel='ms per iteration (log)'; logy=1",
        time_row};
    chart_per_mode(c, &p);
}

/* This soak against the baseline: peak memory and time per iteration, run by run. */
static void chart_baseline(Ctx *c)
{
    json_t *b = c->res->base.doc;
    char pk[PATH_MAX + 64], tm[PATH_MAX + 64], vars[3 * PATH_MAX];
    FILE *a = b ? data_file(c, "baseline-peak.dat", pk, sizeof pk) : NULL;
    FILE *t = a ? data_file(c, "baseline-time.dat", tm, sizeof tm) : NULL;
    int n = 0;
    for (int i = 0; t && i < c->res->n_runs; i++) {
        const Run *r = &c->res->runs[i];
        json_t *then = baseline_find(b, r);
        if (!then)
            continue;
        char label[128];
        run_label(r, label, sizeof label);
        fprintf(a, "%s,%.3f,%.3f\n", label, (double)r->peak_rss_bytes / MIB,
                json_number_value(json_object_get(then, "peak_rss_bytes")) / MIB);
        fprintf(t, "%s,%.4f,%.4f\n", label, r->ms_per_iter,
                json_number_value(json_object_get(then, "ms_per_iter")));
        n++;
    }
    if (a)
        fclose(a);
    if (t)
        fclose(t);
    if (!n)
        return;
    snprintf(vars, sizeof vars, "datafile='%s'; ylabel='peak RSS, MiB'", pk);
    chart(c, "baseline.gp", "baseline-peak", "Peak memory: this soak and the baseline",
          "Each pair should match; a taller blue bar is a regression.", vars);
    snprintf(vars, sizeof vars, "datafile='%s'; ylabel='ms per iteration'", tm);
    chart(c, "baseline.gp", "baseline-time", "Time per iteration: this soak and the baseline",
          "Median ms per iteration; a taller blue bar is slower.", vars);
}

/* The run of a problem whose memory to draw over time: its largest GROWING run, one whose
 * RSS is judged (native, jemalloc) first among runs of that count. */
static const Run *problem_run(const Problem *p)
{
    const Run *best = NULL;
    for (int k = 0; k < p->n_runs; k++) {
        const Run *r = p->runs[k];
        if (r->verdict != V_GROWING || r->an.worst < 0)
            continue;
        if (!best || r->iters > best->iters ||
            (r->iters == best->iters && mode_spec(r->mode)->judges_memory &&
             !mode_spec(best->mode)->judges_memory))
            best = r;
    }
    return best;
}

/* Memory over time for each problem (charts/problem-N, shown in its diagnosis entry): the
 * functions its growth is charged to, from the heap profiles of its largest jemalloc run;
 * else the series that decided its largest run. */
static void chart_problems(Ctx *c)
{
    for (int i = 0; i < c->res->diag.n; i++) {
        const Problem *p = &c->res->diag.list[i];
        char data[PATH_MAX + 64], file[64], title[150], vars[3 * PATH_MAX];
        if (!kind_is_growth(p->kind))
            continue;
        snprintf(file, sizeof file, "problem-%d", i + 1);
        const Run *r = p->stacks;
        if (r && r->timeline_csv && write_data(c, file, r->timeline_csv, data, sizeof data) == 0) {
            snprintf(title, sizeof title, "Problem %d: memory held by the growing functions (%.80s)", i + 1,
                     r->name);
            snprintf(vars, sizeof vars, "datafile='%s'; n=%d; xlabel='%s'", data,
                     r->n_stacks < ATTRIB_TIMELINE ? r->n_stacks : ATTRIB_TIMELINE, run_step_word(r));
            chart(c, "stacks.gp", file, title, "", vars);
            continue;
        }
        if (!(r = problem_run(p)))
            continue;
        const char *series = r->an.series[r->an.worst].name;
        if (!r->samples_csv || !safe_for_gnuplot(series) ||
            write_data(c, file, r->samples_csv, data, sizeof data))
            continue;
        const char *per = run_step_word(r);
        snprintf(title, sizeof title, "Problem %d: %.40s against %s (%.60s)", i + 1, series, per, r->name);
        snprintf(vars, sizeof vars, "datafile='%s'; series='%s'; count=%d; xlabel='%s'", data, series,
                 r->an.series[r->an.worst].cls == SERIES_COUNT, per);
        chart(c, "series.gp", file, title, "", vars);
    }
}

/* ---- the table ---------------------------------------------------------------------------- */

static void (*const k_charts[])(Ctx *) = {chart_problems, chart_peak,   chart_memory, chart_breakdown,
                                          chart_sites,    chart_growth, chart_time,   chart_baseline};

static int setup(Ctx *c)
{
    snprintf(c->chart_dir, sizeof c->chart_dir, "%s/charts", c->dir);
    char abs[PATH_MAX];
    if ((mkdir(c->chart_dir, 0755) != 0 && errno != EEXIST) || !realpath(c->chart_dir, abs)) {
        snprintf(c->err, c->errlen, "%s: %s", c->chart_dir, strerror(errno));
        return -1;
    }
    snprintf(c->chart_dir, sizeof c->chart_dir, "%s", abs);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/common.gp", c->templates);
    if (access(path, R_OK) != 0 || !realpath(c->templates, c->templates_abs)) {
        snprintf(c->err, c->errlen,
                 "%s: chart templates not found (run from the project folder or give --templates)", path);
        return -1;
    }
    c->templates = c->templates_abs; /* the script draws again from any folder */
    if (!safe_for_gnuplot(c->chart_dir) || !safe_for_gnuplot(c->templates)) {
        snprintf(c->err, c->errlen, "%s: a folder name with a quote cannot be passed to gnuplot",
                 safe_for_gnuplot(c->templates) ? c->chart_dir : c->templates);
        return -1;
    }
    const SoakResult *res = c->res;
    for (int m = 0; m < MODE_COUNT; m++)
        for (int i = 0; i < res->n_runs; i++)
            if (res->runs[i].mode == (Mode)m) {
                c->modes[c->n_modes++] = (Mode)m;
                break;
            }
    c->fault = res->n_runs ? res->runs[0].fault : "none"; /* canonical order: none first when it ran */
    char script[PATH_MAX + 32];
    snprintf(script, sizeof script, "%s/charts.gp", c->chart_dir);
    if (!(c->script = fopen(script, "w"))) {
        snprintf(c->err, c->errlen, "%s: %s", script, strerror(errno));
        return -1;
    }
    fprintf(c->script, "# every chart of this report: gnuplot %s draws them again\n", script);
    return 0;
}

int charts_draw(Charts *cs, const SoakResult *res, const char *dir, const char *templates, char *err,
                size_t errlen)
{
    Ctx c = {.res = res, .dir = dir, .templates = templates, .cs = cs, .err = err, .errlen = errlen};
    cs->n = 0;
    if (setup(&c) != 0)
        return -1;
    for (size_t i = 0; i < sizeof k_charts / sizeof k_charts[0]; i++)
        k_charts[i](&c);
    return cs->n ? plot_all(&c) : (fclose(c.script), 0);
}
