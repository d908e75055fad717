#include "verdicts.h"

static const char *const k_verdicts[V_COUNT] = {"FLAT",        "UNJUDGED", "GROWING",     "ERROR",  "CRASHED",
                                                "LOAD_FAILED", "TIMEOUT",  "OVER_BUDGET", "NOT_RUN"};

const char *verdict_name(Verdict v)
{
    return v < V_COUNT ? k_verdicts[v] : "?";
}

const char *overall_name(Overall o)
{
    return o == OVERALL_PASS ? "PASS" : o == OVERALL_FAIL ? "FAIL" : "INCOMPLETE";
}

Verdict verdict_unstarted(void)
{
    return V_CRASHED;
}
