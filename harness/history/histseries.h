/* histseries.h - the history as series over commits, and the change points of each
 * (docs/history.md).
 *
 * hist_analyze puts the history's commits in order (the first-parent line given, oldest
 * first: `git rev-list --first-parent --reverse REF`; without one, the order the commits
 * were first recorded in), leaves out soaks of a dirty tree and commits off that line, and
 * makes a series per workload, mode, count and figure (peak, rate, time) with every commit
 * that has a value; then finds each series' change points (changes.h). The regressions the
 * newest commits still hold are grouped by the commit they start at, with the soaked
 * commit before it: the range to bisect. */
#ifndef HARNESS_HISTSERIES_H
#define HARNESS_HISTSERIES_H

#include "changes.h"
#include "histdb.h"

typedef enum HistFigure { FIG_PEAK, FIG_RATE, FIG_TIME, FIG_COUNT } HistFigure;

/* "peak", "rate", "time" */
const char *hist_figure_name(HistFigure f);

/* The figure named s, or -1. */
int hist_figure_parse(const char *s);

/* A figure's value for people: "8.5 MiB", "256 B/step", "0.31 ms/step". */
void hist_figure_fmt(HistFigure f, double v, char *out, size_t cap);

/* What a figure counts as its smallest change and resolution (changes.h), with min_pct < 0
 * for the figure's default: peak 5% (a page of resolution), rate the soaks' sensitivity,
 * time 10%. */
typedef struct HistParams {
    int window;
    double z_min;
    double min_pct[FIG_COUNT]; /* < 0: the default */
    unsigned figures; /* bit (1 << HistFigure): the figures looked at */
} HistParams;

HistParams hist_params_default(void);

typedef struct HistCommit {
    char sha[64];
    char parent[64];
    char subject[200];
    int n_soaks;
    long soak; /* its newest soak's id */
} HistCommit;

typedef struct HistSeriesOut {
    char workload[512];
    char mode[16];
    long count;
    HistFigure fig;
    int n; /* commits with a value */
    int *commit; /* each one's index in HistReport.commits */
    int *start; /* its values at vals[start[k] .. start[k + 1]) */
    double *vals;
    long *soaks; /* the soak of each value */
    CpNoise noise;
    ChangePoint cps[CP_MAX];
    int n_cps;
} HistSeriesOut;

/* A held regression, by the commit where it starts. */
typedef struct HistRegression {
    int at; /* HistReport.commits index: the first commit after the step */
    int good; /* the soaked commit before it */
    int n_series;
    int series[16]; /* the series (HistReport.series index) with their change point */
    int cp[16];
} HistRegression;

typedef struct HistReport {
    HistCommit *commits; /* in order, oldest first */
    int n_commits;
    char order_from[160]; /* "first-parent line of HEAD", "the order they were recorded" */
    int dirty_left, off_line_left; /* soaks left out */
    HistSeriesOut *series;
    int n_series;
    HistRegression regs[32];
    int n_regs;
} HistReport;

/* line: the first-parent line (shas, oldest first; NULL: the recorded order), n_line its
 * length. 0, or -1 when out of memory. */
int hist_analyze(const HistData *d, char (*line)[64], int n_line, const char *order_from, const HistParams *p,
                 HistReport *r);

void hist_report_free(HistReport *r);

#endif
