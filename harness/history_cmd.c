/* history_cmd.c - `soak history FILE.db`: the soaks of a history (histdb.h) as series over
 * the commits, their change points (changes.h), a table and a page (histpage.h); --check
 * fails on a regression the newest commits hold, --bisect runs the bisect over its range
 * (docs/history.md). And hist_record_soak, which `soak --history` and `soak merge
 * --history` call. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "argv.h"
#include "commands.h"
#include "histdb.h"
#include "histpage.h"
#include "histseries.h"
#include "paths.h"
#include "util.h"

#define LINE_MAX_COMMITS 100000

static const char k_usage[] =
    "usage: %s history FILE.db [--out DIR] [--check] [--bisect [--build CMD]] [options]\n"
    "\n"
    "The soaks a history holds (`soak --history FILE.db`, or FLATMEM_HISTORY) as series over the\n"
    "commits: per workload, mode, count and figure (peak: peak resident memory; rate: bytes per\n"
    "step of what grew; time: milliseconds per step), in the first-parent order of --ref. Finds\n"
    "the steps that stand out of the noise measured in the history itself (docs/history.md),\n"
    "prints a table and writes a page of charts, each point linking to its soak's report.\n"
    "\n"
    "  --out DIR             the page (reports/history)\n"
    "  --no-page             the table only\n"
    "  --check               exit 1 when the newest commits hold a regression (naming the first\n"
    "                        commit after the step and the range to bisect), else 0\n"
    "  --bisect              for each such regression, the first bad commit in its range (soak\n"
    "                        bisect --figure peak|time|growth: the figure that changed)\n"
    "  --build CMD           with --bisect, for a program of one's own: how each commit is built\n"
    "  --figures LIST        the figures looked at (peak,rate,time)\n"
    "  --window N            commits compared on each side of a step (8)\n"
    "  --z Z                 how far out of the noise a step must stand (5)\n"
    "  --min-change-pct F=P  the smallest change of figure F, percent of its level (peak=5, time=10)\n"
    "  --repo DIR            the git repository of the commits (the current folder's)\n"
    "  --ref REF             whose first-parent line orders the commits (HEAD)\n"
    "  --templates DIR       the chart templates (history.gp)\n"
    "Exit status: 0, 1 (--check: a regression held; --bisect: a bisect failed), 2 bad usage or a\n"
    "history that cannot be read.\n";

typedef struct HistArgs {
    const char *db, *out, *build, *repo, *ref, *templates;
    int check, bisect, no_page;
    HistParams p;
} HistArgs;

static int usage_error(const char *what)
{
    fprintf(stderr, "%s history: %s\nTry '%s history --help'.\n", program_invocation_short_name, what,
            program_invocation_short_name);
    return 2;
}

static int parse_figures(const char *s, unsigned *out)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    *out = 0;
    for (char *save = NULL, *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        int f = hist_figure_parse(t);
        if (f < 0)
            return -1;
        *out |= 1u << f;
    }
    return *out ? 0 : -1;
}

static int parse_min_change(const char *s, HistParams *p)
{
    const char *eq = strchr(s, '=');
    char name[16];
    double v;
    if (!eq || (size_t)(eq - s) >= sizeof name)
        return -1;
    snprintf(name, sizeof name, "%.*s", (int)(eq - s), s);
    int f = hist_figure_parse(name);
    if (f < 0 || !parse_double(eq + 1, 0, 1e6, &v))
        return -1;
    p->min_pct[f] = v;
    return 0;
}

static int hist_args(int argc, char **argv, HistArgs *a)
{
    *a = (HistArgs){.out = "reports/history", .repo = ".", .ref = "HEAD", .p = hist_params_default()};
    for (int i = 2; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        double z;
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            printf(k_usage, program_invocation_short_name);
            exit(0);
        } else if (!strcmp(o, "--check") || !strcmp(o, "--bisect") || !strcmp(o, "--no-page"))
            *(!strcmp(o, "--check") ? &a->check : !strcmp(o, "--bisect") ? &a->bisect : &a->no_page) = 1;
        else if (o[0] == '-' && !v)
            return usage_error("an option without its value");
        else if (!strcmp(o, "--out") || !strcmp(o, "--build") || !strcmp(o, "--repo") ||
                 !strcmp(o, "--ref") || !strcmp(o, "--templates")) {
            const char **dst = !strcmp(o, "--out")     ? &a->out
                               : !strcmp(o, "--build") ? &a->build
                               : !strcmp(o, "--repo")  ? &a->repo
                               : !strcmp(o, "--ref")   ? &a->ref
                                                       : &a->templates;
            *dst = argv[++i];
        } else if (!strcmp(o, "--figures")) {
            if (parse_figures(argv[++i], &a->p.figures))
                return usage_error("--figures: a list of peak, rate, time");
        } else if (!strcmp(o, "--window")) {
            if (!parse_long(argv[++i], 2, 1000, &n))
                return usage_error("--window: a whole number of commits, 2 to 1000");
            a->p.window = (int)n;
        } else if (!strcmp(o, "--z")) {
            if (!parse_double(argv[++i], 1, 1000, &z))
                return usage_error("--z: a number from 1 to 1000");
            a->p.z_min = z;
        } else if (!strcmp(o, "--min-change-pct")) {
            if (parse_min_change(argv[++i], &a->p))
                return usage_error("--min-change-pct: FIGURE=PERCENT, e.g. peak=5");
        } else if (o[0] == '-') {
            char m[300];
            snprintf(m, sizeof m, "unknown option '%s'", o);
            return usage_error(m);
        } else if (a->db)
            return usage_error("one history at a time");
        else
            a->db = o;
    }
    if (!a->db)
        return usage_error("which history? (FILE.db)");
    if (a->build && !a->bisect)
        return usage_error("--build goes with --bisect");
    return 0;
}

/* The first-parent line of ref in repo, oldest first, into *line: its length, or -1. */
static int first_parent_line(const char *repo, const char *ref, char (**line)[64])
{
    char tmp[] = "/tmp/flatmem-history-XXXXXX";
    int fd = mkstemp(tmp);
    if (fd < 0)
        return -1;
    close(fd);
    Argv *a = argv_new();
    argv_add(a, "git");
    argv_add(a, "-C");
    argv_add(a, "%s", repo);
    argv_add(a, "rev-list");
    argv_add(a, "--first-parent");
    argv_add(a, "--reverse");
    argv_add(a, "%s", ref);
    argv_add(a, "--");
    int st = argv_run(a, tmp, NULL, 0);
    argv_free(a);
    FILE *f = st == 0 ? fopen(tmp, "r") : NULL;
    int n = 0, cap = 0;
    char buf[128];
    *line = NULL;
    while (f && n < LINE_MAX_COMMITS && fgets(buf, sizeof buf, f)) {
        buf[strcspn(buf, "\n")] = 0;
        *line = grow_array(*line, &cap, n + 1, sizeof **line);
        snprintf((*line)[n++], 64, "%.63s", buf);
    }
    if (f)
        fclose(f);
    unlink(tmp);
    return st == 0 ? n : -1;
}

/* Whether any soak's commit is on the line. */
static int line_holds(const HistData *d, char (*line)[64], int n)
{
    for (int i = 0; i < d->n_soaks; i++)
        for (int k = 0; k < n; k++)
            if (!strcmp(d->soaks[i].commit, line[k]))
                return 1;
    return 0;
}

/* The figure the bisect follows for a regression: peak, then time, then growth. */
static const char *bisect_figure(const HistReport *r, const HistRegression *g, int *si)
{
    static const HistFigure order[] = {FIG_PEAK, FIG_TIME, FIG_RATE};
    for (int o = 0; o < 3; o++)
        for (int k = 0; k < g->n_series; k++)
            if (r->series[g->series[k]].fig == order[o]) {
                *si = g->series[k];
                return order[o] == FIG_PEAK ? "peak" : order[o] == FIG_TIME ? "time" : "growth";
            }
    *si = g->series[0];
    return "growth";
}

/* Runs the bisect (harness/bisect) over one regression's range. Its exit status. */
static int bisect_one(const HistArgs *a, const HistReport *r, const HistRegression *g)
{
    const HistCommit *good = &r->commits[g->good], *bad = &r->commits[g->at];
    char cw[120];
    hist_commit_words(bad, cw, sizeof cw);
    if (!strcmp(bad->parent, good->sha)) {
        printf("\nbisect: %s: its parent %.10s was soaked: it is the first bad commit, nothing to bisect\n",
               cw, good->sha);
        return 0;
    }
    int si;
    const char *fig = bisect_figure(r, g, &si);
    const HistSeriesOut *s = &r->series[si];
    char script[PATH_MAX], self[PATH_MAX];
    target_bisect_script(script, sizeof script);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    int cmd = !strncmp(s->workload, "cmd: ", 5);
    if (cmd && !a->build) {
        fprintf(stderr,
                "%s history --bisect: %s is a program of one's own: give --build CMD (how each commit is "
                "built)\n",
                program_invocation_short_name, s->workload);
        return 2;
    }
    if (cmd && strstr(s->workload, " | load: ")) {
        fprintf(stderr, "%s history --bisect: a service soak (--load) cannot be bisected by the bisect yet\n",
                program_invocation_short_name);
        return 2;
    }
    Argv *v = argv_new();
    argv_add(v, "%s", script);
    argv_add(v, "%s", good->sha);
    argv_add(v, "%s", bad->sha);
    argv_add(v, "--figure");
    argv_add(v, "%s", fig);
    argv_add(v, "--iters");
    argv_add(v, "%ld", s->count < 20 ? 20 : s->count);
    argv_add(v, "--repo");
    argv_add(v, "%s", a->repo);
    argv_add(v, "--soak");
    argv_add(v, "%s", self);
    if (cmd) {
        argv_add(v, "--build");
        argv_add(v, "%s", a->build);
        argv_add(v, "--cmd");
        argv_add(v, "%s", s->workload + 5);
        argv_add(v, "--modes");
        argv_add(v, "%s", s->mode);
    } else {
        argv_add(v, "--config");
        argv_add(v, "%s", s->workload);
    }
    printf("\nbisect: %s of %s %s %ld over %.10s..%.10s\n", fig, s->workload, s->mode, s->count, good->sha,
           bad->sha);
    fflush(stdout);
    int pid = argv_start(v, NULL, 0, 1, 2, 0), st = -1;
    argv_free(v);
    if (pid > 0 && waitpid(pid, &st, 0) == pid)
        return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
    return 1;
}

int soak_history(int argc, char **argv)
{
    HistArgs a;
    int rc = hist_args(argc, argv, &a);
    if (rc)
        return rc;
    char err[2048];
    HistDb *h = hist_open(a.db, 0, err, sizeof err);
    HistData d;
    if (!h || hist_load(h, &d, err, sizeof err) != 0) {
        fprintf(stderr, "%s history: %s\n", program_invocation_short_name, err);
        hist_close(h);
        return 2;
    }
    hist_close(h);
    char(*line)[64] = NULL, order[160];
    int n_line = first_parent_line(a.repo, a.ref, &line);
    if (n_line > 0 && line_holds(&d, line, n_line))
        snprintf(order, sizeof order, "first-parent order of %s", a.ref);
    else {
        snprintf(order, sizeof order,
                 "the order they were recorded in (no soaked commit is on %s's line in %s)", a.ref, a.repo);
        free(line);
        line = NULL, n_line = 0;
    }
    HistReport r;
    if (hist_analyze(&d, line, n_line, order, &a.p, &r) != 0) {
        fprintf(stderr, "%s history: out of memory\n", program_invocation_short_name);
        free(line);
        hist_data_free(&d);
        return 1;
    }
    free(line);
    hist_print(stdout, &d, &r, a.db);
    char found[PATH_MAX];
    target_templates_for("history.gp", found, sizeof found);
    if (!a.no_page) {
        if (hist_write_page(&d, &r, a.db, a.out, a.templates ? a.templates : found, err, sizeof err) != 0) {
            fprintf(stderr, "%s history: %s\n", program_invocation_short_name, err);
            rc = 1;
        } else
            printf("\npage: %s/index.html\n", a.out);
    }
    for (int i = 0; a.bisect && i < r.n_regs; i++) {
        int st = bisect_one(&a, &r, &r.regs[i]);
        rc = rc ? rc : st ? 1 : 0;
    }
    if (a.check && r.n_regs && !rc)
        rc = 1;
    hist_report_free(&r);
    hist_data_free(&d);
    return rc;
}

int hist_record_soak(const char *db, const SoakResult *res, const char *out)
{
    char err[2048], report[PATH_MAX + 16] = "", dir[PATH_MAX];
    if (res->shard_n) {
        fprintf(stderr,
                "%s: --history %s: a shard is not recorded: the merge of the shards records the soak\n",
                program_invocation_short_name, db);
        return 0;
    }
    if (realpath(out, dir))
        snprintf(report, sizeof report, "%s/index.html", dir);
    HistDb *h = hist_open(db, 1, err, sizeof err);
    long id = h ? hist_record(h, res, report, err, sizeof err) : -1;
    hist_close(h);
    if (id < 0) {
        fprintf(stderr, "%s: --history: %s\n", program_invocation_short_name, err);
        return -1;
    }
    fprintf(stderr, "%s: history: soak %ld of %.12s recorded in %s\n", program_invocation_short_name, id,
            res->env.commit[0] ? res->env.commit : "(no commit)", db);
    return 0;
}

int hist_check_db(const char *db)
{
    char err[2048];
    HistDb *h = hist_open(db, 1, err, sizeof err);
    if (!h) {
        fprintf(stderr, "%s: --history %s\n", program_invocation_short_name, err);
        return 2;
    }
    hist_close(h);
    return 0;
}
