/* test_anyprog: soaking programs the project did not write (soak --cmd), end to end, on
 * tests/programs/anyprog.c (a behaviour per memory pattern) and anyprog_cpp.cpp (C++):
 * each gets its verdict, its kind and the named function in the modes that can see it;
 * step lines and step marks place the samples; a one-time leak does not fail unless
 * --strict-leaks; train_full through --cmd gets the built-in target's verdicts; bad input
 * stops before any run. This project's programs through --cmd, bisect and `make install`:
 * test_anyprog_tools.c. Services,
 * process trees and descriptors: test_anyprog_services.c; Python: test_anyprog_python.c.
 * Release variant only (built there). */
#include "anyprog.h"

#include <sys/stat.h>

static void test_leak(void **state)
{
    (void)state;
    /* (3000: the native run beside valgrind's on a busy machine once got 8 samples after
     * warm-up at 1500, too few to judge) */
    assert_int_equal(soak_cmd("leak", prog("leak"), "--iters 300,3000"), 1);
    for (long n = 300; n <= 3000; n += 2700) {
        expect("lsan", n, "ERROR", "leak", "leak_step");
        expect("valgrind", n, "ERROR", "leak", "leak_step");
        expect("native", n, "GROWING", "reachable-growth", NULL); /* no tool there to say unreachable */
    }
    expect("jemalloc", 3000, "GROWING", "reachable-growth", "leak_step");
    /* a leak that grows with the count: bytes per iteration, not one-time */
    json_t *a = run_of("lsan", 300), *b = run_of("lsan", 3000);
    assert_true(json_real_value(json_object_get(b, "leak_bytes")) >
                4 * json_real_value(json_object_get(a, "leak_bytes")));
    /* one problem from four modes' evidence: the leak checkers' word, the place, about 1 KiB a step */
    json_t *p = expect_problem("leak", "leak_step", "native,valgrind,jemalloc,lsan", 1);
    double rate = json_real_value(json_object_get(json_object_get(p, "bytes_per_iter"), "median"));
    if (rate < 700 || rate > 1500)
        fail_msg("leak_step: %.0f bytes/iteration in the diagnosis, expected about 1024", rate);
    assert_non_null(strstr(str(p, "location"), "anyprog.c:"));
    assert_non_null(json_object_get(p, "projection"));
    expect_page("leak", "leak in leak_step");
}

/* With GITHUB_ACTIONS=true: an annotation per problem, in GitHub's workflow-command form,
 * and summary.md appended to $GITHUB_STEP_SUMMARY (docs/ci.md). Uses test_leak's soak. */
static void test_ci_annotations_and_summary(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    assert_int_equal(test_sh("cd '%s' && printf 'before\\n' >'%s/step.md' && GITHUB_ACTIONS=true "
                             "GITHUB_STEP_SUMMARY='%s/step.md' "
                             "'%s/soak' report '%s/leak' >'%s/annotate.out' 2>&1",
                             g_root, t, t, g_dir, t, t),
                     0);
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/annotate.out", t);
    char *out = read_text(path);
    /* ::error file=tests/programs/anyprog.c,line=N,title=memory soak%3A leak in leak_step::leak in leak_step
     * ... */
    const char *a = strstr(out, "::error file=");
    if (!a)
        fail_msg("no ::error annotation in:\n%s", out);
    char file[256], title[256], msg[1024];
    long line = 0;
    assert_int_equal(
        sscanf(a, "::error file=%255[^,],line=%ld,title=%255[^:]::%1023[^\n]", file, &line, title, msg), 4);
    assert_string_equal(file, "tests/programs/anyprog.c");
    assert_true(line > 0);
    assert_string_equal(title, "memory soak%3A leak in leak_step");
    assert_non_null(strstr(msg, "leak in leak_step"));
    assert_null(strchr(msg, '\r'));
    free(out);
    snprintf(path, sizeof path, "%s/leak/summary.md", t);
    char *md = read_text(path);
    assert_non_null(strstr(md, "## Memory soak: FAIL\n"));
    assert_non_null(strstr(md, "| # | problem | where | bytes/iteration | seen by | not seen by | at "
                               "1,000,000 iterations | fails |"));
    assert_non_null(strstr(md, "| 1 | **leak** | `leak_step` tests/programs/anyprog.c:"));
    snprintf(path, sizeof path, "%s/step.md", t);
    char *step = read_text(path);
    assert_true(!strncmp(step, "before\n", 7) && !strcmp(step + 7, md)); /* appended, whole */
    free(step);
    free(md);
    /* not on GitHub and not asked for: no annotation */
    assert_int_equal(test_sh("cd '%s' && env -u GITHUB_ACTIONS '%s/soak' report '%s/leak' | grep -q '^::'",
                             g_root, g_dir, t),
                     1);
}

/* The asan mode, given the program built with ASan (--asan-cmd). */
static void test_asan_build(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    assert_int_equal(test_sh("cc -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=address -I'%s/include' "
                             "'%s/tests/programs/anyprog.c' "
                             "-o '%s/anyprog-asan'",
                             g_root, g_root, t),
                     0);
    char asan[PATH_MAX + 64];
    snprintf(asan, sizeof asan, "--asan-cmd '%s/anyprog-asan leak {iters}' --modes asan,native --iters 300",
             t);
    assert_int_equal(soak_cmd("asan", prog("leak"), "%s", asan), 1);
    expect("asan", 300, "ERROR", "leak", "leak_step");
}

/* The built-in program's jemalloc runs name functions too, where memory bypasses the
 * engine's own heap path (par_leak: a raw malloc in a worker thread). */
static void test_builtin_jemalloc_names_raw_mallocs(void **state)
{
    (void)state;
    test_sh("cd '%s' && '%s/soak' --faults par_leak --modes jemalloc --iters 2000 --resume-iters none "
            "--out '%s/builtin-je' >/dev/null 2>&1",
            g_root, g_dir, test_tmpdir());
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/builtin-je/summary.json", test_tmpdir());
    json_decref(g_doc);
    g_doc = json_load_file(path, 0, NULL);
    expect("jemalloc", 2000, "GROWING", "heap-growth", "fault_worker_job"); /* no leak checker ran */
    assert_non_null(
        strstr(str(json_array_get(json_object_get(run_of("jemalloc", 2000), "stacks"), 0), "where"),
               "engine/fault.c:"));
    expect_problem("heap-growth", "fault_worker_job", "jemalloc", 1);
    /* and its growth as a pprof profile: Go's pprof names the same function (test_profiles) */
    assert_int_equal(
        test_sh("d='%s/builtin-je/runs/jemalloc-2000-par_leak'; [ -d \"$d/attrib\" ] && d=\"$d/attrib\"; "
                "go tool pprof -top \"$d/growth.pb.gz\" 2>&1 | grep -A1 'flat%%' | tail -1 | "
                "grep -q ' fault_worker_job$'",
                test_tmpdir()),
        0);
}

static void test_reachable_growth(void **state)
{
    (void)state;
    /* One sample per 2 KiB (not the default 128 KiB): some 200 samples in the window
     * between two heap profiles (a third of the run), so the estimate below is within some
     * 7%, not half or double (at 4 KiB, 100 samples: 1323 once). */
    assert_int_equal(soak_cmd("reach", prog("reach"), "--iters 300,1500 --prof-sample 11"), 1);
    expect("native", 1500, "GROWING", "reachable-growth", NULL);
    expect("jemalloc", 1500, "GROWING", "reachable-growth", "reach_step");
    expect("lsan", 1500, "FLAT", "", NULL); /* reachable: no leak report */
    expect("valgrind", 1500, "FLAT", "", NULL);
    json_t *s = json_array_get(json_object_get(run_of("jemalloc", 1500), "stacks"), 0);
    double per_iter = json_real_value(json_object_get(s, "bytes_per_iter"));
    if (per_iter < 800 || per_iter > 1300) /* 1 KiB a step */
        fail_msg("reach_step: %.0f bytes/iteration, expected about 1024", per_iter);
    assert_non_null(strstr(str(s, "where"), "anyprog.c:"));
    json_t *p = expect_problem("reachable-growth", "reach_step", "native,jemalloc", 1);
    assert_int_equal(json_array_size(json_object_get(p, "not_seen_by")),
                     2); /* lsan, valgrind: with the reason */
    assert_non_null(
        strstr(str(json_array_get(json_object_get(p, "not_seen_by"), 0), "why"), "no longer pointed to"));
}

static void test_mmap_growth(void **state)
{
    (void)state;
    assert_int_equal(soak_cmd("mmap", prog("mmap"), "--iters 300,1500 --modes native,jemalloc"), 1);
    expect("native", 1500, "GROWING", "non-heap-growth", NULL);
    expect("jemalloc", 1500, "GROWING", "non-heap-growth", NULL);
    /* the pages are named by the mappings the program made (the probe records each mmap) */
    json_t *p = expect_problem("non-heap-growth", "map_step", "native,jemalloc", 1);
    assert_non_null(strstr(str(p, "location"), "anyprog.c"));
}

static void test_flat_programs(void **state)
{
    (void)state;
    static const char *const flat[] = {"clean", "plateau"};
    for (int k = 0; k < 2; k++) {
        int rc = soak_cmd(flat[k], prog(flat[k]), "--iters 300,1500");
        if (rc != 0)
            fail_msg("%s: soak exited %d (see %s/%s.log)", flat[k], rc, test_tmpdir(), flat[k]);
        assert_string_equal(str(g_doc, "overall"), "PASS");
        assert_int_equal(json_array_size(json_object_get(g_doc, "diagnosis")), 0);
    }
    expect_page("plateau", "No problem found: memory stays flat in every run and across the sweep");
}

static void test_one_time_leak(void **state)
{
    (void)state;
    assert_int_equal(soak_cmd("onetime", prog("onetime"), "--iters 300,1500 --modes lsan,valgrind"), 0);
    expect("lsan", 1500, "ERROR", "one-time-leak", "main");
    expect("valgrind", 300, "ERROR", "one-time-leak", "main");
    assert_string_equal(str(g_doc, "overall"), "PASS");
    json_t *p = expect_problem("one-time-leak", "main", "lsan,valgrind", 0); /* shown, not failing */
    assert_true(json_real_value(json_object_get(p, "one_time_bytes")) >= 100 * 1024);
    assert_int_equal(
        soak_cmd("onetime-strict", prog("onetime"), "--iters 300,1500 --modes lsan --strict-leaks"), 1);
}

/* The iteration column of a run's samples.csv ends at the last step, and no "placed by
 * time" note. */
static void expect_steps(const char *out, const char *mode, long iters)
{
    json_t *r = run_of(mode, iters);
    assert_null(strstr(str(r, "note"), "placed by time"));
    assert_int_equal(test_sh("test -s '%s/%s/%s/steps.csv'", test_tmpdir(), out, str(r, "run_dir")), 0);
    assert_int_equal(json_integer_value(json_object_get(r, "iterations_reached")), iters);
}

static void test_steps_from_output_and_marks(void **state)
{
    (void)state;
    assert_int_equal(
        soak_cmd("steps", prog("steps"), "--iters 400 --modes native --step-regex 'step ([0-9]+) of'"), 0);
    expect_steps("steps", "native", 400);
    assert_int_equal(soak_cmd("header", prog("header"), "--iters 1500 --modes native,jemalloc"), 1);
    expect_steps("header", "native", 1500);
    expect("jemalloc", 1500, "GROWING", "heap-growth", "reach_step"); /* no leak checker: not "reachable" */
    /* without either: placed by time, and said so */
    soak_cmd("bytime", prog("clean"), "--iters 200 --modes native");
    assert_non_null(strstr(str(run_of("native", 200), "note"), "placed by time"));
}

static void test_cpp_program(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "%s/tests/anyprog_cpp {iters}", g_dir);
    assert_int_equal(soak_cmd("cpp", cmd, "--iters 1000,4000 --modes native,jemalloc,lsan"), 1);
    expect("native", 4000, "GROWING", "reachable-growth", NULL);
    expect("jemalloc", 4000, "GROWING", "reachable-growth", "trainer::History::remember_step");
    expect("lsan", 4000, "FLAT", "", NULL);
    expect_steps("cpp", "native", 4000);
}

static void test_bad_input(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "%s clean", g_prog);
    assert_int_equal(soak_cmd("bad1", cmd, "%s", ""), 2); /* no {iters} */
    assert_int_equal(soak_cmd("bad2", "/nonexistent/prog {iters}", "%s", ""), 2); /* no such program */
    assert_int_equal(soak_cmd("bad3", prog("clean"), "--step-regex 'step [0-9]+'"), 2); /* no group */
    assert_int_equal(soak_cmd("bad4", prog("clean"), "--step-regex 'step ([0-9'"), 2); /* not a regex */
    assert_int_equal(soak_cmd("bad5", prog("clean"), "--asan-cmd '%s clean'", g_prog), 2);
    assert_int_equal(soak_cmd("bad6", prog("clean"), "--faults leak"), 2);
    /* a missing preload library names its Debian package */
    assert_int_equal(
        test_sh("FLATMEM_LIBDIR=/nonexistent '%s/soak' --cmd '%s' --out '%s/bad7' 2>'%s/bad7.log'", g_dir,
                prog("clean"), t, t),
        2);
    assert_int_equal(test_sh("grep -q 'apt-get install libjemalloc2' '%s/bad7.log'", t), 0);
    for (int i = 1; i <= 7; i++) /* nothing ran */
        assert_int_equal(test_sh("test -d '%s/bad%d/runs'", t, i), 1);
    /* asan asked for without an ASan build: left out with a note, not silently */
    soak_cmd("noasan", prog("clean"), "--iters 100 --modes native,asan");
    assert_int_equal(test_sh("grep -q 'mode asan skipped' '%s/noasan.log'", t), 0);
    /* a program that fails: CRASHED with the last line of its stderr */
    soak_cmd("fails", prog("nosuchbehaviour"), "--iters 100 --modes native");
    expect("native", 100, "CRASHED", "crash", NULL);
    assert_non_null(strstr(str(run_of("native", 100), "detail"), "usage: anyprog"));
}

/* Each way of allocating names the program's own function (not malloc, strdup's glibc
 * alias, operator new or std::map's insides), with a rate within 25% of the bytes kept. */
static void test_allocation_paths_name_the_program(void **state)
{
    (void)state;
    char cpp[PATH_MAX + 64];
    snprintf(cpp, sizeof cpp, "%s/tests/anyprog_cpp", g_dir);
    static const struct {
        const char *prog, *what, *function;
        double truth; /* bytes the program asks for and keeps a step */
    } paths[] = {
        {NULL, "strdup", "copy_step", 29 + 8}, /* the copy and its pointer */
        {NULL, "calloc", "zeroed_step", 96},
        {NULL, "realloc", "append_step", 64},
        {"cpp", "new", "trainer::Pool::keep", 96},
        {"cpp", "string", "trainer::Log::append",
         48 + 101}, /* a list node (two links, a string) and its text */
        {"cpp", "map", "trainer::Registry::add", 64}, /* a tree node: four words and the pair */
    };
    for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
        char cmd[PATH_MAX + 128];
        snprintf(cmd, sizeof cmd, "%s %s {iters}", paths[k].prog ? cpp : g_prog, paths[k].what);
        /* one count (the rate is the largest count's), sampled finely from the start (the
         * finer re-run when the samples are too few is test_slow_loop_small_growth_fails's) */
        int rc = soak_cmd(paths[k].what, cmd, "--iters 2000 --modes native,jemalloc --prof-sample 10");
        if (rc != 1)
            fail_msg("%s: soak exited %d, expected 1 (see %s/%s.log)", paths[k].what, rc, test_tmpdir(),
                     paths[k].what);
        json_t *p = problem_in(paths[k].function);
        assert_string_equal(str(p, "kind"), "heap-growth"); /* native and jemalloc: no leak checker ran */
        expect_rate(p, paths[k].truth);
        assert_int_equal(json_array_size(json_object_get(g_doc, "diagnosis")),
                         1); /* the scratch buffer is not one */
    }
}

/* No band of bytes per run: 128 bytes a step kept by a slow loop (20 ms a step) fails at
 * 20 and 200 steps. */
static void test_slow_loop_small_growth_fails(void **state)
{
    (void)state;
    assert_int_equal(soak_cmd("record", prog("record"), "--iters 20,200 --modes native,jemalloc"), 1);
    expect("native", 200, "GROWING", "heap-growth", NULL);
    expect_rate(problem_in("record_step"), 128);
}

/* A leak in one function and a reachable growth in another: two problems, each named, each
 * with its own rate (the leak's from the leak reports, the other's from the heap less it). */
static void test_two_growths_are_two_problems(void **state)
{
    (void)state;
    assert_int_equal(soak_cmd("two", prog("two"), "--iters 300,3000 --modes native,jemalloc,lsan"), 1);
    assert_int_equal(json_array_size(json_object_get(g_doc, "diagnosis")), 2);
    json_t *leak = problem_in("lose_step"), *kept = problem_in("record_step");
    assert_string_equal(str(leak, "kind"), "leak");
    assert_string_equal(str(kept, "kind"), "reachable-growth");
    expect_rate(leak, 200);
    expect_rate(kept, 128);
}

/* A program that ends before the soak can look twice is not judged: UNJUDGED (not
 * CRASHED), no problem, no projection; a mode with no judged run leaves the soak
 * INCOMPLETE, not PASS. */
static void test_too_short_is_not_judged(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "%s/tests/anyprog_cpp new {iters}", g_dir);
    int rc = soak_cmd("short", cmd, "--iters 2,3 --modes native,jemalloc");
    for (int k = 2; k <= 3; k++)
        expect("native", k, "UNJUDGED", "", NULL), expect("jemalloc", k, "UNJUDGED", "", NULL);
    if (json_array_size(json_object_get(g_doc, "diagnosis")) != 0)
        fail_msg("a run too short to judge made a problem: %.2000s",
                 json_dumps(json_object_get(g_doc, "diagnosis"), 0));
    assert_string_equal(str(g_doc, "overall"), "INCOMPLETE");
    assert_int_equal(rc, 1);
    /* the console, summary.md and the page's banner say the same, and no more than that */
    char why[200]; /* (the runs at 2 and 3, and those run again longer: --longer) */
    size_t n = json_array_size(json_object_get(g_doc, "runs"));
    snprintf(
        why, sizeof why,
        "the soak did not complete: %zu of %zu runs finished, %zu of them not judged (too short, or blind)",
        n, n, n);
    if (test_sh("grep -qF 'diagnosis: no problem found: no run could be judged (%s)' '%s/short.log' && "
                "grep -qF '%s' '%s/short/summary.md' && grep -qF 'INCOMPLETE: %s' '%s/short/index.html' && "
                "! grep -q 'stays flat' '%s/short.log' '%s/short/summary.md'",
                why, test_tmpdir(), why, test_tmpdir(), why, test_tmpdir(), test_tmpdir(),
                test_tmpdir()) != 0)
        fail_msg("the console, summary.md and the page do not say '%s' alike (%s/short*)", why,
                 test_tmpdir());
}

/* A slow program's time limits come from its own pace: each mode's smallest run goes first,
 * the soak says what the rest will cost before they start, and a run clearly past
 * --timeout at that pace is not started, and says why (NOT_RUN: the soak is INCOMPLETE). */
static void test_paced_by_the_first_run(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "%s/tests/anyprog slow {iters}", g_dir); /* 20 ms a step, clean */
    int rc = soak_cmd("paced", cmd, "--iters 10,40,400 --modes native --timeout 2");
    if (test_sh("grep -q \"^soak: at the pace of each mode's first run, the other 1 run takes at most about "
                "\" '%s/paced.log' && grep -q '^soak: native-400: not started' '%s/paced.log'",
                test_tmpdir(), test_tmpdir()) != 0)
        fail_msg("no estimate, or no word of the run not started (%s/paced.log)", test_tmpdir());
    expect("native", 40, "FLAT", "", NULL);
    expect("native", 400, "NOT_RUN", "", NULL);
    if (!strstr(str(run_of("native", 400), "detail"), "not started: at the pace of its mode's first run"))
        fail_msg("native 400: %s", str(run_of("native", 400), "detail"));
    assert_string_equal(str(g_doc, "overall"), "INCOMPLETE");
    assert_int_equal(rc, 1);
}

/* A command that sets LD_PRELOAD itself keeps the soak's preloads and its own (the soak's
 * first): a leak in its own preloaded library (tests/programs/shim.c: 256 bytes lost at
 * each nanosleep, one a step) is caught and named, through `env` and as a shell would write
 * it. A wrapper that replaces LD_PRELOAD leaves LeakSanitizer out: the lsan run is blind
 * and the soak INCOMPLETE, never PASS (issue 33). */
static void test_own_preload_kept_and_blind_said(void **state)
{
    (void)state;
    char cmd[2 * PATH_MAX + 64], wrapper[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "env LD_PRELOAD=%s/tests/libshim.so %s/tests/anyprog clean {iters}", g_dir,
             g_dir);
    int rc = soak_cmd("preload", cmd, "--iters 300,600 --modes lsan,jemalloc");
    json_t *p = problem_in("shim_note");
    if (strcmp(str(p, "kind"), "leak") || rc != 1)
        fail_msg("the shim's leak: %s (exit %d)", str(p, "summary"), rc);
    expect("jemalloc", 600, "GROWING", "reachable-growth", NULL);
    /* the program's end is marked before LeakSanitizer's leak check, which ends the process
     * itself when it finds leaks: its seconds are not placed as the program's last steps
     * (with the mark in the probe's destructor there was none, and under load a thread
     * leak read flat) */
    char span[PATH_MAX + 64];
    snprintf(span, sizeof span, "%s/preload/%s/span.csv", test_tmpdir(), str(run_of("lsan", 600), "run_dir"));
    char *marks = read_text(span);
    if (!strstr(marks, ",1\n"))
        fail_msg("lsan 600: no end marked in %s:\n%s", span, marks);
    free(marks);
    snprintf(cmd, sizeof cmd, "LD_PRELOAD=%s/tests/libshim.so %s/tests/anyprog clean {iters}", g_dir, g_dir);
    assert_int_equal(soak_cmd("preload-sh", cmd, "--iters 300 --modes lsan"), 1);
    problem_in("shim_note");
    /* a wrapper that sets LD_PRELOAD: LeakSanitizer never reaches the program */
    snprintf(wrapper, sizeof wrapper, "%s/replaces.sh", test_tmpdir());
    FILE *f = fopen(wrapper, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\nLD_PRELOAD=%s/tests/libshim.so exec \"$@\"\n", g_dir);
    fclose(f);
    assert_int_equal(chmod(wrapper, 0755), 0);
    snprintf(cmd, sizeof cmd, "%s %s/tests/anyprog clean {iters}", wrapper, g_dir);
    rc = soak_cmd("blind", cmd, "--iters 600 --modes lsan");
    json_t *r = run_of("lsan", 600);
    if (strcmp(str(r, "verdict"), "UNJUDGED") || !strstr(str(r, "detail"), "blind") ||
        strcmp(str(g_doc, "overall"), "INCOMPLETE") || rc != 1)
        fail_msg("a run whose LeakSanitizer was replaced: %s: %s; overall %s (exit %d)", str(r, "verdict"),
                 str(r, "detail"), str(g_doc, "overall"), rc);
}

/* The control of each mode (docs/soak.md, "Controls"): caught at its rate, at step marks in
 * every mode of a command (the program's own growth beside it) and by time in a program that
 * does not mark its steps; a mode into which nothing can be planted (a statically linked
 * program: no preload reaches it) misses it, and the soak is INCOMPLETE, never PASS. */
static void test_controls_catch_in_every_mode(void **state)
{
    (void)state;
    static const struct {
        const char *out, *behaviour, *args;
        int n;
    } soaks[] = {{"ctl-marks", "header", "--iters 600", 4},
                 {"ctl-time", "clean", "--iters 1000 --modes native,lsan", 2}};
    for (size_t k = 0; k < sizeof soaks / sizeof soaks[0]; k++) {
        soak_cmd_controlled(soaks[k].out, prog(soaks[k].behaviour), "%s", soaks[k].args);
        json_t *ctl = json_object_get(g_doc, "controls"), *c;
        size_t i, deciding = 0; /* (a control too short, superseded by a longer one, decides nothing) */
        json_array_foreach(ctl, i, c)
        {
            if (json_is_true(json_object_get(c, "superseded")))
                continue;
            deciding++;
            if (!json_is_true(json_object_get(c, "caught")) || !strstr(str(c, "why"), "flatmem_control_"))
                fail_msg("%s: the %s control: %s", soaks[k].out, str(c, "mode"), str(c, "why"));
        }
        if (deciding != (size_t)soaks[k].n)
            fail_msg("%s: %zu controls decide, expected one per mode (%d)", soaks[k].out, deciding,
                     soaks[k].n);
    }
    assert_string_equal(str(g_doc, "overall"), "PASS"); /* the clean program */
    char stat[PATH_MAX + 32], cmd[PATH_MAX + 64];
    snprintf(stat, sizeof stat, "%s/anyprog-static", test_tmpdir());
    if (test_sh("cc -static -std=c11 -D_GNU_SOURCE -O1 -I'%s/include' -o '%s' '%s/tests/programs/anyprog.c' "
                "-pthread "
                ">/dev/null 2>&1",
                g_root, stat, g_root))
        fail_msg("a static build of tests/programs/anyprog.c: cc -static failed (libc6-dev has libc.a)");
    snprintf(cmd, sizeof cmd, "%s clean {iters}", stat);
    assert_int_equal(soak_cmd_controlled("ctl-static", cmd, "--iters 1000 --modes native"), 1);
    json_t *c = json_array_get(json_object_get(g_doc, "controls"), 0);
    if (json_is_true(json_object_get(c, "caught")) || !strstr(str(c, "why"), "nothing was planted") ||
        strcmp(str(g_doc, "overall"), "INCOMPLETE"))
        fail_msg("a static program's native control: %s; overall %s", str(c, "why"), str(g_doc, "overall"));
}

/* How many processes run `sleep SECONDS` (by their command line): none must be left. */
static int sleepers(long seconds)
{
    return test_sh("for f in /proc/[0-9]*/cmdline; do (tr '\\0' ' ' <$f) 2>/dev/null; echo; done | "
                   "grep -q '^sleep %ld $'",
                   seconds) == 0;
}

/* A program that leaves processes behind (a background job, one in a session of its own,
 * an orphan of a subshell) and one that hangs past its timeout: after the soak none is
 * still running, and the runs say what outlived the command. */
static void test_nothing_outlives_the_soak(void **state)
{
    (void)state;
    long s = 30000 + getpid() % 10000; /* a sleep of its own, told apart from others */
    char script[PATH_MAX + 16], cmd[3 * PATH_MAX];
    snprintf(script, sizeof script, "%s/bg.sh", test_tmpdir());
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\nsleep %ld &\nsetsid sleep %ld &\n( sleep %ld & )\n", s, s, s);
    fprintf(f, "if [ \"$2\" = hang ]; then exec sleep %ld; fi\nexec %s clean \"$1\"\n", s + 1, g_prog);
    fclose(f);
    snprintf(cmd, sizeof cmd, "sh %s {iters}", script);
    /* (3000 iterations: enough samples to judge on a busy machine too, ~1 s) */
    assert_int_equal(soak_cmd("bg", cmd, "--iters 3000 --modes native,lsan"), 0);
    if (sleepers(s))
        fail_msg("a process the soak's runs started is still running (sleep %ld)", s);
    const char *note = str(run_of("lsan", 3000), "note");
    if (!strstr(note, "3 processes outlived the command and were stopped: sleep"))
        fail_msg("the run does not say what outlived it: %s", note);
    snprintf(cmd, sizeof cmd, "sh %s {iters} hang", script);
    assert_int_equal(soak_cmd("hang", cmd, "--iters 400 --modes native --timeout 1"), 1);
    expect("native", 400, "TIMEOUT", "timeout", NULL);
    if (sleepers(s) || sleepers(s + 1))
        fail_msg("a run stopped at its timeout left processes running");
}

int main(int argc, char **argv)
{
    (void)argc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_leak),
        cmocka_unit_test(test_ci_annotations_and_summary), /* after test_leak: its soak */
        cmocka_unit_test(test_asan_build),
        cmocka_unit_test(test_builtin_jemalloc_names_raw_mallocs),
        cmocka_unit_test(test_reachable_growth),
        cmocka_unit_test(test_mmap_growth),
        cmocka_unit_test(test_flat_programs),
        cmocka_unit_test(test_one_time_leak),
        cmocka_unit_test(test_steps_from_output_and_marks),
        cmocka_unit_test(test_cpp_program),
        cmocka_unit_test(test_allocation_paths_name_the_program),
        cmocka_unit_test(test_slow_loop_small_growth_fails),
        cmocka_unit_test(test_two_growths_are_two_problems),
        cmocka_unit_test(test_too_short_is_not_judged),
        cmocka_unit_test(test_paced_by_the_first_run),
        cmocka_unit_test(test_own_preload_kept_and_blind_said),
        cmocka_unit_test(test_controls_catch_in_every_mode),
        cmocka_unit_test(test_nothing_outlives_the_soak),
    };
    return anyprog_main(argv[0], "anyprog", tests, sizeof tests / sizeof tests[0]);
}
