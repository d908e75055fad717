/* anyprog.h - what the tests that soak programs of other people's (test_anyprog*.c) share:
 * the soak run on a command from the project's folder, the run and problem of its summary
 * with the verdict, kind, function and rate expected, the page checked in a browser. */
#ifndef TESTS_E2E_ANYPROG_H
#define TESTS_E2E_ANYPROG_H

#include "soakutil.h"

#include <stdarg.h>
#include <signal.h>
#include <unistd.h>

static char g_dir[PATH_MAX]; /* build/release */
static char g_root[PATH_MAX + 8]; /* the project */
/* soak --cmd CMD with more arguments (a format), from the project's folder, into OUT;
 * its exit status, its summary in g_doc (soakutil.h). */
/* `soak --cmd CMD ARGS` into OUT, its exit status; without the control runs (a run more
 * per mode: test_anyprog's test_controls_catch_in_every_mode and test_install soak with
 * them, the others test their own verdicts). soak_cmd_controlled: with them. */
static inline int soak_cmd_v(int controls, const char *out, const char *cmd, const char *fmt, va_list ap)
{
    char args[1024], command[4 * PATH_MAX + 1024];
    vsnprintf(args, sizeof args, fmt, ap);
    snprintf(command, sizeof command, "cd '%s' && '%s/soak' --cmd \"%s\"%s", g_root, g_dir, cmd,
             controls ? "" : " --no-control");
    return soak_into(out, command, args);
}

__attribute__((format(printf, 3, 4), unused)) static int soak_cmd(const char *out, const char *cmd,
                                                                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = soak_cmd_v(0, out, cmd, fmt, ap);
    va_end(ap);
    return rc;
}

__attribute__((format(printf, 3, 4), unused)) static int soak_cmd_controlled(const char *out, const char *cmd,
                                                                             const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = soak_cmd_v(1, out, cmd, fmt, ap);
    va_end(ap);
    return rc;
}

static inline json_t *run_of(const char *mode, long iters)
{
    return summary_run(g_doc, mode, iters, NULL);
}

/* The function a run names: its tool report's first frame, or its first grown stack. */
static inline const char *named_function(json_t *r)
{
    static char f[200];
    const char *frame = json_string_value(
        json_array_get(json_object_get(json_array_get(json_object_get(r, "findings"), 0), "frames"), 0));
    const char *stack = str(json_array_get(json_object_get(r, "stacks"), 0), "function");
    snprintf(f, sizeof f, "%s", frame ? frame : stack);
    return f;
}

/* The run that decided mode at iters: that run, or, when it was too short to judge (a
 * short run on a busy machine can be), the run the soak added at a larger count to decide
 * it (--longer: its longer_of is iters), and so on. */
static inline json_t *decided_run(const char *mode, long iters)
{
    json_t *r = run_of(mode, iters), *runs = json_object_get(g_doc, "runs"), *q;
    size_t i;
    while (r && !strcmp(str(r, "verdict"), "UNJUDGED")) {
        json_t *next = NULL;
        json_array_foreach(runs, i, q) if (!strcmp(str(q, "mode"), mode) &&
                                           json_integer_value(json_object_get(q, "longer_of")) == iters)
            next = q;
        if (!next)
            break;
        r = next;
        iters = (long)json_integer_value(json_object_get(r, "iterations"));
    }
    return r;
}

/* Run mode/iters (or the run that decided it, when a verdict other than UNJUDGED is
 * expected) has verdict and kind, and names function (a prefix) when given. */
static inline void expect(const char *mode, long iters, const char *verdict, const char *kind,
                          const char *function)
{
    json_t *r = strcmp(verdict, "UNJUDGED") ? decided_run(mode, iters) : run_of(mode, iters);
    const char *named = named_function(r);
    if (strcmp(str(r, "verdict"), verdict) || strcmp(str(r, "kind"), kind) ||
        (function && strncmp(named, function, strlen(function))))
        fail_msg("%s %ld: %s / %s / '%s', expected %s / %s / '%s' (%s; %s)", mode, iters, str(r, "verdict"),
                 str(r, "kind"), named, verdict, kind, function ? function : "", str(r, "detail"),
                 str(r, "stacks_missing"));
}

/* The summary's diagnosis has exactly one problem (nothing listed twice), of kind, whose
 * function starts with function (when given), seen by each of the modes in seen (a comma
 * list), failing the soak or not. Returns it. */
static inline json_t *expect_problem(const char *kind, const char *function, const char *seen, int fails)
{
    json_t *d = json_object_get(g_doc, "diagnosis");
    if (json_array_size(d) != 1)
        fail_msg("diagnosis: %zu problems, expected one:\n%.2000s", json_array_size(d),
                 json_dumps(d, JSON_INDENT(1)));
    json_t *p = json_array_get(d, 0);
    if (strcmp(str(p, "kind"), kind) || (function && strncmp(str(p, "function"), function, strlen(function))))
        fail_msg("diagnosis: %s in '%s', expected %s in '%s'", str(p, "kind"), str(p, "function"), kind,
                 function ? function : "");
    char modes[128];
    snprintf(modes, sizeof modes, "%s", seen);
    for (char *m = strtok(modes, ","); m; m = strtok(NULL, ",")) {
        size_t i;
        json_t *v;
        int found = 0;
        json_array_foreach(json_object_get(p, "seen_by"), i, v) found |= !strcmp(json_string_value(v), m);
        if (!found)
            fail_msg("diagnosis: %s is not among the modes that saw it (%s)", m, str(p, "summary"));
    }
    assert_int_equal(json_is_true(json_object_get(p, "fails")), fails);
    return p;
}

/* tools/page-check on OUT/index.html: every image loads, nothing from outside, text on it. */
static inline void expect_page(const char *out, const char *text)
{
    if (test_sh("'%s/tools/page-check' '%s/%s/index.html' --expect '%s' >'%s/%s.page' 2>&1", g_root,
                test_tmpdir(), out, text, test_tmpdir(), out) != 0)
        fail_msg("the page of %s fails in the browser (see %s/%s.page)", out, test_tmpdir(), out);
}

/* A whole text file (fails the test when it cannot be read); the caller frees. */
static inline char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("%s: cannot be read", path);
    char *buf = calloc(1, 1 << 20);
    size_t n = fread(buf, 1, (1 << 20) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static char g_prog[PATH_MAX + 32];

static inline const char *prog(const char *behaviour)
{
    static char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "%s %s {iters}", g_prog, behaviour);
    return cmd;
}

/* The problem of the summary's diagnosis named function (a prefix), or fails. */
static inline json_t *problem_in(const char *function)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(g_doc, "diagnosis"), i,
                       p) if (!strncmp(str(p, "function"), function, strlen(function))) return p;
    fail_msg("no problem in %s:\n%.3000s", function,
             json_dumps(json_object_get(g_doc, "diagnosis"), JSON_INDENT(1)));
    return NULL;
}

/* Its headline rate is within 25% of what the program keeps a step. */
static inline void expect_rate(json_t *p, double truth)
{
    double rate = json_number_value(json_object_get(json_object_get(p, "bytes_per_iter"), "median"));
    if (rate < truth * 0.75 || rate > truth * 1.25)
        fail_msg("%s: the rate is not within 25%% of %.0f B/iteration", str(p, "summary"), truth);
    assert_true(str(p, "rate_from")[0] != 0); /* it says which series it came from */
}

/* netprog (tests/programs/netprog.c) as a service under its own load: "--cmd 'NETPROG serve
 * {port} BEHAVIOUR' --load 'NETPROG load {port} {iters}' ARGS" into OUT. */
static inline int soak_service(const char *out, const char *behaviour, const char *args)
{
    char server[PATH_MAX + 64], more[PATH_MAX + 512];
    snprintf(server, sizeof server, "%s/tests/netprog serve {port} %s", g_dir, behaviour);
    snprintf(more, sizeof more,
             "--load '%s/tests/netprog load {port} {iters}' --step-regex 'done ([0-9]+)' %s", g_dir, args);
    return soak_cmd(out, server, "%s", more);
}

/* The build folder, the project and the test program, from argv[0]. */
static inline void anyprog_init(const char *argv0)
{
    build_dir_of(argv0, g_dir, sizeof g_dir);
    snprintf(g_root, sizeof g_root, "%s/../..", g_dir);
    char real[PATH_MAX];
    if (realpath(g_root, real))
        snprintf(g_root, sizeof g_root, "%s", real);
    snprintf(g_prog, sizeof g_prog, "%s/tests/anyprog", g_dir);
}

/* A suite's main: its tests run in one scratch folder (a test may read the soak of the
 * one before it), the summary given back. */
static inline int anyprog_main(const char *argv0, const char *suite, const struct CMUnitTest *tests, size_t n)
{
    anyprog_init(argv0);
    test_filter_from_env();
    int rc = _cmocka_run_group_tests(suite, tests, n, tmpdir_setup, tmpdir_teardown);
    json_decref(g_doc);
    return rc;
}

#endif
