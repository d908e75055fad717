#include "words.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "runs.h"
#include "util.h"

void words_modes(unsigned bits, char *out, size_t cap)
{
    size_t len = 0;
    out[0] = 0;
    for (int m = 0; m < MODE_COUNT; m++)
        if (bits & (1u << m) && len < cap)
            len += (size_t)snprintf(out + len, cap - len, "%s%s", len ? ", " : "", mode_name((Mode)m));
    if (!len)
        snprintf(out, cap, "-");
}

void words_amount(const Problem *p, double v, char *out, size_t cap)
{
    const char *unit = kind_unit(p->kind);
    if (unit && v >= 100)
        snprintf(out, cap, "%.0f %s", v, unit);
    else if (unit)
        snprintf(out, cap, "%.3g %s", v, unit);
    else
        fmt_bytes(out, cap, v);
}

/* What a problem's count counts: a service's requests, a program's iterations. */
static const char *step_word(const Problem *p)
{
    return p->n_runs ? run_step_word(p->runs[0]) : "iteration";
}

void words_projection(const Problem *p, char *out, size_t cap)
{
    out[0] = 0;
    if (isnan(p->rate) || p->rate <= 0)
        return;
    char b[48];
    words_amount(p, p->rate * DIAG_PROJECT_ITERS, b, sizeof b);
    snprintf(out, cap, "at this rate 1,000,000 %ss %s %s more", step_word(p),
             kind_unit(p->kind) ? "hold" : "need", b);
}

void words_rate(const Problem *p, char *out, size_t cap)
{
    char a[48];
    out[0] = 0;
    if (!isnan(p->rate) && kind_unit(p->kind)) { /* "0.02 descriptors/iteration, one every 50 iterations" */
        words_amount(p, p->rate, a, sizeof a);
        snprintf(out, cap, "%s/%s, one every %.0f %ss (%s)", a, step_word(p), 1 / p->rate, step_word(p),
                 p->rate_from[0] ? p->rate_from : "measured");
    } else if (!isnan(p->rate)) {
        fmt_bytes(a, sizeof a, p->rate);
        snprintf(out, cap, "%s/%s (%s)", a, step_word(p), p->rate_from[0] ? p->rate_from : "measured");
    } else if (!isnan(p->once_bytes)) {
        fmt_bytes(a, sizeof a, p->once_bytes);
        snprintf(out, cap, "%s once", a);
    }
}

void words_problem(const Problem *p, char *out, size_t cap)
{
    size_t n;
    int once = p->kind == KIND_ONE_TIME_LEAK && !isnan(p->once_bytes);
    char a[32];
    if (once) { /* "a one-time leak of 4.0 KiB in f (file:line)": no rate, no projection */
        fmt_bytes(a, sizeof a, p->once_bytes);
        n = (size_t)snprintf(out, cap, "one-time-leak of %s", a);
    } else {
        n = (size_t)snprintf(out, cap, "%s", kind_name(p->kind));
    }
    if (p->function[0])
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, " in %s%s%s%s", p->function,
                              p->location[0] ? " (" : "", p->location, p->location[0] ? ")" : "");
    else if (p->site[0])
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, " at site %s", p->site);
    if (p->process[0])
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, " in process %s", p->process);
    if (p->site[0] && p->function[0])
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, ", site %s", p->site);
    if (strcmp(p->fault, "none"))
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, " [fault build %s]", p->fault);
    char rate[200];
    words_rate(p, rate, sizeof rate);
    if (rate[0] && !once)
        n += (size_t)snprintf(out + n, n < cap ? cap - n : 0, ": %s", rate);
    char modes[96];
    words_modes(p->seen, modes, sizeof modes);
    snprintf(out + n, n < cap ? cap - n : 0, "; seen by %s", modes);
}
