/* verdicts.h - the verdicts of a run and of a soak, and why the driver stopped a run: their
 * names as every output writes them. What gives which verdict: verdict.h (a run) and
 * rules.h (the soak). */
#ifndef HARNESS_VERDICTS_H
#define HARNESS_VERDICTS_H

/* In order of severity: the worst verdict of a cell is the largest. */
/* UNJUDGED: the run ended well, but too soon for its memory series to say anything
 * (too few samples after warm-up): neither flat nor growing, and not a failure. */
typedef enum Verdict {
    V_FLAT,
    V_UNJUDGED,
    V_INCONCLUSIVE, /* it grew, but not beyond the scatter of its floors, and no longer run
                       of its mode decided it (rules.h: verdict_settle) */
    V_GROWING,
    V_ERROR,
    V_CRASHED,
    V_LOAD_FAILED, /* a service's load command failed: the load's failure, not the server's */
    V_TIMEOUT,
    V_OVER_BUDGET,
    V_NOT_RUN,
    V_COUNT
} Verdict;

/* INCONCLUSIVE: nothing failed, but a run's growth could be told neither from noise nor by a
 * longer run (its own exit status: rules.h). */
typedef enum Overall { OVERALL_PASS, OVERALL_FAIL, OVERALL_INCOMPLETE, OVERALL_INCONCLUSIVE } Overall;

/* Why the driver stopped a run, if it did. */
typedef enum Kill { KILL_NONE, KILL_BUDGET, KILL_TIMEOUT, KILL_INTERRUPT } Kill;

/* Why a run has its verdict: which rung of the ladder decided (verdict.h), or that it never
 * ran. The judge's record of a run holds this code and its figures; the renderers alone
 * put it into words (render/words.h: run_detail). */
typedef enum RunCause {
    CAUSE_NOT_STARTED, /* planned, not run (a soak interrupted first) */
    CAUSE_WONT_FIT, /* not started: at its mode's measured pace it would pass --timeout */
    CAUSE_UNSTARTED, /* it could not be started */
    CAUSE_BUDGET,
    CAUSE_TIMEOUT,
    CAUSE_INTERRUPT,
    CAUSE_FINDING,
    CAUSE_NOT_READY,
    CAUSE_SERVER_EXITED,
    CAUSE_SIGNAL,
    CAUSE_EXIT,
    CAUSE_NO_SAMPLES,
    CAUSE_BAD_SAMPLES,
    CAUSE_SHORT,
    CAUSE_LOAD_FAILED,
    CAUSE_BLIND, /* the mode's preloaded tool (and the soak's probe) never reached the program */
    CAUSE_UNJUDGED,
    CAUSE_GROWING,
    CAUSE_FLAT
} RunCause;

const char *verdict_name(Verdict v);
const char *overall_name(Overall o);

/* The verdict of a run that could not be started (CRASHED). */
Verdict verdict_unstarted(void);

#endif
