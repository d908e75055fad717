/* report_diag.h - the diagnosis at the top of the soak report: one entry per problem
 * (diagnosis.h) with its kind, place, rate, projection, the modes that saw it and those
 * that could not (and why), its memory over time (charts/problem-N), the call stacks that
 * grew as a table and a flame graph (charts/flame-N.svg, report_flame.h), and, folded
 * under <details>, the evidence of each of its runs (the tool report, an excerpt of its
 * log, the growing sites). A clean soak gets one line. */
#ifndef HARNESS_REPORT_DIAG_H
#define HARNESS_REPORT_DIAG_H

#include <stdio.h>

#include "report_charts.h"
#include "result.h"

void report_diagnosis_section(FILE *f, const SoakResult *res, const char *dir, const Charts *cs);

#endif
