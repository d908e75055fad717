/* soak - runs train_full over a matrix of iteration counts x modes (x faults), each run
 * a child process under a watchdog, and decides from the numbers whether memory stays
 * flat. See usage() and docs/soak.md. */
#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "sysmem.h"
#include "summary.h"
#include "workload.h"

extern char **environ;

#define MAX_ITERS 16
#define MAX_FAULTS 16
#define MAX_RUNS (2 * MAX_ITERS * MODE_COUNT * MAX_FAULTS)
#define STR_(x) #x
#define STR(x) STR_(x)

typedef struct Options {
    long iters[MAX_ITERS];
    int n_iters;
    Mode modes[MODE_COUNT];
    int n_modes;
    char faults[MAX_FAULTS][32];
    int n_faults;
    const char *config;
    const Workload *wl;  /* the workload called config */
    long resume_iters[MAX_ITERS]; /* counts at which a run resumes from a checkpoint */
    int n_resume;
    int resume_given;    /* --resume-iters was given (else: the default below) */
    char resume_ckpt[PATH_MAX + 32]; /* OUT/resume-from.ckpt, written before the runs start */
    const char *data;
    const char *out;
    const char *build;   /* folder holding the variants' folders (build) */
    const char *native_variant; /* the build native mode runs (release; coverage for soak-coverage) */
    const char *program; /* test hook: run this instead of train_full */
    long budget_mb;
    double timeout_s;    /* 0: automatic */
    int jobs;
    int shard_k, shard_n;
    int events;          /* event logs for native and jemalloc runs */
    Tolerance tol;
    const char *baseline;  /* summary.json to compare with */
    double base_peak_pct, base_time_pct;
    const char *templates; /* chart templates (reports) */
    int expect_faults;
} Options;

static volatile sig_atomic_t g_stop; /* signal that asked us to stop */

static void on_signal(int sig)
{
    g_stop = sig;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(FILE *f)
{
    char workloads[1024];
    FILE *m = fmemopen(workloads, sizeof workloads, "w");
    if (m) {
        workload_list(m);
        fclose(m);
    } else {
        workloads[0] = 0;
    }
    fprintf(f,
            "usage: soak [options]\n"
            "       soak merge DIR... [--out DIR]\n"
            "\n"
            "Runs build/<variant>/train_full for every iteration count x mode (x fault), each as a\n"
            "child process under a watchdog, and decides whether memory stays flat. Writes one\n"
            "folder per run, summary.json and junit.xml (formats: docs/soak.md).\n"
            "\n"
            "  --iters LIST       iteration counts, comma- or space-separated (100,500,1000,5000,10000)\n"
            "  --modes LIST       native,asan,valgrind,jemalloc (all four)\n"
            "  --faults LIST      FAULT builds to run, e.g. none,leak (none): build/<variant>-fault-NAME\n"
            "  --config NAME      the workload each run trains (soak):\n"
            "%s"
            "  --resume-iters LIST  counts at which each mode also runs from a checkpoint saved\n"
            "                     after %d iterations (workloads with checkpoints; default: the\n"
            "                     largest count up to 1000), or none\n"
            "  --data FILE        text to train on (default: the built-in corpus)\n"
            "  --out DIR          output folder (reports/out/<run-id>; reports/latest then points at it)\n"
            "  --build DIR        where the variant folders are (build)\n"
            "  --native-variant V the build native mode runs: release, or coverage (make soak-coverage)\n"
            "  --budget-mb N      memory budget per run; the watchdog kills a run above it\n"
            "                     (default: a quarter of the machine's memory divided by --jobs)\n"
            "  --timeout S        seconds per run (default: from the mode, config and count)\n"
            "  --jobs N           runs at once (default: the number of cores)\n"
            "  --shard K/N        run only the K-th of N deterministic slices of the matrix\n"
            "  --tolerance-rss-kb N    growth allowed in RSS-like series over a run (1024)\n"
            "  --tolerance-alloc-kb N  growth allowed in allocator series over a run (64)\n"
            "  --warmup F         fraction of each run treated as warm-up (0.1)\n"
            "  --no-events        do not record event logs (no site attribution for GROWING runs)\n"
            "  --baseline FILE    compare with a saved summary.json: FAIL when a run's peak memory\n"
            "                     rises by more than --baseline-peak-pct (10) or its time per\n"
            "                     iteration by more than --baseline-time-pct (25)\n"
            "  --templates DIR    gnuplot chart templates (reports)\n"
            "  --expect-faults    judge fault runs by the detection matrix of docs/faults.md: PASS\n"
            "                     when every required cell is caught (what `make faults` runs)\n"
            "\n"
            "soak merge DIR... [--out DIR]  combines the run folders of several shards (or soaks)\n"
            "                   into one summary, re-deriving every verdict from the runs' files.\n"
            "soak report [DIR] [--baseline FILE]  rewrites DIR/index.html and its charts\n"
            "                   (DIR: reports/latest).\n"
            "soak workload NAME  prints the train_full arguments of a workload, one per line.\n"
            "\n"
            "Each soak ends with DIR/index.html (charts from the templates, via gnuplot).\n"
            "\n"
            "Verdicts: FLAT, GROWING, ERROR (sanitizer or Valgrind report), CRASHED, TIMEOUT,\n"
            "OVER_BUDGET, NOT_RUN (interrupted). Overall: PASS, FAIL or INCOMPLETE.\n"
            "Exit status: 0 PASS, 1 FAIL or INCOMPLETE, 2 bad usage, 130/143 interrupted by\n"
            "SIGINT/SIGTERM (children stopped, finished runs kept, summary says INCOMPLETE).\n",
            workloads, WORKLOAD_RESUME_FROM);
}

static int fail_usage(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "soak: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, "\nTry 'soak --help'.\n");
    return 2;
}

/* Splits a comma/space list into tokens; returns how many, or -1 when over max. */
static int split_list(const char *s, char out[][32], int max)
{
    int n = 0;
    const char *p = s;
    while (*p) {
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

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

static long machine_mb(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (long)((double)pages * (double)size / 1048576.0) : 4096;
}

static int parse_options(int argc, char **argv, Options *o)
{
    memset(o, 0, sizeof *o);
    static const long def_iters[] = {100, 500, 1000, 5000, 10000};
    memcpy(o->iters, def_iters, sizeof def_iters);
    o->n_iters = 5;
    for (int m = 0; m < MODE_COUNT; m++)
        o->modes[o->n_modes++] = (Mode)m;
    strcpy(o->faults[0], "none");
    o->n_faults = 1;
    o->config = "soak";
    o->build = "build";
    o->native_variant = "release";
    o->jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (o->jobs < 1)
        o->jobs = 1;
    o->events = 1;
    o->tol = tolerance_defaults();
    o->base_peak_pct = 10;
    o->base_time_pct = 25;
    o->templates = "reports";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        }
        if (!strcmp(a, "--no-events")) {
            o->events = 0;
            continue;
        }
        if (!strcmp(a, "--expect-faults")) {
            o->expect_faults = 1;
            continue;
        }
        if (a[0] != '-' || a[1] != '-')
            return fail_usage("unexpected argument '%s'%s", a, "");
        if (i + 1 >= argc)
            return fail_usage("%s: missing value%s", a, "");
        const char *v = argv[++i];
        long n;
        char list[MAX_FAULTS * 4][32];
        if (!strcmp(a, "--iters")) {
            int k = split_list(v, list, MAX_ITERS);
            if (k <= 0)
                return fail_usage("--iters: '%s' is not a list of at most 16 counts%s", v, "");
            for (int j = 0; j < k; j++)
                if (!parse_long(list[j], 1, 1000000000, &o->iters[j]))
                    return fail_usage("--iters: '%s' is not a whole number in 1..1000000000%s", list[j], "");
            o->n_iters = k;
        } else if (!strcmp(a, "--modes")) {
            int k = split_list(v, list, MODE_COUNT * 4);
            if (k <= 0)
                return fail_usage("--modes: '%s' names no mode (native, asan, valgrind, jemalloc)%s", v, "");
            o->n_modes = 0;
            for (int j = 0; j < k; j++) {
                Mode m;
                if (!mode_parse(list[j], &m))
                    return fail_usage("--modes: unknown mode '%s' (native, asan, valgrind, jemalloc)%s", list[j], "");
                int dup = 0;
                for (int q = 0; q < o->n_modes; q++)
                    dup |= o->modes[q] == m;
                if (!dup)
                    o->modes[o->n_modes++] = m;
            }
        } else if (!strcmp(a, "--faults")) {
            int k = split_list(v, o->faults, MAX_FAULTS);
            if (k <= 0)
                return fail_usage("--faults: '%s' is not a list of at most 16 names%s", v, "");
            for (int j = 0; j < k; j++)
                for (const char *p = o->faults[j]; *p; p++)
                    if (!islower((unsigned char)*p) && *p != '_')
                        return fail_usage("--faults: '%s' is not a fault name (lower case and _)%s", o->faults[j], "");
            o->n_faults = k;
        } else if (!strcmp(a, "--config")) {
            if (!workload_find(v))
                return fail_usage("--config: unknown workload '%s' (valid: %s)", v, workload_names());
            o->config = v;
        } else if (!strcmp(a, "--resume-iters")) {
            o->resume_given = 1;
            o->n_resume = 0;
            if (!strcmp(v, "none"))
                continue;
            int k = split_list(v, list, MAX_ITERS);
            if (k <= 0)
                return fail_usage("--resume-iters: '%s' is not a list of at most 16 counts, or none%s", v, "");
            for (int j = 0; j < k; j++)
                if (!parse_long(list[j], WORKLOAD_RESUME_FROM + 1, 1000000000, &o->resume_iters[j]))
                    return fail_usage("--resume-iters: '%s' is not a whole number above %s", list[j],
                                      STR(WORKLOAD_RESUME_FROM));
            o->n_resume = k;
        } else if (!strcmp(a, "--data")) {
            if (access(v, R_OK) != 0)
                return fail_usage("--data %s: %s", v, strerror(errno));
            o->data = v;
        } else if (!strcmp(a, "--baseline")) {
            if (access(v, R_OK) != 0)
                return fail_usage("--baseline %s: %s", v, strerror(errno));
            o->baseline = v;
        } else if (!strcmp(a, "--baseline-peak-pct") || !strcmp(a, "--baseline-time-pct")) {
            if (!parse_long(v, 0, 100000, &n))
                return fail_usage("%s: '%s' is not a whole percentage", a, v);
            *(a[11] == 'p' ? &o->base_peak_pct : &o->base_time_pct) = (double)n;
        } else if (!strcmp(a, "--templates")) {
            o->templates = v;
        } else if (!strcmp(a, "--out")) {
            o->out = v;
        } else if (!strcmp(a, "--build")) {
            o->build = v;
        } else if (!strcmp(a, "--native-variant")) {
            if (strcmp(v, "release") && strcmp(v, "coverage"))
                return fail_usage("--native-variant: '%s' is not release or coverage%s", v, "");
            o->native_variant = v;
        } else if (!strcmp(a, "--program")) {
            o->program = v;
        } else if (!strcmp(a, "--budget-mb")) {
            if (!parse_long(v, 1, 1L << 30, &o->budget_mb))
                return fail_usage("--budget-mb: '%s' is not a whole number of MiB%s", v, "");
        } else if (!strcmp(a, "--timeout")) {
            char *end;
            o->timeout_s = strtod(v, &end);
            if (!*v || *end || !(o->timeout_s > 0) || o->timeout_s > 1e7)
                return fail_usage("--timeout: '%s' is not a number of seconds%s", v, "");
        } else if (!strcmp(a, "--jobs")) {
            if (!parse_long(v, 1, 256, &n))
                return fail_usage("--jobs: '%s' is not a whole number in 1..256%s", v, "");
            o->jobs = (int)n;
        } else if (!strcmp(a, "--shard")) {
            int k = 0, m = 0;
            char extra;
            if (sscanf(v, "%d/%d%c", &k, &m, &extra) != 2 || m < 1 || k < 1 || k > m)
                return fail_usage("--shard: '%s' is not K/N with 1 <= K <= N%s", v, "");
            o->shard_k = k;
            o->shard_n = m;
        } else if (!strcmp(a, "--tolerance-rss-kb") || !strcmp(a, "--tolerance-alloc-kb")) {
            if (!parse_long(v, 0, 1L << 30, &n))
                return fail_usage("%s: '%s' is not a whole number of KiB", a, v);
            *(a[12] == 'r' ? &o->tol.rss_bytes : &o->tol.alloc_bytes) = (double)n * 1024.0;
        } else if (!strcmp(a, "--warmup")) {
            char *end;
            double w = strtod(v, &end);
            if (!*v || *end || !(w >= 0 && w < 1))
                return fail_usage("--warmup: '%s' is not a fraction in [0, 1)%s", v, "");
            o->tol.warmup_frac = w;
        } else {
            return fail_usage("unknown option '%s'%s", a, "");
        }
    }
    o->wl = workload_find(o->config);
    if (!o->resume_given && o->wl->checkpoints && !o->program) {
        /* one resumed run per mode: at the largest count up to 1000 (else the smallest) */
        long pick = 0, least = o->iters[0];
        for (int j = 0; j < o->n_iters; j++) {
            least = o->iters[j] < least ? o->iters[j] : least;
            if (o->iters[j] <= 1000 && o->iters[j] > pick)
                pick = o->iters[j];
        }
        pick = pick ? pick : least;
        if (pick > WORKLOAD_RESUME_FROM) {
            o->resume_iters[0] = pick;
            o->n_resume = 1;
        }
    }
    if (o->n_resume && !o->wl->checkpoints)
        return fail_usage("--resume-iters: workload '%s' writes no checkpoints (use --config soak)%s", o->config, "");
    if (!o->budget_mb) {
        o->budget_mb = machine_mb() / 4 / o->jobs;
        if (o->budget_mb < 256)
            o->budget_mb = 256;
    }
    return 0;
}

/* ---- the matrix ------------------------------------------------------------------------ */

/* Rough ms per iteration, to order the runs (longest first) and set timeouts. */
static double expected_ms(Mode m, const char *config)
{
    const Workload *w = workload_find(config);
    return w ? w->ms[m] : 1000.0;
}

static int cmp_cost(const void *a, const void *b, void *cfg)
{
    const Run *x = a, *y = b;
    double cx = expected_ms(x->mode, cfg) * (double)x->iters, cy = expected_ms(y->mode, cfg) * (double)y->iters;
    return (cx < cy) - (cx > cy);
}

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Appends s to the command line in cmd, quoted for a POSIX shell when needed. */
static void append_quoted(char *cmd, size_t cap, const char *s)
{
    size_t len = strlen(cmd);
    int plain = *s != 0;
    for (const char *p = s; *p; p++)
        plain &= isalnum((unsigned char)*p) || strchr("-_./=:,+@%", *p) != NULL;
    if (len && len + 1 < cap)
        cmd[len++] = ' ';
    if (plain) {
        snprintf(cmd + len, cap - len, "%s", s);
        return;
    }
    if (len + 1 < cap)
        cmd[len++] = '\'';
    for (const char *p = s; *p && len + 5 < cap; p++) {
        if (*p == '\'') {
            memcpy(cmd + len, "'\\''", 4);
            len += 4;
        } else {
            cmd[len++] = *p;
        }
    }
    if (len + 1 < cap)
        cmd[len++] = '\'';
    cmd[len] = 0;
}

typedef struct Argv {
    char *v[48];
    int n;
    char store[48][PATH_MAX + 256];
} Argv;

/* Appends one argument, formatted. */
__attribute__((format(printf, 2, 3))) static void arg(Argv *a, const char *fmt, ...)
{
    if (a->n < 47) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(a->store[a->n], sizeof a->store[0], fmt, ap);
        va_end(ap);
        a->v[a->n] = a->store[a->n];
        a->v[++a->n] = NULL;
    }
}

/* The training program of a mode and fault: BUILD/<variant>[-fault-NAME]/train_full. */
static void program_path(const Options *o, Mode m, const char *fault, char *out, size_t cap)
{
    const char *variant = m == MODE_NATIVE ? o->native_variant : mode_variant(m);
    if (!strcmp(fault, "none"))
        snprintf(out, cap, "%s/%s/train_full", o->build, variant);
    else
        snprintf(out, cap, "%s/%s-fault-%s/train_full", o->build, variant, fault);
}

/* max_uar_stack_size_log=16: the fake stacks that catch stack-use-after-return are touched
 * page by page as frames rotate through them, which reads as RSS growth for thousands of
 * iterations with the default size; at 64 KiB per size class they settle within ~40. */
static const char *k_asan_options = "detect_stack_use_after_return=1:detect_leaks=1:halt_on_error=1:max_uar_stack_size_log=16";
static const char *k_ubsan_options = "halt_on_error=1:print_stacktrace=1";

static void build_argv(const Options *o, const Run *r, Argv *a, char *cmdline, size_t cap)
{
    a->n = 0;
    if (r->mode == MODE_VALGRIND && !o->program) {
        arg(a, "valgrind");
        arg(a, "--tool=memcheck");
        arg(a, "--leak-check=full");
        arg(a, "--errors-for-leak-kinds=definite");
        arg(a, "--error-exitcode=99");
        arg(a, "--num-callers=16");
        arg(a, "--fair-sched=yes"); /* a ticket lock hands the core between threads ~1.5x faster */
        arg(a, "--log-file=%s/valgrind.log", r->dir);
    }
    char prog[PATH_MAX];
    if (o->program)
        snprintf(prog, sizeof prog, "%s", o->program);
    else
        program_path(o, r->mode, r->fault, prog, sizeof prog);
    arg(a, "%s", prog);
    for (int i = 0; o->wl->args[i]; i++)
        arg(a, "%s", o->wl->args[i]);
    arg(a, "%ld", r->iters);
    /* The workload's threads; for the presets, with several runs at once the cores are
     * shared out, so that the runs' own threads never oversubscribe them (one run alone
     * picks its own). */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (o->wl->threads) {
        arg(a, "--threads");
        arg(a, "%d", o->wl->threads);
    } else if (o->jobs > 1) {
        arg(a, "--threads");
        arg(a, "%ld", cores > o->jobs ? cores / o->jobs : 1L);
    }
    if (o->wl->checkpoints) {
        arg(a, "--save");
        arg(a, "%s/checkpoint.bin", r->dir);
    }
    if (r->resume_from) {
        arg(a, "--resume");
        arg(a, "%s", o->resume_ckpt);
    }
    arg(a, "--print-every");
    arg(a, "%ld", r->iters >= 10 ? r->iters / 10 : 1);
    arg(a, "--samples");
    arg(a, "%s/samples.csv", r->dir);
    arg(a, "--sample-every");
    arg(a, "%ld", r->iters >= 200 ? r->iters / 200 : 1);
    arg(a, "--summary");
    arg(a, "%s/train.json", r->dir);
    if (o->events && (r->mode == MODE_NATIVE || r->mode == MODE_JEMALLOC)) {
        arg(a, "--events");
        arg(a, "%s/events.bin", r->dir);
    }
    if (o->data) {
        arg(a, "--data");
        arg(a, "%s", o->data);
    }
    cmdline[0] = 0;
    if (r->mode == MODE_ASAN) {
        char env[256];
        snprintf(env, sizeof env, "ASAN_OPTIONS=%s", k_asan_options);
        append_quoted(cmdline, cap, env);
        snprintf(env, sizeof env, "UBSAN_OPTIONS=%s", k_ubsan_options);
        append_quoted(cmdline, cap, env);
    }
    for (int i = 0; i < a->n; i++)
        append_quoted(cmdline, cap, a->v[i]);
}

static int start_run(const Options *o, Run *r)
{
    if (mkdir_p(r->dir) != 0) {
        fprintf(stderr, "soak: %s: cannot create: %s\n", r->dir, strerror(errno));
        return -1;
    }
    Argv a;
    char cmdline[8192], path[PATH_MAX + 32];
    build_argv(o, r, &a, cmdline, sizeof cmdline);
    snprintf(path, sizeof path, "%s/command.txt", r->dir);
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%s\n", cmdline) < 0 || fclose(f) != 0) {
        fprintf(stderr, "soak: %s: cannot be written: %s\n", path, strerror(errno));
        return -1;
    }
    char out[PATH_MAX + 16], err[PATH_MAX + 16];
    snprintf(out, sizeof out, "%s/stdout.txt", r->dir);
    snprintf(err, sizeof err, "%s/stderr.txt", r->dir);
    int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fo < 0 || fe < 0) {
        fprintf(stderr, "soak: %s: cannot create its output files: %s\n", r->dir, strerror(errno));
        if (fo >= 0)
            close(fo);
        if (fe >= 0)
            close(fe);
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "soak: fork: %s\n", strerror(errno));
        close(fo);
        close(fe);
        return -1;
    }
    if (pid == 0) {
        setpgid(0, 0); /* its own group: the watchdog kills it and anything it started */
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        dup2(fo, 1);
        dup2(fe, 2);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        if (r->mode == MODE_ASAN) {
            setenv("ASAN_OPTIONS", k_asan_options, 1);
            setenv("UBSAN_OPTIONS", k_ubsan_options, 1);
        }
        execvp(a.v[0], a.v);
        fprintf(stderr, "soak: cannot run %s: %s\n", a.v[0], strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    close(fo);
    close(fe);
    r->pid = pid;
    r->state = 1;
    r->t_start = now_s();
    r->peak_rss_bytes = 0;
    return 0;
}

/* Iteration of the last complete row of a run's samples (for progress). */
static long last_sample_iter(const Run *r)
{
    char path[PATH_MAX + 16], buf[512];
    snprintf(path, sizeof path, "%s/samples.csv", r->dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long size = ftell(f), from = size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0;
    fseek(f, from, SEEK_SET);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    if (n == 0 || buf[n - 1] != '\n')
        return 0;
    buf[n - 1] = 0;
    char *line = strrchr(buf, '\n');
    return line ? atol(line + 1) : 0;
}

static void fmt_time(char *out, size_t cap, double s)
{
    if (s < 60)
        snprintf(out, cap, "%.0fs", s);
    else if (s < 3600)
        snprintf(out, cap, "%dm%02ds", (int)s / 60, (int)s % 60);
    else
        snprintf(out, cap, "%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

static void finish_run(Run *r, int status, const struct rusage *ru, const Tolerance *tol)
{
    r->wall_s = now_s() - r->t_start;
    r->state = 2;
    if (WIFEXITED(status)) {
        r->exit_code = WEXITSTATUS(status);
        r->signal = 0;
    } else {
        r->exit_code = -1;
        r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    uint64_t maxrss = (uint64_t)ru->ru_maxrss * 1024;
    if (maxrss > r->peak_rss_bytes)
        r->peak_rss_bytes = maxrss;
    if (run_write_facts(r) != 0)
        fprintf(stderr, "soak: %s/run.txt: cannot be written: %s\n", r->dir, strerror(errno));
    run_evaluate(r, tol);
}

static void update_latest(const char *out)
{
    /* reports/latest -> out/<run-id>, replaced atomically */
    const char *rel = strstr(out, "reports/out/");
    if (!rel)
        return;
    char target[PATH_MAX], tmp[64];
    snprintf(target, sizeof target, "%s", rel + strlen("reports/"));
    snprintf(tmp, sizeof tmp, "reports/.latest.%d", (int)getpid());
    unlink(tmp);
    if (symlink(target, tmp) == 0 && rename(tmp, "reports/latest") != 0)
        unlink(tmp);
}

static void default_out(char *out, size_t cap, const char *suffix)
{
    char id[64];
    time_t t = time(NULL);
    strftime(id, sizeof id, "%Y%m%d-%H%M%S", localtime(&t));
    snprintf(out, cap, "reports/out/%s-%d%s", id, (int)getpid(), suffix);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static char buf[4 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int conclude_and_write(SoakResult *res, const char *out, int print, const char *templates, const char *baseline)
{
    if (baseline && !(res->baseline_json = read_text(baseline))) {
        fprintf(stderr, "soak: --baseline %s: %s\n", baseline, strerror(errno));
        return 1;
    }
    soak_conclude(res);
    char err[512];
    if (soak_write(res, out, err, sizeof err) != 0) {
        fprintf(stderr, "soak: %s\n", err);
        return 1;
    }
    update_latest(out);
    int report_ok = report_write(res, out, templates, baseline, err, sizeof err) == 0;
    if (!report_ok)
        fprintf(stderr, "soak: report: %s\n", err);
    if (print) {
        printf("\n%-10s %-12s %-14s %-12s %9s %8s  %s\n", "mode", "fault", "iters", "verdict", "peak MiB", "wall s",
               "detail");
        for (int i = 0; i < res->n_runs; i++) {
            const Run *r = &res->runs[i];
            char iters[32];
            snprintf(iters, sizeof iters, "%ld%s", r->iters, r->resume_from ? " resumed" : "");
            printf("%-10s %-12s %-14s %-12s %9.1f %8.1f  %s\n", mode_name(r->mode), r->fault, iters,
                   verdict_name(r->verdict), (double)r->peak_rss_bytes / 1048576.0, r->wall_s, r->detail);
        }
        for (int i = 0; i < res->n_sweeps; i++) {
            const Sweep *s = &res->sweeps[i];
            if (s->points >= 2)
                printf("sweep %-8s %-12s peak memory vs iterations: %s (%.2f bytes/iteration, %d counts)\n",
                       mode_name(s->mode), s->fault,
                       !s->judged ? "shown, not judged (the tool holds freed blocks)" : s->growing ? "GROWING" : "FLAT",
                       s->slope, s->points);
        }
        for (int i = 0; i < res->n_regressions; i++)
            printf("baseline regression: %s\n", res->regressions[i]);
        for (int i = 0; i < res->n_missed; i++)
            printf("fault not caught as required: %s\n", res->missed[i]);
        printf("\noverall: %s\nsummary: %s/summary.json\n", overall_name(res->overall), out);
        if (report_ok)
            printf("report:  %s/index.html\n", out);
    }
    return report_ok ? 0 : 1;
}

/* soak report [DIR] [--baseline FILE] [--templates DIR] */
static int soak_report(int argc, char **argv)
{
    const char *dir = "reports/latest", *baseline = NULL, *templates = "reports";
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--baseline") && i + 1 < argc)
            baseline = argv[++i];
        else if (!strcmp(argv[i], "--templates") && i + 1 < argc)
            templates = argv[++i];
        else if (argv[i][0] == '-')
            return fail_usage("report: unknown option '%s'%s", argv[i], "");
        else
            dir = argv[i];
    }
    static Run runs[MAX_RUNS * 4];
    Tolerance tol = tolerance_defaults();
    char err[512];
    int n = runs_load(dir, runs, (int)(sizeof runs / sizeof runs[0]), &tol, err, sizeof err);
    if (n <= 0) {
        fprintf(stderr, "soak report: %s\n", n < 0 ? err : "no run folders");
        return 2;
    }
    double wall = 0;
    for (int i = 0; i < n; i++)
        wall += runs[i].wall_s;
    SoakResult res = {.runs = runs, .n_runs = n, .tol = tol, .wall_s = wall, .config = runs[0].config,
                      .baseline_peak_pct = 10, .baseline_time_pct = 25};
    /* an interrupted soak stays INCOMPLETE: its summary says so */
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    const char *old = read_text(path);
    if (old && strstr(old, "\"interrupted\": true"))
        res.interrupted = 1;
    if (baseline && !(res.baseline_json = read_text(baseline))) {
        fprintf(stderr, "soak report: --baseline %s: %s\n", baseline, strerror(errno));
        return 2;
    }
    soak_conclude(&res);
    if (report_write(&res, dir, templates, baseline, err, sizeof err) != 0) {
        fprintf(stderr, "soak report: %s\n", err);
        return 1;
    }
    printf("report: %s/index.html (%s)\n", dir, overall_name(res.overall));
    return 0;
}

static int soak_merge(int argc, char **argv)
{
    const char *out = NULL;
    const char *dirs[256];
    int n_dirs = 0;
    Tolerance tol = tolerance_defaults();
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] == '-')
            return fail_usage("merge: unknown option '%s'%s", argv[i], "");
        else if (n_dirs < 256)
            dirs[n_dirs++] = argv[i];
    }
    if (!n_dirs)
        return fail_usage("merge: name the soak folders to merge%s%s", "", "");
    static Run runs[MAX_RUNS * 4];
    int n = 0;
    for (int d = 0; d < n_dirs; d++) {
        char err[512];
        int got = runs_load(dirs[d], runs + n, (int)(sizeof runs / sizeof runs[0]) - n, &tol, err, sizeof err);
        if (got <= 0) {
            fprintf(stderr, "soak merge: %s\n", got < 0 ? err : "no run folders (expected DIR/runs/*/run.txt)");
            return 2;
        }
        n += got;
    }
    qsort(runs, (size_t)n, sizeof runs[0], run_cmp_canonical);
    char outbuf[PATH_MAX];
    if (!out) {
        default_out(outbuf, sizeof outbuf, "-merged");
        out = outbuf;
    }
    if (mkdir_p(out) != 0) {
        fprintf(stderr, "soak merge: --out %s: cannot create: %s\n", out, strerror(errno));
        return 2;
    }
    /* link the run folders into the merged output so its relative links work */
    char runs_dir[PATH_MAX + 8];
    snprintf(runs_dir, sizeof runs_dir, "%s/runs", out);
    mkdir_p(runs_dir);
    for (int i = 0; i < n; i++) {
        char link[PATH_MAX * 2], target[PATH_MAX];
        snprintf(link, sizeof link, "%s/%s", runs_dir, runs[i].name);
        if (!realpath(runs[i].dir, target))
            continue;
        if (strcmp(link, runs[i].dir) != 0) {
            unlink(link);
            if (symlink(target, link) != 0 && errno != EEXIST)
                fprintf(stderr, "soak merge: %s: %s\n", link, strerror(errno));
        }
    }
    double wall = 0;
    for (int i = 0; i < n; i++)
        wall += runs[i].wall_s;
    SoakResult res = {.runs = runs, .n_runs = n, .tol = tol, .wall_s = wall, .config = runs[0].config,
                      .baseline_peak_pct = 10, .baseline_time_pct = 25};
    if (conclude_and_write(&res, out, 1, "reports", NULL) != 0)
        return 1;
    return res.overall == OVERALL_PASS ? 0 : 1;
}

/* Fills one run in the canonical matrix (fault, mode, count; fresh before resumed).
 * 0, or -1 when the folder path would be too long. */
static int plan_run(const Options *o, const char *out, Run *r, int fault, Mode mode, long iters, long resume_from)
{
    memset(r, 0, sizeof *r);
    r->mode = mode;
    r->iters = iters;
    r->resume_from = resume_from;
    snprintf(r->fault, sizeof r->fault, "%s", o->faults[fault]);
    snprintf(r->config, sizeof r->config, "%s", o->config);
    int len = snprintf(r->name, sizeof r->name, "%s-%ld%s", mode_name(mode), iters, resume_from ? "-resume" : "");
    if (strcmp(r->fault, "none"))
        snprintf(r->name + len, sizeof r->name - (size_t)len, "-%s", r->fault);
    if ((size_t)snprintf(r->dir, sizeof r->dir, "%s/runs/%s", out, r->name) >= sizeof r->dir) {
        fprintf(stderr, "soak: --out %s: path too long\n", out);
        return -1;
    }
    r->budget_bytes = (uint64_t)o->budget_mb << 20;
    r->verdict = V_NOT_RUN;
    snprintf(r->detail, sizeof r->detail, "not started");
    return 0;
}

/* The runs of this soak (of its shard): every fault x mode x count, and the resumed runs.
 * *index counts the whole matrix. Returns how many, or -1. */
static int plan_runs(const Options *o, const char *out, Run *runs, int *index)
{
    int n = 0;
    for (int f = 0; f < o->n_faults; f++)
        for (int m = 0; m < o->n_modes; m++)
            for (int i = 0; i < o->n_iters + o->n_resume; i++, (*index)++) {
                if (o->shard_n && *index % o->shard_n != o->shard_k - 1)
                    continue;
                int resumed = i >= o->n_iters;
                long iters = resumed ? o->resume_iters[i - o->n_iters] : o->iters[i];
                if (plan_run(o, out, &runs[n++], f, o->modes[m], iters, resumed ? WORKLOAD_RESUME_FROM : 0) != 0)
                    return -1;
            }
    return n;
}

/* The checkpoint resumed runs start from: the release build trains the workload for
 * WORKLOAD_RESUME_FROM iterations and saves it to OUT/resume-from.ckpt. 0, or -1 after a
 * message. */
static int prepare_resume(Options *o, const char *out)
{
    snprintf(o->resume_ckpt, sizeof o->resume_ckpt, "%s/resume-from.ckpt", out);
    Argv a = {.n = 0};
    char prog[PATH_MAX];
    program_path(o, MODE_NATIVE, "none", prog, sizeof prog);
    arg(&a, "%s", prog);
    for (int i = 0; o->wl->args[i]; i++)
        arg(&a, "%s", o->wl->args[i]);
    arg(&a, "%d", WORKLOAD_RESUME_FROM);
    arg(&a, "--quiet");
    arg(&a, "--save");
    arg(&a, "%s", o->resume_ckpt);
    if (o->data) {
        arg(&a, "--data");
        arg(&a, "%s", o->data);
    }
    char log[PATH_MAX + 32];
    snprintf(log, sizeof log, "%s/resume-from.log", out);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(a.v[0], a.v);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "soak: the checkpoint for resumed runs could not be made (%s, %d iterations; its "
                        "output: %s)\n", prog, WORKLOAD_RESUME_FROM, log);
        return -1;
    }
    return 0;
}

/* soak workload NAME: the train_full arguments of a workload (before ITERS), one per line,
 * and its threads: what tools/soak-coverage runs besides the soak itself. */
static int soak_workload(int argc, char **argv)
{
    const Workload *w = argc == 3 ? workload_find(argv[2]) : NULL;
    if (!w)
        return fail_usage("workload: name one of %s%s", workload_names(), "");
    for (int i = 0; w->args[i]; i++)
        printf("%s\n", w->args[i]);
    if (w->threads)
        printf("--threads\n%d\n", w->threads);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "workload"))
        return soak_workload(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "merge"))
        return soak_merge(argc, argv);
    if (argc >= 2 && !strcmp(argv[1], "report"))
        return soak_report(argc, argv);
    Options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc;
    char outbuf[PATH_MAX];
    const char *out = o.out;
    if (!out) {
        default_out(outbuf, sizeof outbuf, "");
        out = outbuf;
    }
    if (mkdir_p(out) != 0 || access(out, W_OK) != 0) {
        fprintf(stderr, "soak: --out %s: cannot create or write there: %s\n", out, strerror(errno));
        return 2;
    }
    /* check the binaries before starting anything */
    for (int f = 0; f < o.n_faults && !o.program; f++)
        for (int m = 0; m < o.n_modes; m++) {
            char path[PATH_MAX];
            program_path(&o, o.modes[m], o.faults[f], path, sizeof path);
            if (access(path, X_OK) != 0) {
                fprintf(stderr, "soak: %s is missing: build it first (make train VARIANT=%s%s%s)\n", path,
                        o.modes[m] == MODE_NATIVE ? o.native_variant : mode_variant(o.modes[m]),
                        strcmp(o.faults[f], "none") ? " FAULT=" : "", strcmp(o.faults[f], "none") ? o.faults[f] : "");
                return 2;
            }
        }

    static Run runs[MAX_RUNS];
    int index = 0;
    int n = plan_runs(&o, out, runs, &index);
    if (n < 0)
        return 2;
    if (!n) {
        fprintf(stderr, "soak: shard %d/%d of %d runs is empty\n", o.shard_k, o.shard_n, index);
        return 2;
    }
    int any_resumed = 0;
    for (int i = 0; i < n; i++)
        any_resumed |= runs[i].resume_from != 0;
    if (any_resumed && prepare_resume(&o, out) != 0)
        return 1;
    /* longest first, so the long pole (valgrind at the largest count) starts at once */
    qsort_r(runs, (size_t)n, sizeof runs[0], cmp_cost, (void *)o.config);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int tty = isatty(2);
    double t0 = now_s();
    fprintf(stderr, "soak: %d runs (%s config, %d at a time, budget %ld MiB per run) -> %s\n", n, o.config, o.jobs,
            o.budget_mb, out);
    report_capture_env(out, o.build);
    int next = 0, running = 0, done = 0;
    double last_progress = 0;
    while (done < n) {
        if (g_stop)
            break;
        while (running < o.jobs && next < n) {
            if (start_run(&o, &runs[next]) != 0) {
                runs[next].state = 2;
                runs[next].verdict = V_CRASHED;
                snprintf(runs[next].detail, sizeof runs[next].detail, "could not be started (see stderr)");
                done++;
            } else {
                running++;
            }
            next++;
        }
        for (int i = 0; i < n; i++) {
            Run *r = &runs[i];
            if (r->state != 1)
                continue;
            int status;
            struct rusage ru;
            pid_t w = wait4(r->pid, &status, WNOHANG, &ru);
            if (w == r->pid) {
                finish_run(r, status, &ru, &o.tol);
                running--;
                done++;
                /* one line per finished run; on a terminal it replaces the live line */
                char el[32];
                fmt_time(el, sizeof el, r->wall_s);
                fprintf(stderr, "%s[%d/%d] %-8s %-6ld%s %s%s: %s (%s, peak %.1f MiB)\n", tty ? "\r\033[K" : "", done, n,
                        mode_name(r->mode), r->iters, r->resume_from ? " resumed" : "", strcmp(r->fault, "none") ? "fault " : "",
                        strcmp(r->fault, "none") ? r->fault : "", verdict_name(r->verdict), el,
                        (double)r->peak_rss_bytes / 1048576.0);
                continue;
            }
            uint64_t rss = sysmem_rss_of((int)r->pid);
            if (rss > r->peak_rss_bytes)
                r->peak_rss_bytes = rss;
            double limit = o.timeout_s ? o.timeout_s : 120.0 + 5.0 * expected_ms(r->mode, o.config) * (double)r->iters / 1e3;
            if (rss > r->budget_bytes && r->killed == KILL_NONE) {
                r->killed = KILL_BUDGET;
                kill(-r->pid, SIGKILL);
            } else if (now_s() - r->t_start > limit && r->killed == KILL_NONE) {
                r->killed = KILL_TIMEOUT;
                kill(-r->pid, SIGKILL);
            }
        }
        double t = now_s();
        if (tty && t - last_progress > 0.5) {
            last_progress = t;
            double remaining = 0;
            for (int i = 0; i < n; i++)
                if (runs[i].state != 2)
                    remaining += expected_ms(runs[i].mode, o.config) * (double)runs[i].iters / 1e3 *
                                 (runs[i].state == 1 ? fmax(0.0, 1.0 - (double)last_sample_iter(&runs[i]) / (double)runs[i].iters) : 1.0);
            char el[32], eta[32], cur[128] = "";
            fmt_time(el, sizeof el, t - t0);
            fmt_time(eta, sizeof eta, remaining / o.jobs);
            for (int i = 0; i < n; i++)
                if (runs[i].state == 1) {
                    snprintf(cur, sizeof cur, "%s %ld: iteration %ld", mode_name(runs[i].mode), runs[i].iters,
                             last_sample_iter(&runs[i]));
                    break;
                }
            fprintf(stderr, "\r\033[K[%d/%d done] %s | elapsed %s | ~%s left", done, n, cur, el, eta);
        }
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    SoakResult res = {.runs = runs, .n_runs = n, .tol = o.tol, .config = o.config};
    if (g_stop) {
        res.interrupted = 1;
        fprintf(stderr, "\nsoak: %s: stopping %d running run(s); finished runs are kept\n",
                g_stop == SIGINT ? "interrupted" : "terminated", running);
        for (int i = 0; i < n; i++)
            if (runs[i].state == 1) {
                runs[i].killed = KILL_INTERRUPT;
                kill(-runs[i].pid, SIGKILL);
                int status;
                struct rusage ru;
                wait4(runs[i].pid, &status, 0, &ru);
                finish_run(&runs[i], status, &ru, &o.tol);
            }
    }
    res.wall_s = now_s() - t0;
    res.baseline_peak_pct = o.base_peak_pct;
    res.expect_faults = o.expect_faults;
    res.baseline_time_pct = o.base_time_pct;
    qsort(runs, (size_t)n, sizeof runs[0], run_cmp_canonical);
    if (conclude_and_write(&res, out, 1, o.templates, o.baseline) != 0)
        return 1;
    if (g_stop)
        return 128 + g_stop;
    return res.overall == OVERALL_PASS ? 0 : 1;
}
