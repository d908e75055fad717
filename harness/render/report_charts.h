/* report_charts.h - the report's charts: each drawn by gnuplot from a template in
 * reports/ (*.gp) as DIR/charts/NAME.png and .svg, from a data file written next to it.
 *
 * One table lists the charts (report_charts.c); each has one small function that writes
 * its data and says whether it applies. What the page shows of a chart (title, caption) is
 * recorded in the Charts list in the order drawn. */
#ifndef HARNESS_REPORT_CHARTS_H
#define HARNESS_REPORT_CHARTS_H

#include <stddef.h>

#include "result.h"

typedef struct Chart {
    char file[64]; /* base name below charts/ (.png and .svg) */
    char title[160];
    char caption[400]; /* what to look for */
} Chart;

typedef struct Charts {
    Chart list[32];
    int n;
} Charts;

/* Draws every chart that applies to res into DIR/charts. 0, or -1 with a message in err
 * (gnuplot missing or failing, a folder name gnuplot cannot be given). */
int charts_draw(Charts *cs, const SoakResult *res, const char *dir, const char *templates, char *err,
                size_t errlen);

#endif
