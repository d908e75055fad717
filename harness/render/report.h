/* report.h - the HTML report of a soak output folder: DIR/index.html (self-contained,
 * relative links, no JavaScript) with the charts of report_charts.h, one function per
 * section of the page. It renders a concluded SoakResult and decides nothing; everything
 * taken from logs or file names is escaped. */
#ifndef HARNESS_REPORT_H
#define HARNESS_REPORT_H

#include <stddef.h>

#include "result.h"

/* Writes DIR/charts/ and DIR/index.html for the evaluated, concluded runs in res (a
 * baseline comparison from res->base). templates: the folder of the .gp templates.
 * 0, or -1 with a message in err. */
int report_write(const SoakResult *res, const char *dir, const char *templates, char *err, size_t errlen);

#endif
