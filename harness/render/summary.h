/* summary.h - summary.json, the file that records the concluded soak (result.h): its
 * environment, tolerances, every run (run.json's fields), the detection matrix, the
 * faults missed, the baseline comparison, the sweeps and the diagnosis. Keys are listed in
 * docs/reports.md; summary_load.h reads it back. */
#ifndef HARNESS_SUMMARY_H
#define HARNESS_SUMMARY_H

#include <stddef.h>

#include "result.h"

/* Writes OUT/summary.json (a temporary file, then renamed). 0, or -1 with a message in
 * err. */
int summary_write(const SoakResult *res, const char *out_dir, char *err, size_t errlen);

#endif
