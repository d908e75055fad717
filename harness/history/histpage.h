/* histpage.h - the history for people: a table on the console, and a page of charts
 * (docs/history.md).
 *
 * The page (OUT/index.html) has a chart per workload, mode and figure: the commits in order
 * on the x axis, a line per count, each change point a dashed line at the first commit
 * after the step labelled with its size; every point links to its soak's report (an image
 * map over the chart, the positions from gnuplot's own axes). Below: the regressions the
 * newest commits hold with the range to bisect, and every commit with its soaks. */
#ifndef HARNESS_HISTPAGE_H
#define HARNESS_HISTPAGE_H

#include <stdio.h>

#include "histseries.h"

/* The series and their change points, then the held regressions with their ranges. */
void hist_print(FILE *f, const HistData *d, const HistReport *r, const char *db);

/* OUT/index.html and OUT/charts/ (templates: the folder of history.gp). 0, or -1 with err. */
int hist_write_page(const HistData *d, const HistReport *r, const char *db, const char *out,
                    const char *templates, char *err, size_t cap);

/* A link from the page in folder out to a soak's report (its absolute path): relative when
 * both are on one file system tree, else the path itself. */
void hist_report_href(const char *report, const char *out, char *href, size_t cap);

/* "a1b2c3d4e5 "subject"" of a commit, for people. */
void hist_commit_words(const HistCommit *c, char *out, size_t cap);

#endif
