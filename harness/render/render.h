/* render.h - every output of a concluded soak (result.h), in one place and one order:
 * each run's run.json, summary.json, junit.xml, reports/latest, the page (report.h), the
 * console table (console.h), summary.md and, with --annotate github, the annotations and
 * the step summary (ci.h). Renderers print the result's fields; none decides anything. */
#ifndef HARNESS_RENDER_H
#define HARNESS_RENDER_H

#include <stddef.h>

#include "result.h"

enum {
    RENDER_SUMMARY = 1, /* summary.json and junit.xml */
    RENDER_LATEST = 2, /* point reports/latest at out (when below reports/out/) */
    RENDER_CONSOLE = 4, /* the console table */
};

/* Writes the outputs `what` (RENDER_* bits) asks for besides run.json, the page and
 * summary.md, which are always written. 0, or -1 with a message in err: a file that
 * cannot be written stops at once, except the page, whose failure is reported after the
 * rest is written: RENDER_PAGE_FAILED, with the page's own message in err. */
#define RENDER_PAGE_FAILED (-2)
int render_soak(const SoakResult *res, const char *out, const char *templates, int what, char *err,
                size_t errlen);

/* "reports/out/<date>-<time>-<pid><suffix>" into out: where a soak writes by default. */
void soak_default_out(char *out, size_t cap, const char *suffix);

#endif
