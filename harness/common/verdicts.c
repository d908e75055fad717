#include "verdicts.h"

static const char *const k_verdicts[V_COUNT] = {"FLAT",        "UNJUDGED", "INCONCLUSIVE", "GROWING",
                                                "ERROR",       "CRASHED",  "LOAD_FAILED",  "TIMEOUT",
                                                "OVER_BUDGET", "NOT_RUN"};

const char *verdict_name(Verdict v)
{
    return v < V_COUNT ? k_verdicts[v] : "?";
}

const char *overall_name(Overall o)
{
    static const char *const k_overall[] = {"PASS", "FAIL", "INCOMPLETE", "INCONCLUSIVE"};
    return o <= OVERALL_INCONCLUSIVE ? k_overall[o] : "?";
}

Verdict verdict_unstarted(void)
{
    return V_CRASHED;
}
