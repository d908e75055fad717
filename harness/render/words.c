#include "words.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "analysis.h"
#include "columns.h"
#include "result.h"
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

/* ---- a run in words (its detail) ------------------------------------------------------------ */

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGXFSZ: return "SIGXFSZ (file size limit: is the disk full?)";
    default: return "signal";
    }
}

/* "mem.heap_bytes grows 1.0 bytes/iteration (...); tape.entries; top site fault.leak (...)" */
static void growing_words(const Run *r, char *d, size_t cap)
{
    const SeriesResult *w = &r->an.series[r->an.worst];
    const char *per = run_step_word(r);
    int len;
    if (w->cls == SERIES_COUNT) /* descriptors, threads, mappings: one by one */
        len =
            snprintf(d, cap, "%s grows %.3g/%s (%.0f more over the run)", w->name, w->slope, per, w->growth);
    else
        len = snprintf(d, cap, "%s grows %.1f bytes/%s (%.0f bytes over the run)", w->name, w->slope, per,
                       w->growth);
    if (!strcmp(w->name, COL_FDS) && r->fds.count > 0)
        len += snprintf(d + len, cap - (size_t)len, ", %d more open on %s%s%s", r->fds.count, r->fds.target,
                        r->fds.frame[0] ? ", opened at " : "", r->fds.frame);
    for (int i = 0; i < r->an.n_series && len < (int)cap - 64; i++)
        if (r->an.series[i].growing && i != r->an.worst)
            len += snprintf(d + len, cap - (size_t)len, "; %s", r->an.series[i].name);
    if (r->n_sites && len < (int)cap - 48)
        snprintf(d + len, cap - (size_t)len, "; top site %s (%.1f bytes/iteration)", r->sites[0].site,
                 r->sites[0].score);
}

/* Why a service's run ended as it did: never ready, ended under its load, its load failed. */
static void service_words(const Run *r, char *d, size_t cap)
{
    const char *first = r->last_words;
    switch (r->cause) {
    case CAUSE_NOT_READY:
        snprintf(
            d, cap,
            "the server never became ready (waited %.1f s: --ready-port, --ready-regex, --ready-timeout)%s%s",
            r->ready_s, first[0] ? "; its last words: " : "", first);
        return;
    case CAUSE_SERVER_EXITED:
        if (r->signal)
            snprintf(d, cap, "the server was killed by %s (%d) under its load%s%s", signal_name(r->signal),
                     r->signal, first[0] ? ": " : "", first);
        else
            snprintf(d, cap, "the server exited (status %d) before its load had finished%s%s", r->exit_code,
                     first[0] ? ": " : "", first);
        return;
    case CAUSE_LOAD_FAILED:
        if (r->load_signal)
            snprintf(d, cap, "the load was killed by %s (%d)%s%s; the server is not judged",
                     signal_name(r->load_signal), r->load_signal, first[0] ? ": " : "", first);
        else
            snprintf(d, cap, "the load exited %d%s%s; the server is not judged", r->load_exit,
                     first[0] ? ": " : "", first);
        return;
    default: return;
    }
}

/* The runs of res that were judged (FLAT, GROWING, INCONCLUSIVE). */
static int runs_judged(const SoakResult *res)
{
    int n = 0;
    for (int i = 0; i < res->n_runs; i++)
        n += res->runs[i].verdict == V_FLAT || res->runs[i].verdict == V_GROWING ||
             res->runs[i].verdict == V_INCONCLUSIVE;
    return n;
}

void words_incomplete(const SoakResult *res, char *out, size_t cap)
{
    int done = 0, unjudged = 0, not_run = 0, missed = 0;
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        not_run += r->verdict == V_NOT_RUN;
        done += r->verdict != V_NOT_RUN;
        unjudged += r->verdict == V_UNJUDGED;
    }
    for (int i = 0; i < res->n_controls; i++)
        missed += !res->controls[i].control_caught && res->controls[i].control != 2;
    size_t n =
        (size_t)snprintf(out, cap, "the soak did not complete: %d of %d runs finished", done, res->n_runs);
    if (unjudged && n < cap)
        n += (size_t)snprintf(out + n, cap - n, ", %d of them not judged (too short, or blind)", unjudged);
    if (not_run && n < cap)
        n += (size_t)snprintf(out + n, cap - n, "; %d not run%s", not_run,
                              res->interrupted ? " (interrupted)" : " (past --timeout at their pace)");
    if (missed && n < cap)
        snprintf(out + n, cap - n, "; %d control%s missed", missed, missed > 1 ? "s" : "");
}

void words_no_problem(const SoakResult *res, char *out, size_t cap)
{
    int undecided = 0, judged = runs_judged(res);
    for (int i = 0; i < res->n_runs; i++)
        undecided += res->runs[i].verdict == V_INCONCLUSIVE;
    char why[300];
    if (res->overall == OVERALL_INCOMPLETE)
        words_incomplete(res, why, sizeof why);
    if (res->overall == OVERALL_INCOMPLETE && !judged)
        snprintf(out, cap, "no run could be judged (%s)", why);
    else if (res->overall == OVERALL_INCOMPLETE)
        snprintf(out, cap, "memory stays flat in the %d run%s that %s judged (%s)", judged,
                 judged > 1 ? "s" : "", judged > 1 ? "were" : "was", why);
    else if (undecided)
        snprintf(
            out, cap,
            "no growth found, but %d run%s INCONCLUSIVE: %s growth, or %s sensitivity, could not be decided "
            "(their detail says why)",
            undecided, undecided > 1 ? "s are" : " is", undecided > 1 ? "their" : "its",
            undecided > 1 ? "their" : "its");
    else
        snprintf(out, cap, "memory stays flat in every run and across the sweep");
}

void words_per_unit(double v, char *out, size_t cap)
{
    snprintf(out, cap, v >= 100 ? "%.0f" : v >= 1 ? "%.1f" : "%.2g", v);
}

const char *const k_glossary = "docs/glossary.md";
const char *const k_glossary_installed = "share/doc/flatmem/glossary.md";

/* What a FLAT run of a leak-checking mode that judged no byte series could have seen. */
const char *const k_no_block_lost =
    "no block lost at exit (its leak check); memory still held is not judged here";

void words_sensitivity(const Run *r, int with_run, char *out, size_t cap)
{
    out[0] = 0;
    if (!r || r->an.sensitive < 0)
        return;
    const SeriesResult *s = &r->an.series[r->an.sensitive];
    char v[32];
    words_per_unit(s->sensitivity, v, sizeof v);
    if (with_run)
        snprintf(out, cap, "no growth above %s bytes/%s (%s, %s %ld)", v, run_step_word(r), s->name,
                 mode_name(r->mode), r->iters);
    else
        snprintf(out, cap, "no growth above %s bytes/%s (%s)", v, run_step_word(r), s->name);
}

/* The judge's reason (its cause and figures), as the judge worded it before it kept codes. */
static void cause_words(const Run *r, char *d, size_t cap)
{
    unsigned long long at = (unsigned long long)r->iter_reached;
    d[0] = 0;
    switch (r->cause) {
    case CAUSE_NOT_STARTED: snprintf(d, cap, "not started"); break;
    case CAUSE_WONT_FIT:
        snprintf(d, cap,
                 "not started: at the pace of its mode's first run it would take about %.0f s, past "
                 "--timeout; give smaller counts (--iters) or a larger --timeout",
                 r->expect_s);
        break;
    case CAUSE_UNSTARTED: snprintf(d, cap, "could not be started (see stderr)"); break;
    case CAUSE_BUDGET:
        snprintf(d, cap, "stopped by the watchdog at %.1f MiB (budget %.0f MiB) at iteration %llu",
                 (double)r->peak_rss_bytes / MIB, (double)r->budget_bytes / MIB, at);
        break;
    case CAUSE_TIMEOUT: snprintf(d, cap, "stopped after %.0f s at iteration %llu", r->wall_s, at); break;
    case CAUSE_INTERRUPT: snprintf(d, cap, "interrupted at iteration %llu", at); break;
    case CAUSE_FINDING:
        if ((size_t)snprintf(d, cap, "%s %s: %s%s%s", r->finding.tool, r->finding.kind, r->finding.message,
                             r->finding.n_frames ? " at " : "",
                             r->finding.n_frames ? r->finding.frames[0] : "") >= cap)
            d[cap - 1] = 0; /* cut: the whole report is in the run's log */
        break;
    case CAUSE_NOT_READY:
    case CAUSE_SERVER_EXITED:
    case CAUSE_LOAD_FAILED: service_words(r, d, cap); break;
    case CAUSE_SIGNAL:
        snprintf(d, cap, "killed by %s (%d) at iteration %llu", signal_name(r->signal), r->signal, at);
        break;
    case CAUSE_EXIT:
        snprintf(d, cap, "exit status %d at iteration %llu%s%s", r->exit_code, at,
                 r->last_words[0] ? ": " : "", r->last_words);
        break;
    case CAUSE_NO_SAMPLES: snprintf(d, cap, "no samples could be read (%s)", r->samples_err); break;
    case CAUSE_BAD_SAMPLES:
        snprintf(d, cap, "samples.csv is damaged: %zu rows could not be read", r->bad_rows);
        break;
    case CAUSE_SHORT:
        snprintf(d, cap, "exited 0 but its samples end at iteration %llu of %ld", at, r->iters);
        break;
    case CAUSE_BLIND:
        snprintf(
            d, cap,
            "blind: neither %s nor the soak's probe was loaded in the program (not in its memory map as it "
            "ran): its "
            "LD_PRELOAD was replaced on the way (a wrapper that sets LD_PRELOAD instead of appending to it, "
            "env -i) or it is statically linked; nothing this mode measures was measured",
            mode_spec(r->mode)->preload_cmd == PRELOAD_LSAN ? "LeakSanitizer" : "jemalloc");
        break;
    case CAUSE_UNJUDGED:
        if (r->an.n_short)
            snprintf(d, cap,
                     "too short to judge: %zu samples after warm-up, not %d in each of its %d spans "
                     "(one between the first and the last may have fewer); give larger counts, or "
                     "--step-regex / flatmem_step() marks",
                     r->an.min_rows, ANALYSIS_MIN_POINTS, ANALYSIS_SEGMENTS);
        else
            snprintf(d, cap,
                     "too short to judge: it ended (exit 0) before the soak could take "
                     "a sample after its warm-up (every 2 ms at first); give larger counts");
        break;
    case CAUSE_GROWING: growing_words(r, d, cap); break;
    case CAUSE_FLAT: {
        char sens[160];
        words_sensitivity(r, 0, sens, sizeof sens);
        if (!sens[0] && mode_spec(r->mode)->checks_leaks) /* its figure is its leak check's */
            snprintf(sens, sizeof sens, "%s", k_no_block_lost);
        snprintf(d, cap, "%d series flat (%d judged)%s%s", r->an.n_series, r->an.n_judged,
                 sens[0] ? "; " : "", sens);
        break;
    }
    }
}

void run_detail(const Run *r, char *out, size_t cap)
{
    char d[RUN_DETAIL_MAX];
    if (r->settled_by) { /* a growth that stops (verdict_settle): the words of the settled verdict */
        char rise[32];
        fmt_bytes(rise, sizeof rise, r->settled_bytes);
        snprintf(d, sizeof d,
                 "%s rose %s in this run, then stops: flat after warm-up in the "
                 "%ld-iteration run (growth that stops: a longer warm-up, a cache filling)",
                 r->settled_series, rise, r->settled_by);
        snprintf(out, cap, "%s", d);
        return;
    }
    if (r->verdict == V_INCONCLUSIVE && r->coarse > 0) { /* verdict_settle: FLAT, but coarser than asked */
        char sens[200];
        words_sensitivity(r, 0, sens, sizeof sens);
        snprintf(out, cap,
                 "undecided: flat, but %s, not %g as --sensitivity asks; give larger counts (--iters)",
                 sens[0] ? sens : "no byte series could be judged", r->coarse);
        return;
    }
    if (r->verdict ==
        V_INCONCLUSIVE) { /* verdict_settle: a growth told neither from noise nor by a longer run */
        const SeriesResult *w = &r->an.series[r->an.worst];
        char sens[32] = "?";
        if (!isnan(w->sensitivity))
            words_per_unit(w->sensitivity, sens, sizeof sens);
        snprintf(out, cap,
                 "undecided: %s rose %.2g bytes/%s (%.0f bytes over the run), not beyond the scatter of its "
                 "floors (it would show a growth above %s bytes/%s); give larger counts (--iters)",
                 w->name, w->slope, run_step_word(r), w->growth, sens, run_step_word(r));
        return;
    }
    cause_words(r, d, sizeof d);
    size_t len = strlen(d);
    if (r->confirmed_by && len + 80 < sizeof d)
        len += (size_t)snprintf(d + len, sizeof d - len, "; beyond its noise in the %ld-%s run",
                                r->confirmed_by, run_step_word(r));
    if (r->longer_of && len + 80 < sizeof d)
        len += (size_t)snprintf(d + len, sizeof d - len, "; run by the soak to decide the %ld-%s run",
                                r->longer_of, run_step_word(r));
    if (r->grower[0] && len + 80 < sizeof d)
        snprintf(d + len, sizeof d - len, "; grows in %s%s", r->grower,
                 r->grower_is_child ? ", a child of the command" : ", the command's own process");
    len = strlen(d);
    if (r->n_stacks) { /* what grew, named (judge's run_attribute) */
        const StackGrowth *g = &r->stacks[0];
        if (g->python)
            snprintf(d + len, sizeof d - len, "; top line %s in %s: %s (%.1f bytes/iteration)", g->where,
                     g->function, g->code, g->bytes_per_iter);
        else
            snprintf(d + len, sizeof d - len, "; top %s %s %s (%.1f bytes/iteration)",
                     r->stacks_mapped ? "mapping" : "stack", g->function, g->where, g->bytes_per_iter);
    }
    snprintf(out, cap, "%s", d);
}

/* ---- what a problem measured beyond its rate ------------------------------------------------ */

void words_problem_detail(const Problem *p, char *out, size_t cap)
{
    char d[PROBLEM_DETAIL_MAX] = "";
    const struct Run *r = p->lead_run;
    switch (p->lead) {
    case LEAD_NONE: break;
    case LEAD_FDS_OPEN:
        snprintf(d, sizeof d, "open on %s: %d more at the end of %s %ld than after its warm-up",
                 r->fds.target, r->fds.count, mode_name(r->mode), r->iters);
        break;
    case LEAD_INTERPRETER_OWN:
        snprintf(d, sizeof d,
                 "the Python interpreter's own: CPython does not free everything at exit (every frame is "
                 "the interpreter's), not the program's code");
        break;
    case LEAD_PEAK_SWEEP:
        snprintf(d, sizeof d,
                 "every run is FLAT on its own, but peak memory rises %.0f KiB from the "
                 "smallest count to the largest (%s)",
                 p->lead_growth / 1024.0, mode_name(p->lead_mode));
        break;
    case LEAD_BASELINE:
        snprintf(d, sizeof d, "%d regression%s against %s: %s%s", p->lead_count, p->lead_count > 1 ? "s" : "",
                 p->lead_path ? p->lead_path : "", p->lead_first ? p->lead_first : "",
                 p->lead_count > 1 ? "; ..." : "");
        break;
    }
    for (int i = 0; i < p->n_also; i++) {
        size_t n = strlen(d);
        if (p->also[i].grew)
            snprintf(d + n, sizeof d - n, "%s%s %ld: memory grew too (what the bad access left behind)",
                     n ? "; " : "", mode_name(p->also[i].mode), p->also[i].iters);
        else
            snprintf(d + n, sizeof d - n, "%s%s also reported in %s%s%s", n ? "; " : "",
                     mode_name(p->also[i].mode), p->also[i].function, p->also[i].location[0] ? " " : "",
                     p->also[i].location);
    }
    snprintf(out, cap, "%s", d);
}
