/* report_coverage.h - the coverage section of the soak report: which engine lines the
 * soak runs, against what training with the presets runs (make soak-coverage).
 *
 * Reads DIR/coverage.json (written by tools/coverage-report; format in docs/soak.md) and
 * renders a table per engine file and, folded, every line the soak never runs with its
 * class (missed by the soak / allocation failure only / not run by training). Renders
 * nothing when the file is absent; a damaged file gives a one-line note in the page. */
#ifndef HARNESS_REPORT_COVERAGE_H
#define HARNESS_REPORT_COVERAGE_H

#include <stdio.h>

void report_coverage_section(FILE *f, const char *dir);

#endif
