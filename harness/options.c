#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ci.h"
#include "runs.h"
#include "target.h"
#include "util.h"

typedef enum OptKind {
    K_FLAG, K_LONG, K_DOUBLE, K_STR, K_FILE, K_ITERS, K_RESUME, K_MODES, K_FAULTS, K_CONFIG, K_SHARD, K_GONE,
    K_VARIANT, K_REGEX, K_ANNOTATE
} OptKind;

typedef struct OptSpec {
    const char *name;
    OptKind kind;
    size_t offset; /* into Options */
    double lo, hi; /* numbers: accepted range */
    const char *metavar;
    const char *help;
} OptSpec;

#define OFF(f) offsetof(Options, f)
static const OptSpec k_opts[] = {
    {"--iters", K_ITERS, OFF(iters), 1, 1e9, "LIST", "iteration counts, comma- or space-separated (100,500,1000,5000,10000)"},
    {"--modes", K_MODES, OFF(modes), 0, 0, "LIST", "native,asan,valgrind,jemalloc,lsan (the first four; --cmd: see below)"},
    {"--faults", K_FAULTS, OFF(faults), 0, 0, "LIST", "fault builds to run, e.g. none,leak (none): build/<variant>-fault-NAME"},
    {"--config", K_CONFIG, OFF(config), 0, 0, "NAME", "the workload each run trains (soak; the list is below)"},
    {"--resume-iters", K_RESUME, OFF(resume_iters), 11, 1e9, "LIST", "counts at which each mode also runs from a checkpoint (default: the largest count up to 1000; none)"},
    {"--data", K_FILE, OFF(data), 0, 0, "FILE", "text to train on (default: the built-in corpus)"},
    {"--out", K_STR, OFF(out), 0, 0, "DIR", "output folder (reports/out/<run-id>; reports/latest then points at it)"},
    {"--build", K_STR, OFF(build), 0, 0, "DIR", "where the variant folders are (build)"},
    {"--native-variant", K_VARIANT, OFF(native_variant), 0, 0, "V", "the build native mode runs: release, or coverage (make soak-coverage)"},
    {"--budget-mb", K_LONG, OFF(budget_mb), 1, 1 << 30, "N", "memory budget per run; the watchdog kills a run above it (a quarter of the memory / --jobs)"},
    {"--timeout", K_DOUBLE, OFF(timeout_s), 0.001, 1e7, "S", "seconds per run (default: from the mode, workload and count)"},
    {"--jobs", K_LONG, OFF(jobs), 1, 256, "N", "runs at once (default: the number of cores)"},
    {"--shard", K_SHARD, OFF(shard_k), 0, 0, "K/N", "run only the K-th of N deterministic slices of the matrix"},
    /* gone: a band of bytes per run let a slow leak pass and a short run fail (docs/soak.md) */
    {"--tolerance-rss-kb", K_GONE, 0, 0, 0, "N", NULL},
    {"--tolerance-alloc-kb", K_GONE, 0, 0, 0, "N", NULL},
    {"--warmup", K_DOUBLE, OFF(tol.warmup_frac), 0, 0.999, "F", "fraction of each run treated as warm-up (0.1)"},
    {"--no-events", K_FLAG, OFF(no_events), 0, 0, NULL, "no event logs (no site attribution for GROWING runs)"},
    {"--baseline", K_FILE, OFF(baseline), 0, 0, "FILE", "compare with a saved summary.json: FAIL on a regression"},
    {"--baseline-peak-pct", K_DOUBLE, OFF(base_peak_pct), 0, 1e5, "P", "allowed rise of a run's peak memory against the baseline (10)"},
    {"--baseline-time-pct", K_DOUBLE, OFF(base_time_pct), 0, 1e5, "P", "allowed rise of its time per iteration (25)"},
    {"--templates", K_STR, OFF(templates), 0, 0, "DIR", "gnuplot chart templates (reports)"},
    {"--expect-faults", K_FLAG, OFF(expect_faults), 0, 0, NULL, "judge fault builds by the detection matrix (make faults)"},
    {"--program", K_STR, OFF(program), 0, 0, "PATH", "tests only: run PATH instead of train_full"},
    {"--cmd", K_STR, OFF(cmd), 0, 0, "'PROG ARGS'", "soak any program: {iters} becomes each count (docs/any-program.md)"},
    {"--asan-cmd", K_STR, OFF(asan_cmd), 0, 0, "'PROG ARGS'", "with --cmd: the program built with ASan (the asan mode)"},
    {"--step-regex", K_REGEX, OFF(step_regex), 0, 0, "RE", "with --cmd: a line of its output that ends a step; (group 1) its number"},
    {"--strict-leaks", K_FLAG, OFF(strict_leaks), 0, 0, NULL, "a leak of the same size at every count fails too"},
    {"--lsan-suppressions", K_FILE, OFF(lsan_suppressions), 0, 0, "FILE", "LeakSanitizer suppressions (its format)"},
    {"--valgrind-suppressions", K_FILE, OFF(valgrind_suppressions), 0, 0, "FILE", "Valgrind suppressions (its format)"},
    {"--prof-sample", K_LONG, OFF(prof_sample), 8, 30, "N", "jemalloc mode: heap profile sample every 2^N bytes (17)"},
    {"--annotate", K_ANNOTATE, OFF(annotate), 0, 0, "github|none", "workflow annotations and the step summary (github when GITHUB_ACTIONS=true)"},
    {"-h", K_FLAG, OFF(help), 0, 0, NULL, NULL},
    {"--help", K_FLAG, OFF(help), 0, 0, NULL, "this text"},
};
#define N_OPTS (sizeof k_opts / sizeof k_opts[0])

static char g_faults[MAX_FAULTS][32]; /* --faults' names (Options points here) */

int split_list(const char *s, char out[][32], int max)
{
    int n = 0;
    for (const char *p = s; *p;) {
        while (*p == ',' || isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, ", \t\n");
        if (n == max || len >= 32)
            return -1;
        memcpy(out[n], p, len);
        out[n][len] = 0;
        n++;
        p += len;
    }
    return n;
}

static int bad(const OptSpec *s, const char *v, const char *why)
{
    fprintf(stderr, "soak: %s: '%s' %s\nTry 'soak --help'.\n", s->name, v, why);
    return 2;
}

static int set_counts(const OptSpec *s, const char *v, long *out, int *n)
{
    char list[MAX_ITERS][32];
    int k = split_list(v, list, MAX_ITERS);
    if (k <= 0)
        return bad(s, v, "is not a list of at most 16 counts");
    for (int j = 0; j < k; j++)
        if (!parse_long(list[j], (long)s->lo, (long)s->hi, &out[j]))
            return bad(s, list[j], s->lo > 1 ? "is not a whole number above the checkpoint's 10 iterations"
                                              : "is not a whole number in 1..1000000000");
    *n = k;
    return 0;
}

static int set_modes(const OptSpec *s, const char *v, Options *o)
{
    char list[MODE_COUNT * 4][32], why[160];
    int k = split_list(v, list, MODE_COUNT * 4);
    snprintf(why, sizeof why, "names no mode (valid: %s)", mode_names());
    if (k <= 0)
        return bad(s, v, why);
    o->n_modes = 0;
    for (int j = 0; j < k; j++) {
        Mode m;
        snprintf(why, sizeof why, "is not a mode (valid: %s)", mode_names());
        if (!mode_parse(list[j], &m))
            return bad(s, list[j], why);
        int dup = 0;
        for (int q = 0; q < o->n_modes; q++)
            dup |= o->modes[q] == m;
        if (!dup)
            o->modes[o->n_modes++] = m;
    }
    return 0;
}

static int set_faults(const OptSpec *s, const char *v, Options *o)
{
    int k = split_list(v, g_faults, MAX_FAULTS);
    if (k <= 0)
        return bad(s, v, "is not a list of at most 16 fault names");
    for (int j = 0; j < k; j++) {
        if (!fault_known(g_faults[j])) {
            char why[512];
            int len = snprintf(why, sizeof why, "is not a fault build (valid:");
            for (int i = 0; i < fault_count() && len < (int)sizeof why - 40; i++)
                len += snprintf(why + len, sizeof why - (size_t)len, " %s", fault_name(i));
            snprintf(why + len, sizeof why - (size_t)len, ")");
            return bad(s, g_faults[j], why);
        }
        o->faults[j] = g_faults[j];
    }
    o->n_faults = k;
    return 0;
}

/* Sets option s from value v. 0, or 2 after a message. */
static int set_value(const OptSpec *s, const char *v, Options *o)
{
    char *dst = (char *)o + s->offset, why[160];
    switch (s->kind) {
    case K_FLAG: return 0;
    case K_LONG: return parse_long(v, (long)s->lo, (long)s->hi, (long *)dst) ? 0 : bad(s, v, "is not a whole number in range");
    case K_DOUBLE: return parse_double(v, s->lo, s->hi, (double *)dst) ? 0 : bad(s, v, "is not a number in range");
    case K_GONE:
        return bad(s, v, "is no longer an option: a series grows when its growth goes on through the run, of any "
                         "size, and not otherwise (docs/soak.md, \"Verdicts\")");
    case K_STR: *(const char **)dst = v; return 0;
    case K_REGEX: {
        regex_t re;
        int rc = regcomp(&re, v, REG_EXTENDED);
        size_t groups = rc ? 0 : re.re_nsub;
        if (!rc)
            regfree(&re);
        return rc ? bad(s, v, "is not a valid extended regular expression")
               : groups != 1 ? bad(s, v, "needs exactly one capture group: (the step number)")
                             : (*(const char **)dst = v, 0);
    }
    case K_FILE: return access(v, R_OK) == 0 ? (*(const char **)dst = v, 0) : bad(s, v, strerror(errno));
    case K_ITERS: return set_counts(s, v, o->iters, &o->n_iters);
    case K_RESUME: o->resume_given = 1; o->n_resume = 0; return strcmp(v, "none") ? set_counts(s, v, o->resume_iters, &o->n_resume) : 0;
    case K_MODES: o->modes_given = 1; return set_modes(s, v, o);
    case K_FAULTS: return set_faults(s, v, o);
    case K_CONFIG:
        snprintf(why, sizeof why, "is not a workload (valid: %s)", workload_names());
        return workload_find(v) && strcmp(v, "cmd") ? (o->config_given = 1, o->config = v, 0) : bad(s, v, why);
    case K_VARIANT: return strcmp(v, "release") && strcmp(v, "coverage") ? bad(s, v, "is not release or coverage") : (o->native_variant = v, 0);
    case K_ANNOTATE:
        return strcmp(v, "github") && strcmp(v, "none") ? bad(s, v, "is not github or none") : (o->annotate = !strcmp(v, "github"), 0);
    case K_SHARD: {
        char extra;
        int k = 0, n = 0;
        if (sscanf(v, "%d/%d%c", &k, &n, &extra) != 2 || n < 1 || k < 1 || k > n)
            return bad(s, v, "is not K/N with 1 <= K <= N");
        o->shard_k = k;
        o->shard_n = n;
        return 0;
    }
    }
    return 0;
}

static void defaults(Options *o)
{
    memset(o, 0, sizeof *o);
    static const long def_iters[] = {100, 500, 1000, 5000, 10000};
    memcpy(o->iters, def_iters, sizeof def_iters);
    o->n_iters = 5;
    o->faults[0] = "none";
    o->n_faults = 1;
    o->config = "soak";
    o->build = "build";
    o->native_variant = "release";
    o->annotate = ci_github_default();
    o->jobs = sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
    o->tol = tolerance_defaults();
    o->base_peak_pct = 10;
    o->base_time_pct = 25;
    static char templates[PATH_MAX];
    target_templates(templates, sizeof templates);
    o->templates = templates;
    o->prof_sample = 17;
}

/* The modes a soak runs unless --modes says (modes.h: the built-in program's, or a
 * command's; a mode that needs the user's own build only with it: asan with --asan-cmd,
 * else it is left out with a note). */
static int default_modes(Options *o)
{
    if (!o->modes_given)
        o->n_modes = mode_defaults(o->cmd != NULL, o->asan_cmd != NULL, o->modes);
    for (int i = 0; o->cmd && !o->asan_cmd && i < o->n_modes; i++)
        if (mode_spec(o->modes[i])->own_build) {
            fprintf(stderr, "soak: mode %s skipped: it needs the program built with ASan (--asan-cmd)\n",
                    mode_name(o->modes[i]));
            memmove(o->modes + i, o->modes + i + 1, (size_t)(--o->n_modes - i) * sizeof *o->modes);
            i--;
        }
    if (!o->cmd && (o->asan_cmd || o->step_regex)) {
        fprintf(stderr, "soak: %s: only with --cmd (the built-in program marks its own steps)\n",
                o->asan_cmd ? "--asan-cmd" : "--step-regex");
        return 2;
    }
    if (o->cmd && (o->config_given || o->n_faults > 1 || strcmp(o->faults[0], "none"))) {
        fprintf(stderr, "soak: --cmd: --config and --faults are for the built-in program\n");
        return 2;
    }
    if (!o->n_modes)
        fprintf(stderr, "soak: no mode left to run\n");
    return o->n_modes ? 0 : 2;
}

/* What follows from the options: the workload, its resumed runs, the memory budget. */
static int derive(Options *o)
{
    int rc = default_modes(o);
    if (rc)
        return rc;
    if (o->cmd)
        o->config = "cmd";
    o->wl = workload_find(o->config);
    if (!o->resume_given && o->wl->checkpoints && !o->program) {
        /* one resumed run per mode: at the largest count up to 1000 (else the smallest) */
        long pick = 0, least = o->iters[0];
        for (int j = 0; j < o->n_iters; j++) {
            least = o->iters[j] < least ? o->iters[j] : least;
            pick = o->iters[j] <= 1000 && o->iters[j] > pick ? o->iters[j] : pick;
        }
        o->resume_iters[0] = pick ? pick : least;
        o->n_resume = o->resume_iters[0] > WORKLOAD_RESUME_FROM;
    }
    if (o->n_resume && !o->wl->checkpoints) {
        fprintf(stderr, "soak: --resume-iters: workload '%s' writes no checkpoints (use --config soak)\n", o->config);
        return 2;
    }
    if (!o->budget_mb) {
        long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
        double machine_mb = pages > 0 && size > 0 ? (double)pages * (double)size / MIB : 4096;
        o->budget_mb = (long)(machine_mb / 4 / (double)o->jobs);
        o->budget_mb = o->budget_mb < 256 ? 256 : o->budget_mb;
    }
    return 0;
}

int options_parse(int argc, char **argv, Options *o)
{
    defaults(o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const OptSpec *s = NULL;
        for (size_t k = 0; k < N_OPTS && !s; k++)
            s = !strcmp(k_opts[k].name, a) ? &k_opts[k] : NULL;
        if (!s) {
            fprintf(stderr, "soak: %s '%s'\nTry 'soak --help'.\n", a[0] == '-' ? "unknown option" : "unexpected argument", a);
            return 2;
        }
        if (s->kind == K_FLAG) {
            *(int *)((char *)o + s->offset) = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "soak: %s: missing value (%s %s)\nTry 'soak --help'.\n", a, a, s->metavar);
            return 2;
        }
        int rc = set_value(s, argv[++i], o);
        if (rc)
            return rc;
    }
    return o->help ? 0 : derive(o);
}

void options_usage(FILE *f)
{
    fprintf(f, "usage: soak [options]\n"
               "       soak merge DIR... [--out DIR]\n"
               "       soak report [DIR] [--baseline FILE] [--templates DIR]\n"
               "       soak baseline [DIR] [--to FILE] [--force]\n"
               "       soak workload NAME | soak list faults|modes|workloads\n\n"
               "Runs build/<variant>/train_full for every iteration count x mode (x fault), each as a\n"
               "child process under a watchdog, and decides whether memory stays flat. Writes one\n"
               "folder per run, summary.json, junit.xml and index.html (formats: docs/soak.md).\n\n");
    for (size_t k = 0; k < N_OPTS; k++) {
        if (!k_opts[k].help)
            continue;
        char left[40];
        snprintf(left, sizeof left, "%s%s%s", k_opts[k].name, k_opts[k].metavar ? " " : "",
                 k_opts[k].metavar ? k_opts[k].metavar : "");
        fprintf(f, "  %-24s %s\n", left, k_opts[k].help);
    }
    fprintf(f, "\nWorkloads (--config):\n");
    workload_list(f);
    fprintf(f, "\nsoak merge DIR...     combines the run folders of several shards (or soaks) into one\n"
               "                      summary, re-deriving every verdict from the runs' files; a run\n"
               "                      found twice is kept once; soaks of other commits, builds or\n"
               "                      workloads are refused.\n"
               "soak report [DIR]     rewrites DIR/index.html and its charts (DIR: reports/latest).\n"
               "soak baseline [DIR]   saves DIR/summary.json (reports/latest) as reports/baseline.json;\n"
               "                      only a complete soak that passed, unless --force.\n"
               "soak workload NAME    prints the train_full arguments of a workload, one per line.\n"
               "soak list KIND        prints the valid fault, mode or workload names, one per line.\n\n"
               "Verdicts: FLAT, GROWING, ERROR (sanitizer or Valgrind report), CRASHED, TIMEOUT,\n"
               "OVER_BUDGET, NOT_RUN (interrupted). Overall: PASS, FAIL or INCOMPLETE.\n"
               "Exit status: 0 PASS, 1 FAIL or INCOMPLETE, 2 bad usage or input, 130/143 interrupted by\n"
               "SIGINT/SIGTERM (children stopped, finished runs kept, summary says INCOMPLETE).\n");
}
