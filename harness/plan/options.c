#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "faults.h"
#include "env.h"
#include "runs.h"
#include "paths.h"
#include "shard.h"
#include "opt.h"
#include "util.h"
#include "verdicts.h"

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

/* ---- the setters of the options that are more than a number or a string (cli/opt.h) ---- */

/* Why element elem of a list of k is refused: "is not X" for a list of one, else "has
 * 'elem', which is not X". */
static int list_why(char *why, size_t cap, int k, const char *elem, const char *is_not)
{
    if (k == 1)
        snprintf(why, cap, "%s", is_not);
    else
        snprintf(why, cap, "has '%s', which %s", elem, is_not);
    return -1;
}

/* A list of counts, each in o->lo..o->hi, into out[0..*n). */
static int set_counts(const Opt *o, const char *v, long *out, int *n, char *why, size_t cap)
{
    char list[MAX_ITERS][32];
    int k = split_list(v, list, MAX_ITERS);
    if (k <= 0) {
        snprintf(why, cap, "is not a list of at most 16 counts");
        return -1;
    }
    for (int j = 0; j < k; j++)
        if (!opt_long(list[j], o->lo, o->hi, &out[j]))
            return list_why(why, cap, k, list[j],
                            o->lo > 1 ? "is not a whole number above the checkpoint's 10 iterations"
                                      : "is not a whole number in 1..1000000000");
    *n = k;
    return 0;
}

static int set_iters(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    Options *opts = target;
    opts->iters_given = 1;
    return set_counts(o, v, opts->iters, &opts->n_iters, why, cap);
}

static int set_resume(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    Options *opts = target;
    opts->resume_given = 1;
    opts->n_resume = 0;
    return strcmp(v, "none") ? set_counts(o, v, opts->resume_iters, &opts->n_resume, why, cap) : 0;
}

static int set_modes(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    (void)o;
    Options *opts = target;
    char list[MODE_COUNT * 4][32];
    int k = split_list(v, list, MODE_COUNT * 4);
    opts->modes_given = 1;
    opts->n_modes = 0;
    if (k <= 0) {
        char names[128];
        snprintf(why, cap, "names no mode (valid: %s)", mode_names(names, sizeof names));
        return -1;
    }
    for (int j = 0; j < k; j++) {
        Mode m;
        char is_not[200];
        char names[128];
        snprintf(is_not, sizeof is_not, "is not a mode (valid: %s)", mode_names(names, sizeof names));
        if (!mode_parse(list[j], &m))
            return list_why(why, cap, k, list[j], is_not);
        int dup = 0;
        for (int q = 0; q < opts->n_modes; q++)
            dup |= opts->modes[q] == m;
        if (!dup)
            opts->modes[opts->n_modes++] = m;
    }
    return 0;
}

static int set_faults(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    (void)o;
    Options *opts = target;
    int k = split_list(v, opts->fault_names, MAX_FAULTS);
    if (k <= 0) {
        snprintf(why, cap, "is not a list of at most 16 fault names");
        return -1;
    }
    for (int j = 0; j < k; j++) {
        if (!fault_known(opts->fault_names[j])) {
            char is_not[512];
            int len = snprintf(is_not, sizeof is_not, "is not a fault build (valid:");
            for (int i = 0; i < fault_count() && len < (int)sizeof is_not - 40; i++)
                len += snprintf(is_not + len, sizeof is_not - (size_t)len, " %s", fault_name(i));
            snprintf(is_not + len, sizeof is_not - (size_t)len, ")");
            return list_why(why, cap, k, opts->fault_names[j], is_not);
        }
        opts->faults[j] = opts->fault_names[j];
    }
    opts->n_faults = k;
    return 0;
}

static int set_config(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    (void)o;
    Options *opts = target;
    if (!workload_find(v) || !strcmp(v, "cmd")) {
        char names[128];
        snprintf(why, cap, "is not a workload (valid: %s)", workload_names(names, sizeof names));
        return -1;
    }
    opts->config_given = 1;
    opts->config = v;
    return 0;
}

/* A file that can be read. */
static int set_file(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    if (access(v, R_OK) != 0) {
        snprintf(why, cap, "%s", strerror(errno));
        return -1;
    }
    *(const char **)((char *)target + o->offset) = v;
    return 0;
}

/* One of the words o->metavar lists ("release|coverage"). */
static int set_word(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    size_t len = strlen(v);
    for (const char *w = o->metavar; *w;) {
        size_t n = strcspn(w, "|");
        if (n == len && !strncmp(w, v, n)) {
            *(const char **)((char *)target + o->offset) = v;
            return 0;
        }
        w += n + (w[n] == '|');
    }
    snprintf(why, cap, "is not one of %s", o->metavar);
    return -1;
}

static int set_annotate(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    const char *word = NULL;
    Options *opts = target;
    Opt as_word = *o;
    as_word.offset = 0;
    if (set_word(&as_word, v, &word, why, cap) != 0)
        return -1;
    opts->annotate = !strcmp(word, "github");
    return 0;
}

/* --ready-regex: any extended regular expression. */
static int set_ready_regex(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    regex_t re;
    if (regcomp(&re, v, REG_EXTENDED | REG_NOSUB) != 0) {
        snprintf(why, cap, "is not a valid extended regular expression");
        return -1;
    }
    regfree(&re);
    *(const char **)((char *)target + o->offset) = v;
    return 0;
}

static int set_regex(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    regex_t re;
    int rc = regcomp(&re, v, REG_EXTENDED);
    size_t groups = rc ? 0 : re.re_nsub;
    if (!rc)
        regfree(&re);
    if (rc)
        snprintf(why, cap, "is not a valid extended regular expression");
    else if (groups != 1)
        snprintf(why, cap, "needs exactly one capture group: (the step number)");
    else
        *(const char **)((char *)target + o->offset) = v;
    return rc || groups != 1 ? -1 : 0;
}

static const char *env_get(const char *name)
{
    return getenv(name);
}

static int set_shard(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    (void)o;
    Options *opts = target;
    if (!strcmp(v, "auto")) {
        Shard s;
        if (shard_from_env(env_get, &s, why, cap))
            return -1;
        opts->shard_k = s.k, opts->shard_n = s.n;
        snprintf(opts->shard_source, sizeof opts->shard_source, "%s", s.source);
        snprintf(opts->shard_how, sizeof opts->shard_how, "%s", s.how);
        return 0;
    }
    snprintf(opts->shard_source, sizeof opts->shard_source, "option");
    char extra;
    int k = 0, n = 0;
    if (sscanf(v, "%d/%d%c", &k, &n, &extra) != 2 || n < 1 || k < 1 || k > n) {
        snprintf(why, cap, "is not K/N with 1 <= K <= N");
        return -1;
    }
    opts->shard_k = k;
    opts->shard_n = n;
    return 0;
}

/* Options that are gone: a band of bytes per run let a slow leak pass and a short run fail. */
static int set_gone(const Opt *o, const char *v, void *target, char *why, size_t cap)
{
    (void)o, (void)v, (void)target;
    snprintf(why, cap,
             "is no longer an option: a series grows when its growth goes on through the run, of any size, "
             "and not otherwise (docs/soak.md, \"Verdicts\")");
    return -1;
}

#define OFF(f) offsetof(Options, f)
static const Opt k_opts[] = {
    {"--cmd", OPT_STR, OFF(cmd), 0, 0, "'PROG ARGS'",
     "soak any program: {iters} becomes each count (docs/any-program.md)", NULL},
    {"--asan-cmd", OPT_STR, OFF(asan_cmd), 0, 0, "'PROG ARGS'",
     "with --cmd: the program built with ASan (the asan mode)", NULL},
    {"--step-regex", OPT_CUSTOM, OFF(step_regex), 0, 0, "RE",
     "with --cmd: a line of its output that ends a step; (group 1) its number", set_regex},
    {"--load", OPT_STR, OFF(load), 0, 0, "'CLIENT ARGS'",
     "with --cmd SERVER: a service; the load's {iters} is the requests of each count", NULL},
    {"--ready-port", OPT_LONG, OFF(ready_port), 1, 65535, "PORT",
     "with --load: the server is ready when 127.0.0.1:PORT accepts a connection", NULL},
    {"--ready-regex", OPT_CUSTOM, OFF(ready_regex), 0, 0, "RE",
     "with --load: ... when a line of its output matches RE", set_ready_regex},
    {"--ready-timeout", OPT_DOUBLE, OFF(ready_timeout_s), 0.1, 1e6, "S",
     "with --load: seconds to wait for it to be ready (30)", NULL},
    {"--stop-grace", OPT_DOUBLE, OFF(stop_grace_s), 0.1, 1e6, "S",
     "with --load: seconds from SIGTERM to SIGKILL when it does not stop (10; x3 under valgrind)", NULL},
    {"--attach", OPT_LONG, OFF(attach_pid), 1, 1 << 22, "PID",
     "sample a process already running (RSS, PSS, descriptors, threads, mappings); growth per second", NULL},
    {"--duration", OPT_DOUBLE, OFF(duration_s), 10, 1e7, "S",
     "with --attach: for how many seconds (10 or more: growth is judged over whole seconds)", NULL},
    {"--strict-leaks", OPT_FLAG, OFF(strict_leaks), 0, 0, NULL,
     "a leak that does not grow with the count fails too", NULL},
    {"--lsan-suppressions", OPT_CUSTOM, OFF(lsan_suppressions), 0, 0, "FILE",
     "LeakSanitizer suppressions (its format)", set_file},
    {"--valgrind-suppressions", OPT_CUSTOM, OFF(valgrind_suppressions), 0, 0, "FILE",
     "Valgrind suppressions (its format)", set_file},
    {"--prof-sample", OPT_LONG, OFF(prof_sample), 8, 30, "N",
     "jemalloc mode: heap profile sample every 2^N bytes (17)", NULL},
    {"--py-frames", OPT_LONG, OFF(py_frames), 1, 100, "N",
     "a Python program: frames of each traceback tracemalloc keeps, jemalloc mode (16)", NULL},
    {"--iters", OPT_CUSTOM, OFF(iters), 1, 1e9, "LIST",
     "iteration counts, comma- or space-separated (100,500,1000,5000,10000)", set_iters},
    {"--modes", OPT_CUSTOM, OFF(modes), 0, 0, "LIST",
     "modes (above): a command's default native,jemalloc,lsan,valgrind (+asan with --asan-cmd); the "
     "workload's native,asan,valgrind,jemalloc",
     set_modes},
    {"--out", OPT_STR, OFF(out), 0, 0, "DIR",
     "output folder (reports/out/<run-id>; reports/latest then points at it)", NULL},
    {"--jobs", OPT_LONG, OFF(jobs), 1, 256, "N", "runs at once (default: the number of cores)", NULL},
    {"--budget-mb", OPT_LONG, OFF(budget_mb), 1, 1 << 30, "N",
     "memory budget per run; the watchdog kills a run above it (a quarter of the memory / --jobs)", NULL},
    {"--timeout", OPT_DOUBLE, OFF(timeout_s), 0.001, 1e7, "S",
     "seconds per run (default: from the mode, workload and count)", NULL},
    {"--shard", OPT_CUSTOM, OFF(shard_k), 0, 0, "K/N|auto",
     "run only the K-th of N deterministic slices of the matrix; auto: K and N from FLATMEM_SHARD, a Slurm "
     "array, a Kubernetes indexed Job or a GitHub Actions matrix (docs/ci.md)",
     set_shard},
    {"--no-control", OPT_FLAG, OFF(no_control), 0, 0, NULL,
     "a program of one's own: no control run (by default each mode also runs it once with a known growth "
     "planted, and a mode that misses it makes the soak INCOMPLETE)",
     NULL},
    {"--longer", OPT_LONG, OFF(longer), 0, 6, "N",
     "a mode left undecided (too short to judge, a growth within its noise, or FLAT coarser than "
     "--sensitivity) is run again at twice its largest count, up to N times (2; 0: never)",
     NULL},
    {"--sensitivity", OPT_DOUBLE, OFF(tol.sensitivity), 0.000001, 1e12, "N",
     "bytes per iteration (request, second) a FLAT must be able to see; coarser ones are run longer "
     "(--longer)",
     NULL},
    {"--warmup", OPT_DOUBLE, OFF(tol.warmup_frac), 0, 0.999, "F",
     "fraction of each run treated as warm-up (0.1)", NULL},
    {"--baseline", OPT_CUSTOM, OFF(baseline), 0, 0, "FILE",
     "compare with a saved summary.json: FAIL on a regression", set_file},
    {"--baseline-peak-pct", OPT_DOUBLE, OFF(base_peak_pct), 0, 1e5, "P",
     "allowed rise of a run's peak memory against the baseline (10)", NULL},
    {"--baseline-time-pct", OPT_DOUBLE, OFF(base_time_pct), 0, 1e5, "P",
     "allowed rise of its time per iteration (25)", NULL},
    {"--history", OPT_STR, OFF(history), 0, 0, "FILE.db",
     "append this soak to a history of soaks across commits (SQLite; FLATMEM_HISTORY; soak history)", NULL},
    {"--templates", OPT_STR, OFF(templates), 0, 0, "DIR", "gnuplot chart templates (reports)", NULL},
    {"--annotate", OPT_CUSTOM, 0, 0, 0, "github|none",
     "workflow annotations and the step summary (github when GITHUB_ACTIONS=true)", set_annotate},
    {"--faults", OPT_CUSTOM, OFF(faults), 0, 0, "LIST",
     "fault builds to run, e.g. none,leak (none): build/<variant>-fault-NAME", set_faults},
    {"--config", OPT_CUSTOM, OFF(config), 0, 0, "NAME",
     "the workload each run trains (soak; the list is below)", set_config},
    {"--resume-iters", OPT_CUSTOM, OFF(resume_iters), 11, 1e9, "LIST",
     "counts at which each mode also runs from a checkpoint (default: the largest count up to 1000; none)",
     set_resume},
    {"--data", OPT_CUSTOM, OFF(data), 0, 0, "FILE", "text to train on (default: the built-in corpus)",
     set_file},
    {"--build", OPT_STR, OFF(build), 0, 0, "DIR", "where the variant folders are (build)", NULL},
    {"--native-variant", OPT_CUSTOM, OFF(native_variant), 0, 0, "release|coverage",
     "the build native mode runs (coverage: make soak-coverage)", set_word},
    {"--no-events", OPT_FLAG, OFF(no_events), 0, 0, NULL,
     "no event logs (no site attribution for GROWING runs)", NULL},
    {"--expect-faults", OPT_FLAG, OFF(expect_faults), 0, 0, NULL,
     "judge fault builds by the detection matrix (make faults)", NULL},
    {"--program", OPT_STR, OFF(program), 0, 0, "PATH", "tests only: run PATH instead of train_full", NULL},
    {"--tolerance-rss-kb", OPT_CUSTOM, 0, 0, 0, "N", NULL, set_gone},
    {"--tolerance-alloc-kb", OPT_CUSTOM, 0, 0, 0, "N", NULL, set_gone},
    {"--version", OPT_FLAG, OFF(version), 0, 0, NULL, NULL, NULL},
};
static const OptTable k_table = {k_opts, sizeof k_opts / sizeof k_opts[0]};

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
    o->annotate = env_on_github_actions();
    o->jobs = sysconf(_SC_NPROCESSORS_ONLN) > 0 ? sysconf(_SC_NPROCESSORS_ONLN) : 1;
    o->tol = tolerance_defaults();
    o->base_peak_pct = 10;
    o->base_time_pct = 25;
    target_templates(o->templates_found, sizeof o->templates_found);
    o->templates = o->templates_found;
    o->prof_sample = 17;
    o->py_frames = 16;
    o->longer = 2;
    o->ready_timeout_s = 30;
    o->stop_grace_s = 10;
    const char *h = getenv("FLATMEM_HISTORY");
    o->history = h && *h ? h : NULL;
}

/* The workload's own counts and modes where --iters and --modes said nothing (a large
 * model's soak is of tens of steps, not thousands). 0, or 2 after a message. */
static int workload_defaults(Options *o)
{
    char why[300], list[64][32];
    if (o->wl->iters && !o->iters_given) {
        int k = split_list(o->wl->iters, list, 64);
        for (int j = 0; j < k && j < (int)(sizeof o->iters / sizeof o->iters[0]); j++)
            o->iters[j] = atol(list[j]);
        o->n_iters = k;
    }
    if (o->wl->modes && !o->modes_given && set_modes(NULL, o->wl->modes, o, why, sizeof why) != 0) {
        fprintf(stderr, "%s: workload %s: its modes %s\n", program_invocation_short_name, o->wl->name, why);
        return 2;
    }
    return 0;
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
            fprintf(stderr, "%s: mode %s skipped: it needs the program built with ASan (--asan-cmd)\n",
                    program_invocation_short_name, mode_name(o->modes[i]));
            memmove(o->modes + i, o->modes + i + 1, (size_t)(--o->n_modes - i) * sizeof *o->modes);
            i--;
        }
    if (!o->cmd && (o->asan_cmd || o->step_regex)) {
        fprintf(stderr, "%s: %s: only with --cmd (the built-in program marks its own steps)\n",
                program_invocation_short_name, o->asan_cmd ? "--asan-cmd" : "--step-regex");
        return 2;
    }
    if (!o->load && (o->ready_port || o->ready_regex)) {
        fprintf(stderr, "%s: --ready-port and --ready-regex: only with --load (the load of a service)\n",
                program_invocation_short_name);
        return 2;
    }
    if (o->load && !o->cmd) {
        fprintf(stderr,
                "%s: --load: the server is --cmd 'SERVER ARGS' (e.g. --cmd 'redis-server --port 6400' "
                "--load 'redis-benchmark -p 6400 -n {iters}')\n",
                program_invocation_short_name);
        return 2;
    }
    if (o->load && o->jobs > 1 && !strstr(o->cmd, "{port}") && !strstr(o->load, "{port}")) {
        fprintf(stderr,
                "%s: a service on a port of its own choosing: its runs go one at a time "
                "({port} in --cmd and --load gives each run a free port, and runs several at once)\n",
                program_invocation_short_name);
        o->jobs = 1;
    }
    if (o->cmd && (o->config_given || o->n_faults > 1 || strcmp(o->faults[0], "none"))) {
        fprintf(stderr, "%s: --cmd: --config and --faults are for the built-in program\n",
                program_invocation_short_name);
        return 2;
    }
    if (!o->n_modes)
        fprintf(stderr, "%s: no mode left to run\n", program_invocation_short_name);
    return o->n_modes ? 0 : 2;
}

/* --attach PID --duration S: one native run of S "iterations" (seconds), nothing started. */
static int derive_attach(Options *o)
{
    if (!o->attach_pid && !o->duration_s)
        return 0;
    const char *clash = o->cmd            ? "--cmd"
                        : o->iters_given  ? "--iters (the duration is the count: seconds)"
                        : o->config_given ? "--config"
                        : o->n_faults > 1 || strcmp(o->faults[0], "none") ? "--faults"
                                                                          : NULL;
    if (!o->attach_pid || !o->duration_s || clash) {
        fprintf(stderr, "%s: --attach PID --duration S%s%s\n", program_invocation_short_name,
                clash ? ": not with " : ": both are needed",
                clash ? clash : " (which process, for how long)");
        return 2;
    }
    for (int i = 0; o->modes_given && i < o->n_modes; i++)
        if (!mode_spec(o->modes[i])->attaches) {
            fprintf(stderr,
                    "%s: --attach: mode %s starts the program under its tool; a running process can "
                    "only be watched (%s)\n",
                    program_invocation_short_name, mode_name(o->modes[i]), mode_name(mode_attaching()));
            return 2;
        }
    o->modes[0] = mode_attaching();
    o->n_modes = 1;
    o->modes_given = 1;
    o->iters[0] = (long)(o->duration_s + 0.999);
    o->n_iters = 1;
    o->n_resume = 0;
    o->resume_given = 1;
    o->jobs = 1;
    return 0;
}

/* What follows from the options: the workload, its resumed runs, the memory budget. */
static int derive(Options *o)
{
    int rc = derive_attach(o);
    if (rc)
        return rc;
    rc = default_modes(o);
    if (rc)
        return rc;
    if (o->cmd || o->attach_pid)
        o->config = "cmd";
    o->wl = workload_find(o->config);
    if ((rc = workload_defaults(o)) != 0)
        return rc;
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
        fprintf(stderr, "%s: --resume-iters: workload '%s' writes no checkpoints (use --config soak)\n",
                program_invocation_short_name, o->config);
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
    char err[1024];
    int rc = opt_parse(&k_table, argc, argv, o, NULL, err, sizeof err);
    if (rc == OPT_HELP) {
        o->help = 1;
        return 0;
    }
    if (rc == OPT_OK && o->version)
        return 0; /* nothing else is looked at */
    if (rc != OPT_OK) {
        fprintf(stderr, "%s: %s\nTry '%s --help'.\n", program_invocation_short_name, err,
                program_invocation_short_name);
        return 2;
    }
    return derive(o);
}

void options_usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s --cmd 'PROG ARGS {iters}' [options]     soak your own program\n"
            "       %s --cmd 'SERVER {port}' --load 'CLIENT {port} {iters}' --ready-port N [options]\n"
            "       %s --attach PID --duration S                 watch a process already running\n"
            "       %s [options]                                 this project's own workload (below)\n"
            "       %s merge|report|baseline|workload|list|check|bisect|history ...   (below)\n\n"
            "Runs your program once for every iteration count x mode, each under a watchdog and\n"
            "the tools of the field, and decides whether its memory (heap, resident, descriptors,\n"
            "threads, processes) stays flat; names what grows (a function and line, a Python\n"
            "line, a process). Writes a folder per run, summary.json, junit.xml and index.html.\n"
            "docs/any-program.md (python.md, services.md); a soak that failed: docs/failed.md;\n"
            "formats: docs/soak.md; `man flatmem` after `make install`.\n\n"
            "Your program:\n",
            prog, prog, prog, prog, prog);
    opt_usage_range(&k_table, "--cmd", "--iters", f, 24);
    fprintf(f, "\nModes (--modes) and what each needs installed:\n");
    for (int m = 0; m < MODE_COUNT; m++)
        fprintf(f, "  %-24s %s\n", mode_name((Mode)m), mode_spec((Mode)m)->needs);
    fprintf(f, "\nThe sweep and its output:\n");
    opt_usage_range(&k_table, "--iters", "--faults", f, 24);
    fprintf(f, "  %-24s %s\n  %-24s %s\n", "-h, --help", "this text", "--version", "the version, and stop");
    fprintf(f, "\nThis project's own workload (without --cmd: build/<variant>/train_full, the\n"
               "character-level model trained on text; `make soak`):\n");
    opt_usage_range(&k_table, "--faults", "--version", f, 24);
    fprintf(f, "\nWorkloads (--config):\n");
    workload_list(f);
    fprintf(f,
            "\n%s merge DIR...  combines the run folders of several shards (or soaks) into one\n"
            "                      summary, re-deriving every verdict from the runs' files; a run\n"
            "                      found twice is kept once; soaks of other commits, builds or\n"
            "                      workloads are refused.\n"
            "%s report [DIR]  rewrites DIR/index.html and its charts (DIR: reports/latest).\n"
            "%s baseline [DIR] saves DIR/summary.json (reports/latest) as reports/baseline.json;\n"
            "                      only a complete soak that passed, unless --force.\n"
            "%s workload NAME prints the train_full arguments of a workload, one per line.\n"
            "%s list KIND     prints the valid fault, mode, workload or kind names, one per line.\n"
            "%s check [options] checks a soak's options and runs nothing (exit 0, or 2 with why).\n"
            "%s bisect GOOD BAD [--build CMD --cmd 'PROG {iters}'] the first commit whose memory grows\n"
            "                      (or whose peak or time per step rises: --figure; docs/ci.md).\n"
            "%s history FILE.db [--check] [--bisect] the soaks of a history (--history) across\n"
            "                      commits: step changes, a page of charts (docs/history.md).\n"
            "Each subcommand answers --help with its usage.\n\n",
            prog, prog, prog, prog, prog, prog, prog, prog);
    fprintf(f, "Verdicts of a run:");
    for (int v = 0; v < V_COUNT; v++)
        fprintf(f, "%s %s", v ? "," : "", verdict_name((Verdict)v));
    fprintf(f,
            ".\nOverall: %s, %s, %s or %s. Each verdict and kind of problem, and the words the\n"
            "reports use: docs/glossary.md (installed: share/doc/flatmem/glossary.md).\n"
            "Exit status: 0 PASS, 1 FAIL or INCOMPLETE, 3 INCONCLUSIVE, 2 bad usage or input,\n"
            "130/143 interrupted by SIGINT/SIGTERM (children stopped, finished runs kept, summary\n"
            "says INCOMPLETE).\n",
            overall_name(OVERALL_PASS), overall_name(OVERALL_FAIL), overall_name(OVERALL_INCOMPLETE),
            overall_name(OVERALL_INCONCLUSIVE));
}
