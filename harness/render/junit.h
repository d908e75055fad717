/* junit.h - OUT/junit.xml for CI: one test case per run, per sweep and for the baseline
 * comparison. It renders the concluded result: a case fails exactly when the soak counts
 * it against the overall verdict (verdict_run_fails, verdict_sweep_fails), so under
 * `make faults` a fault build caught as required passes. */
#ifndef HARNESS_JUNIT_H
#define HARNESS_JUNIT_H

#include <stddef.h>

struct SoakResult;

/* 0, or -1 with a message in err. */
int junit_write(const struct SoakResult *res, const char *out_dir, char *err, size_t errlen);

#endif
