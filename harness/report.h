/* report.h - the HTML report of a soak output folder: gnuplot charts (PNG and SVG) from
 * the templates in reports/ (*.gp), and DIR/index.html (self-contained, relative links, no
 * JavaScript). Everything taken from logs or file names is escaped. */
#ifndef HARNESS_REPORT_H
#define HARNESS_REPORT_H

#include <stddef.h>

#include "summary.h"

/* Writes DIR/charts/ and DIR/index.html for the evaluated runs in res. templates: the
 * folder holding the .gp templates; baseline: a summary.json to compare with, or NULL.
 * 0, or -1 with a message in err. */
int report_write(const SoakResult *res, const char *dir, const char *templates, const char *baseline, char *err,
                 size_t errlen);

/* Records the environment of a soak in DIR/env.txt (git commit and state, compiler and
 * flags of each variant, library versions, CPU, date). */
void report_capture_env(const char *dir, const char *build);

#endif
