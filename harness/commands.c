/* commands.c - the soak's commands other than running the matrix (commands.h): merge,
 * report, baseline, workload, list, check; and soak_finish, the ending they share with a
 * soak that ran (conclude, then render). */
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"

#include "baseline.h"
#include "conclude.h"
#include "diagnosis.h"
#include "env.h"
#include "faults.h"
#include "judge.h"
#include "options.h"
#include "opt.h"
#include "outfile.h"
#include "paths.h"
#include "render.h"
#include "summary_load.h"
#include "util.h"

#define MAX_LOADED 2048

static int usage_error(const char *cmd, const char *what)
{
    fprintf(stderr, "%s %s: %s\nTry '%s %s --help'.\n", program_invocation_short_name, cmd, what,
            program_invocation_short_name, cmd);
    return 2;
}

/* What a subcommand's command line gave: its options, and its folders. */
typedef struct SubArgs {
    const char *out, *baseline, *templates, *to, *history;
    int force;
    const char *pos[256];
    int n_pos, max_pos;
} SubArgs;

static int add_folder(const char *arg, void *target, char *err, size_t cap)
{
    SubArgs *a = target;
    if (a->n_pos == a->max_pos) {
        snprintf(err, cap, "unexpected argument '%s'", arg);
        return -1;
    }
    a->pos[a->n_pos++] = arg;
    return 0;
}

#define SUB(f) offsetof(SubArgs, f)
static const Opt k_sub_opts[] = {
    {"--out", OPT_STR, SUB(out), 0, 0, "DIR", NULL, NULL},
    {"--baseline", OPT_STR, SUB(baseline), 0, 0, "FILE", NULL, NULL},
    {"--templates", OPT_STR, SUB(templates), 0, 0, "DIR", NULL, NULL},
    {"--to", OPT_STR, SUB(to), 0, 0, "FILE", NULL, NULL},
    {"--force", OPT_FLAG, SUB(force), 0, 0, NULL, NULL, NULL},
    {"--history", OPT_STR, SUB(history), 0, 0, "FILE.db", NULL, NULL},
};

/* Parses argv[2..] of `soak CMD` (argv[1]): the options named in `names` (a blank-separated
 * list of k_sub_opts' names), at most a->max_pos folders. 0, or 2 after a message quoting
 * the usage. */
static int sub_args(int argc, char **argv, const char *names, SubArgs *a, const char *usage)
{
    Opt opts[sizeof k_sub_opts / sizeof k_sub_opts[0]];
    size_t n = 0;
    for (size_t k = 0; k < sizeof k_sub_opts / sizeof k_sub_opts[0]; k++) {
        const char *hit = strstr(names, k_sub_opts[k].name);
        size_t len = strlen(k_sub_opts[k].name);
        if (hit && (hit[len] == ' ' || !hit[len]))
            opts[n++] = k_sub_opts[k];
    }
    OptTable t = {opts, n};
    char err[600];
    int rc = opt_parse(&t, argc - 1, argv + 1, a, add_folder, err, sizeof err);
    if (rc == OPT_HELP) {
        printf("usage: %s %s\n", program_invocation_short_name, usage);
        exit(0);
    }
    if (rc == OPT_OK)
        return 0;
    fprintf(stderr, "%s %s: %s (%s)\nTry '%s %s --help'.\n", program_invocation_short_name, argv[1], err,
            usage, program_invocation_short_name, argv[1]);
    return 2;
}

int soak_finish(SoakResult *res, const char *out, const char *templates, const char *history)
{
    diagnosis_read_bisect(&res->diag, out);
    soak_conclude(res);
    char err[1024];
    int rc =
        render_soak(res, out, templates, RENDER_SUMMARY | RENDER_LATEST | RENDER_CONSOLE, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "%s: %s%s\n", program_invocation_short_name,
                rc == RENDER_PAGE_FAILED ? "report: " : "", err);
        return 1;
    }
    if (history && hist_record_soak(history, res, out) != 0)
        return 1;
    if (res->base.path && !res->base.matched) {
        fprintf(stderr,
                "%s: --baseline %s: no run of this soak has a counterpart there: nothing was compared\n",
                program_invocation_short_name, res->base.path);
        return 2;
    }
    return res->exit_status;
}

/* What a summary.json says of its soak, into res: workload, tolerance, interruption,
 * fault expectations, environment. */
static void result_from_summary(SoakResult *res, json_t *s)
{
    const char *c = json_string_value(json_object_get(s, "config"));
    snprintf(res->config, sizeof res->config, "%s", c ? c : "");
    const char *cmd = json_string_value(json_object_get(s, "command"));
    snprintf(res->command, sizeof res->command, "%s", cmd ? cmd : "");
    json_t *tol = json_object_get(s, "tolerance");
    res->tol = tolerance_defaults();
    if (json_is_number(json_object_get(tol, "page_bytes")))
        res->tol.page_bytes = json_number_value(json_object_get(tol, "page_bytes"));
    if (json_is_number(json_object_get(tol, "warmup_frac")))
        res->tol.warmup_frac = json_number_value(json_object_get(tol, "warmup_frac"));
    if (json_is_number(json_object_get(tol, "sensitivity")))
        res->tol.sensitivity = json_number_value(json_object_get(tol, "sensitivity"));
    res->interrupted = json_is_true(json_object_get(s, "interrupted"));
    res->expect_faults = json_is_true(json_object_get(s, "expect_faults"));
    res->strict_leaks = json_is_true(json_object_get(s, "strict_leaks"));
    json_t *sh = json_object_get(s, "shard");
    res->shard_k = (long)json_integer_value(json_object_get(sh, "index"));
    res->shard_n = (long)json_integer_value(json_object_get(sh, "count"));
    env_from_json(&res->env, s);
}

/* ---- merge -------------------------------------------------------------------------------- */

/* Soaks may only be merged when they ran the same workload on the same build. 0, or 2
 * after a message naming both folders and what differs. */
static int same_soak(const SoakResult *a, const char *da, const SoakResult *b, const char *db)
{
    const char *what = strcmp(a->config, b->config)           ? "workload (config)"
                       : strcmp(a->env.commit, b->env.commit) ? "git commit"
                       : a->shard_n && b->shard_n && a->shard_n != b->shard_n
                           ? "shard counts (N of --shard K/N)"
                           : NULL;
    for (int i = 0; i < ENV_VARIANTS && !what; i++)
        if (a->env.flags[i][0] && b->env.flags[i][0] && strcmp(a->env.flags[i], b->env.flags[i]))
            what = "build flags";
    if (!what)
        return 0;
    fprintf(stderr,
            "soak merge: %s and %s were not soaks of the same thing: their %s differ; merge shards of one "
            "soak only\n",
            da, db, what);
    return 2;
}

/* Drops runs[i] when an earlier run has its name (a shard given twice). Returns the new n. */
static int drop_duplicates(Run *runs, int n, int first_new, const char *dir)
{
    int kept = first_new;
    for (int i = first_new; i < n; i++) {
        int dup = -1;
        for (int j = 0; j < first_new && dup < 0; j++)
            dup = !strcmp(runs[j].name, runs[i].name) ? j : -1;
        if (dup >= 0) {
            fprintf(stderr, "soak merge: runs/%s is in %s and in %s: kept the first\n", runs[i].name,
                    runs[dup].dir, dir);
            run_release(&runs[i]);
            continue;
        }
        runs[kept++] = runs[i];
    }
    return kept;
}

/* Links each run folder into out/runs so that the merged page's links work. */
static void link_runs(const Run *runs, int n, const char *out)
{
    char dir[PATH_MAX + 8];
    snprintf(dir, sizeof dir, "%s/runs", out);
    mkdir_p(dir);
    for (int i = 0; i < n; i++) {
        char link[PATH_MAX * 2], target[PATH_MAX];
        snprintf(link, sizeof link, "%s/%s", dir, runs[i].name);
        if (!realpath(runs[i].dir, target) || !strcmp(link, runs[i].dir))
            continue;
        unlink(link);
        if (symlink(target, link) != 0 && errno != EEXIST)
            fprintf(stderr, "soak merge: %s: %s\n", link, strerror(errno));
    }
}

/* Loads the runs of one soak folder after runs[0..n); its summary must match first's. */
static int merge_one(const char *dir, Run *runs, int n, SoakResult *res, const char *first)
{
    char path[PATH_MAX + 16], err[1024];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_t *s = summary_load(path, err, sizeof err);
    if (!s) {
        fprintf(stderr, "soak merge: %s\n", err);
        return -2;
    }
    SoakResult this = {0};
    result_from_summary(&this, s);
    json_decref(s);
    if (n == 0)
        *res = this;
    else if (same_soak(res, first, &this, dir))
        return -2;
    res->interrupted |= this.interrupted;
    int got = runs_load(dir, runs + n, MAX_LOADED - n, &res->tol, err, sizeof err);
    if (got <= 0) {
        fprintf(stderr, "soak merge: %s\n", got < 0 ? err : "no run folders");
        return -2;
    }
    return drop_duplicates(runs, n + got, n, dir);
}

/* The run records of a soak loaded from its folders (MAX_LOADED of them), on the heap. */
static Run *new_runs(void)
{
    Run *runs = calloc(MAX_LOADED, sizeof *runs);
    if (!runs) {
        fprintf(stderr, "%s: out of memory\n", program_invocation_short_name);
        exit(1);
    }
    return runs;
}

static int merge(SubArgs *a, Run *runs);

int soak_merge(int argc, char **argv)
{
    SubArgs a = {.max_pos = 256};
    if (sub_args(argc, argv, "--out --history", &a, "merge DIR... [--out DIR] [--history FILE.db]"))
        return 2;
    if (!a.history && getenv("FLATMEM_HISTORY") && *getenv("FLATMEM_HISTORY"))
        a.history = getenv("FLATMEM_HISTORY");
    if (a.history && hist_check_db(a.history))
        return 2;
    Run *runs = new_runs();
    int rc = merge(&a, runs);
    free(runs);
    return rc;
}

static int merge(SubArgs *a, Run *runs)
{
    const char *out = a->out, *const *dirs = a->pos;
    int n_dirs = a->n_pos, n = 0;
    if (!n_dirs)
        return usage_error("merge", "name the soak folders to merge");
    SoakResult res = {0};
    for (int d = 0; d < n_dirs; d++)
        if ((n = merge_one(dirs[d], runs, n, &res, dirs[0])) < 0)
            return 2;
    qsort(runs, (size_t)n, sizeof runs[0], run_cmp_canonical);
    res.shard_k = res.shard_n = 0; /* the merge is the whole, not its first shard */
    char outbuf[PATH_MAX];
    if (!out) {
        soak_default_out(outbuf, sizeof outbuf, "-merged");
        out = outbuf;
    }
    if (mkdir_p(out) != 0) {
        fprintf(stderr, "soak merge: --out %s: cannot create: %s\n", out, strerror(errno));
        return 2;
    }
    link_runs(runs, n, out);
    res.runs = runs;
    res.n_runs = runs_split_controls(runs, n); /* controls of soaks (not shards: they plan none) */
    res.controls = runs + res.n_runs, res.n_controls = n - res.n_runs;
    res.annotate = env_on_github_actions();
    for (int i = 0; i < n; i++)
        res.wall_s += runs[i].wall_s;
    char templates[PATH_MAX];
    target_templates(templates, sizeof templates);
    int rc = soak_finish(&res, out, templates, a->history);
    runs_release(runs, n);
    return rc;
}

/* ---- report, baseline --------------------------------------------------------------------- */

static int report(const SubArgs *a, Run *runs, SoakResult *res);

int soak_report(int argc, char **argv)
{
    SubArgs a = {.max_pos = 1};
    if (sub_args(argc, argv, "--baseline --templates", &a,
                 "report [DIR] [--baseline FILE] [--templates DIR]"))
        return 2;
    Run *runs = new_runs();
    SoakResult *res = calloc(1, sizeof *res);
    int rc = res ? report(&a, runs, res) : 1;
    free(res);
    free(runs);
    return rc;
}

static int report(const SubArgs *a, Run *runs, SoakResult *res)
{
    char found[PATH_MAX];
    target_templates(found, sizeof found);
    const char *dir = a->n_pos ? a->pos[0] : "reports/latest", *baseline = a->baseline;
    const char *templates = a->templates ? a->templates : found;
    char path[PATH_MAX + 16], err[1024];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    /* run folders without a summary (written by hand, or a soak killed hard) get defaults */
    json_t *s = access(path, F_OK) == 0 ? summary_load(path, err, sizeof err) : json_object();
    json_t *b = baseline ? summary_load(baseline, err + 512, 512) : NULL;
    if (!s || (baseline && !b)) {
        fprintf(stderr, "soak report: %s\n", !s ? err : err + 512);
        json_decref(s);
        return 2;
    }
    *res = (SoakResult){.base = {.path = baseline, .peak_pct = 10, .time_pct = 25}};
    result_from_summary(res, s);
    json_decref(s);
    int n = runs_load(dir, runs, MAX_LOADED, &res->tol, err, sizeof err);
    if (n <= 0) {
        json_decref(b);
        fprintf(stderr, "soak report: %s\n", n < 0 ? err : "no run folders");
        return 2;
    }
    res->runs = runs;
    res->n_runs = runs_split_controls(runs, n); /* the controls apart, as the soak had them */
    res->controls = runs + res->n_runs, res->n_controls = n - res->n_runs;
    for (int i = 0; i < n; i++)
        res->wall_s += runs[i].wall_s;
    res->base.doc = b;
    if (b)
        baseline_compare(b, res);
    res->annotate = env_on_github_actions();
    diagnosis_read_bisect(&res->diag, dir);
    soak_conclude(res);
    int what = access(path, F_OK) == 0 ? RENDER_SUMMARY : 0;
    int rc = render_soak(res, dir, templates, what, err, sizeof err);
    runs_release(runs, n);
    json_decref(b);
    if (rc != 0) {
        fprintf(stderr, "soak report: %s\n", err);
        return 1;
    }
    printf("report: %s/index.html (%s)\n", dir, overall_name(res->overall));
    return 0;
}

int soak_baseline(int argc, char **argv)
{
    SubArgs a = {.max_pos = 1};
    if (sub_args(argc, argv, "--to --force", &a, "baseline [DIR] [--to FILE] [--force]"))
        return 2;
    const char *dir = a.n_pos ? a.pos[0] : "reports/latest", *to = a.to ? a.to : "reports/baseline.json";
    int force = a.force;
    char path[PATH_MAX + 16], err[1024];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    json_t *s = summary_load(path, err, sizeof err);
    if (!s || baseline_acceptable(s, path, force, err, sizeof err) != 0) {
        fprintf(stderr, "soak baseline: %s\n", err);
        json_decref(s);
        return 2;
    }
    OutFile of;
    FILE *f = outfile_open(&of, to);
    int ok = f && json_dumpf(s, f, JSON_INDENT(2) | JSON_REAL_PRECISION(8)) == 0 && outfile_commit(&of) == 0;
    if (f && !ok)
        outfile_abort(&of);
    json_decref(s);
    if (!ok) {
        fprintf(stderr, "soak baseline: %s: cannot be written: %s\n", to, strerror(errno));
        return 1;
    }
    printf("saved %s as %s\n", path, to);
    return 0;
}

/* ---- names ------------------------------------------------------------------------------ */

/* argv[2] asks for the subcommand's usage. */
static int asks_help(int argc, char **argv)
{
    return argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"));
}

int soak_workload(int argc, char **argv)
{
    if (asks_help(argc, argv)) {
        char names[128];
        printf(
            "usage: %s workload NAME\nprints the train_full arguments of workload NAME (%s), one per line\n",
            program_invocation_short_name, workload_names(names, sizeof names));
        return 0;
    }
    const Workload *w = argc == 3 ? workload_find(argv[2]) : NULL;
    if (!w) {
        char why[160];
        char names[128];
        snprintf(why, sizeof why, "name one workload (%s)", workload_names(names, sizeof names));
        return usage_error("workload", why);
    }
    for (int i = 0; w->args[i]; i++)
        printf("%s\n", w->args[i]);
    if (w->threads)
        printf("--threads\n%d\n", w->threads);
    return 0;
}

int soak_list(int argc, char **argv)
{
    if (asks_help(argc, argv)) {
        printf("usage: %s list faults|modes|workloads|kinds\nprints the valid names of that kind (kinds: of "
               "problem), one per line\n",
               program_invocation_short_name);
        return 0;
    }
    const char *kind = argc == 3 ? argv[2] : "";
    if (!strcmp(kind, "faults"))
        for (int i = 0; i < fault_count(); i++)
            printf("%s\n", fault_name(i));
    else if (!strcmp(kind, "modes"))
        for (int m = 0; m < MODE_COUNT; m++)
            printf("%s\n", mode_name((Mode)m));
    else if (!strcmp(kind, "workloads"))
        workload_list(stdout);
    else if (!strcmp(kind, "kinds"))
        for (int k = 0; k < KIND_NONE; k++)
            printf("%s\n", kind_name((Kind)k));
    else
        return usage_error("list", "list faults, modes, workloads or kinds");
    return 0;
}

int soak_bisect(int argc, char **argv)
{
    char script[PATH_MAX], self[PATH_MAX];
    target_bisect_script(script, sizeof script);
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    self[n > 0 ? n : 0] = 0;
    if (!script[0] || n <= 0) {
        fprintf(stderr, "%s bisect: the bisect script is not installed beside %s (make install)\n",
                program_invocation_short_name, program_invocation_short_name);
        return 2;
    }
    /* the script, with this program as the soak of each commit unless --soak says otherwise */
    char **args = calloc((size_t)argc + 4, sizeof *args);
    if (!args)
        return 1;
    int k = 0, own = 0;
    args[k++] = script;
    for (int i = 2; i < argc; i++)
        own |= !strcmp(argv[i], "--soak"), args[k++] = argv[i];
    if (!own && !(argc == 3 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))))
        args[k++] = "--soak", args[k++] = self;
    execv(script, args);
    fprintf(stderr, "%s bisect: %s: %s\n", program_invocation_short_name, script, strerror(errno));
    free(args);
    return 2;
}

int soak_check(int argc, char **argv)
{
    Options *o = calloc(1, sizeof *o);
    int rc = o ? options_parse(argc - 1, argv + 1, o) : 1;
    if (!rc && o->help)
        printf("usage: %s check [options]\nchecks a soak's options (those `%s [options]` takes) and runs "
               "nothing: exit 0 when they are valid, 2 with the reason\n",
               program_invocation_short_name, program_invocation_short_name);
    free(o);
    return rc;
}
