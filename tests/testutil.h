/* testutil.h - shared helpers for the cmocka test programs.
 *
 * Failures print the numbers that differ (expected, got, tolerance) before failing. */
#ifndef TESTS_TESTUTIL_H
#define TESTS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>

/* |got - want| <= atol + rtol * max(|got|, |want|), else a message and a test failure. */
#define ASSERT_CLOSE(got, want, atol, rtol, what)                                                 \
    do {                                                                                          \
        double g_ = (got), w_ = (want);                                                           \
        double tol_ = (atol) + (rtol) * fmax(fabs(g_), fabs(w_));                                 \
        if (!(fabs(g_ - w_) <= tol_))                                                             \
            fail_msg("%s: expected %.9g, got %.9g (|diff| %.3g > tolerance %.3g)", (what), w_, g_, \
                     fabs(g_ - w_), tol_);                                                        \
    } while (0)

#endif
