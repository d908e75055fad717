/* conclude.h - the soak's conclusion: from the judged runs to the one result every output
 * prints (result.h).
 *
 * soak_conclude applies the soak's rules (rules.h) to the runs as judging left them: growth
 * that stops (a GROWING run made FLAT by a longer run), leaks compared across counts
 * (one-time or per-iteration), the sweeps (peak memory against the count, verdict.h), the
 * detection matrix of a fault build, what each run's outcome means for the soak (fails,
 * skipped, unreported, expected), the modes never judged, the overall verdict and exit
 * status, and the diagnosis (diagnosis.h). Its inputs: res->runs judged, and what the soak
 * was asked (expect_faults, strict_leaks, tol), the baseline comparison (baseline.h) and a
 * bisect result (diagnosis_read_bisect), both filled in before. */
#ifndef HARNESS_CONCLUDE_H
#define HARNESS_CONCLUDE_H

#include "result.h"

void soak_conclude(SoakResult *res);

#endif
