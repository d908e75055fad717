/* test_anyprog: soaking programs the project did not write (soak --cmd), end to end, on
 * tests/programs/anyprog.c (a behaviour per memory pattern) and anyprog_cpp.cpp (C++):
 * each gets its verdict, its kind and the named function in the modes that can see it;
 * step lines and step marks place the samples; a one-time leak does not fail unless
 * --strict-leaks; train_full through --cmd gets the built-in target's verdicts; bad input
 * stops before any run; bisect finds the commit that broke a program of another
 * repository; `make install` gives a flatmem that works from another folder.
 * Release variant only (built there). */
#include "soakutil.h"

#include <stdarg.h>
#include <signal.h>
#include <unistd.h>

static char g_dir[PATH_MAX]; /* build/release */
static char g_root[PATH_MAX + 8]; /* the project */
/* soak --cmd CMD with more arguments (a format), from the project's folder, into OUT;
 * its exit status, its summary in g_doc (soakutil.h). */
__attribute__((format(printf, 3, 4))) static int soak_cmd(const char *out, const char *cmd, const char *fmt,
                                                          ...)
{
    char args[1024], command[4 * PATH_MAX + 1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(command, sizeof command, "cd '%s' && '%s/soak' --cmd \"%s\"", g_root, g_dir, cmd);
    return soak_into(out, command, args);
}

static json_t *run_of(const char *mode, long iters)
{
    return summary_run(g_doc, mode, iters, NULL);
}

/* The function a run names: its tool report's first frame, or its first grown stack. */
static const char *named_function(json_t *r)
{
    static char f[200];
    const char *frame = json_string_value(
        json_array_get(json_object_get(json_array_get(json_object_get(r, "findings"), 0), "frames"), 0));
    const char *stack = str(json_array_get(json_object_get(r, "stacks"), 0), "function");
    snprintf(f, sizeof f, "%s", frame ? frame : stack);
    return f;
}

/* Run mode/iters has verdict and kind, and names function (a prefix) when given. */
static void expect(const char *mode, long iters, const char *verdict, const char *kind, const char *function)
{
    json_t *r = run_of(mode, iters);
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
static json_t *expect_problem(const char *kind, const char *function, const char *seen, int fails)
{
    json_t *d = json_object_get(g_doc, "diagnosis");
    if (json_array_size(d) != 1)
        fail_msg("diagnosis: %zu problems, expected one:\n%.2000s", json_array_size(d),
                 json_dumps(d, JSON_INDENT(1)));
    json_t *p = json_array_get(d, 0);
    if (strcmp(str(p, "kind"), kind) || (function && strncmp(str(p, "function"), function, strlen(function))))
        fail_msg("diagnosis: %s in '%s', expected %s in '%s'", str(p, "kind"), str(p, "function"), kind,
                 function);
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
static void expect_page(const char *out, const char *text)
{
    if (test_sh("'%s/tools/page-check' '%s/%s/index.html' --expect '%s' >'%s/%s.page' 2>&1", g_root,
                test_tmpdir(), out, text, test_tmpdir(), out) != 0)
        fail_msg("the page of %s fails in the browser (see %s/%s.page)", out, test_tmpdir(), out);
}

/* A whole text file (fails the test when it cannot be read); the caller frees. */
static char *read_text(const char *path)
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

static const char *prog(const char *behaviour)
{
    static char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "%s %s {iters}", g_prog, behaviour);
    return cmd;
}

static void test_leak(void **state)
{
    (void)state;
    assert_int_equal(soak_cmd("leak", prog("leak"), "--iters 300,1500"), 1);
    for (long n = 300; n <= 1500; n += 1200) {
        expect("lsan", n, "ERROR", "leak", "leak_step");
        expect("valgrind", n, "ERROR", "leak", "leak_step");
        expect("native", n, "GROWING", "reachable-growth", NULL); /* no tool there to say unreachable */
    }
    expect("jemalloc", 1500, "GROWING", "reachable-growth", "leak_step");
    /* a leak that grows with the count: bytes per iteration, not one-time */
    json_t *a = run_of("lsan", 300), *b = run_of("lsan", 1500);
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
    expect("jemalloc", 2000, "GROWING", "reachable-growth", "fault_worker_job");
    assert_non_null(
        strstr(str(json_array_get(json_object_get(run_of("jemalloc", 2000), "stacks"), 0), "where"),
               "engine/fault.c:"));
    expect_problem("reachable-growth", "fault_worker_job", "jemalloc", 1);
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
    /* One sample per 4 KiB (not the default 128 KiB): some 300 samples in the window, so
     * the estimate below is within some 10% (907..1100 in eight runs), not half or double. */
    assert_int_equal(soak_cmd("reach", prog("reach"), "--iters 300,1500 --prof-sample 12"), 1);
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
    expect("jemalloc", 1500, "GROWING", "reachable-growth", "reach_step");
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

/* train_full run as somebody's program gets the built-in target's verdicts. */
static void test_train_full_through_cmd(void **state)
{
    (void)state;
    static const char *const faults[] = {"none", "leak"};
    static const char *const modes[] = {"native", "jemalloc", "lsan"};
    for (int f = 0; f < 2; f++) {
        char cmd[PATH_MAX + 128], out[64];
        snprintf(cmd, sizeof cmd, "%s/../release%s%s/train_full --tiny {iters} --quiet", g_dir,
                 f ? "-fault-" : "", f ? faults[f] : "");
        snprintf(out, sizeof out, "cmd-%s", faults[f]);
        soak_cmd(out, cmd, "--iters 2000 --modes native,jemalloc,lsan"); /* compared at 2000 */
        json_t *via_cmd = json_incref(g_doc);
        test_sh("cd '%s' && '%s/soak' --config tiny --faults %s --iters 2000 --modes native,jemalloc,lsan "
                "--out '%s/builtin-%s' >/dev/null 2>&1",
                g_root, g_dir, faults[f], test_tmpdir(), faults[f]);
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/builtin-%s/summary.json", test_tmpdir(), faults[f]);
        json_decref(g_doc);
        g_doc = json_load_file(path, 0, NULL);
        for (int m = 0; m < 3; m++) {
            const char *builtin = str(run_of(modes[m], 2000), "verdict");
            json_t *keep = g_doc;
            g_doc = via_cmd;
            const char *cmdv = str(run_of(modes[m], 2000), "verdict");
            g_doc = keep;
            if (strcmp(builtin, cmdv))
                fail_msg("fault %s, %s: built-in %s, through --cmd %s", faults[f], modes[m], builtin, cmdv);
        }
        json_decref(via_cmd);
    }
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

/* bisect, on a program of another repository: the commit that made it leak. */
static void test_bisect_a_program_of_another_repository(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    const char *git = "git -c user.email=t@example.invalid -c user.name=t";
    assert_int_equal(
        test_sh(
            "mkdir -p '%s/other' && cd '%s/other' && git init -q -b main && cp '%s/tests/programs/anyprog.c' "
            "prog.c && printf 'prog: prog.c\\n\\tcc -O1 -g -I%s/include -o prog prog.c\\n' > Makefile && "
            "printf '#!/bin/sh\\nexec ./prog clean \"$1\"\\n' > run.sh && chmod +x run.sh && "
            "git add -A && %s commit -qm base && echo 1 >> notes && git add -A && %s commit -qm harmless && "
            "sed -i 's/exec .\\/prog clean/exec .\\/prog leak/' run.sh && %s commit -qam 'make it leak' && "
            "git rev-parse HEAD > ../bad && echo 2 >> notes && git add -A && %s commit -qm harmless2",
            t, t, g_root, g_root, git, git, git, git),
        0);
    int rc = test_sh(
        "cd '%s/other' && '%s/harness/bisect' $(git rev-list --max-parents=0 HEAD) HEAD --build make "
        "--cmd './run.sh {iters}' --iters 2000 --soak '%s/soak' --out '%s/bisect-out' > '%s/bisect.log' 2>&1",
        t, g_root, g_dir, t, t);
    if (rc != 0 || test_sh("grep -q \"first bad commit: $(cat '%s/bad')\" '%s/bisect.log'", t, t) != 0)
        fail_msg("bisect (exit %d) did not name the commit (see %s/bisect.log)", rc, t);
}

/* make install into a prefix, then soak a program from another folder with it. */
/* build/release/generate: a fixed seed repeats, the interactive loop answers each line, bad
 * input is refused with the reason; and generation soaked as any program is FLAT. */
static void test_generate_program(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    assert_int_equal(test_sh("'%s/train_full' --tiny 150 --quiet --save '%s/gen.ckpt' >/dev/null", g_dir, t),
                     0);
    assert_int_equal(
        test_sh(
            "cd '%s' && G='%s/generate --checkpoint gen.ckpt --quiet --tokens 80 --seed 5' && $G >a.txt && "
            "$G >b.txt && cmp -s a.txt b.txt && test $(wc -c <a.txt) -ge 40",
            t, g_dir),
        0);
    assert_int_equal(
        test_sh("cd '%s' && printf 'HERO:\\nCLAUDIO:\\n' | '%s/generate' --checkpoint gen.ckpt --quiet "
                "--tokens 30 --interactive >i.txt && test $(wc -l <i.txt) -ge 2",
                t, g_dir),
        0);
    static const char *const bad[][2] = {
        {"", "--checkpoint"}, /* required */
        {"--checkpoint nosuch.ckpt", "nosuch.ckpt"},
        {"--checkpoint a.txt", "not a checkpoint"},
        {"--checkpoint gen.ckpt --prompt '~~'", "never saw"}, /* not in the built-in corpus */
        {"--checkpoint gen.ckpt --tokens 0", "--tokens"},
        {"--checkpoint gen.ckpt --tokens 1.5", "whole number"},
        {"--checkpoint gen.ckpt --tokenizer-file a.txt", "trained on characters"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        if (test_sh(
                "cd '%s' && '%s/generate' %s >/dev/null 2>err.txt; test $? -eq 2 && grep -q -- '%s' err.txt",
                t, g_dir, bad[k][0], bad[k][1]) != 0)
            fail_msg("generate %s: not refused with '%s'", bad[k][0], bad[k][1]);
    char cmd[PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "%s/generate --checkpoint %s/gen.ckpt --tokens {iters} --quiet", g_dir, t);
    /* a token takes some 10 us: 3000 tokens end within the soak's first few samples */
    int rc = soak_cmd("gen", cmd, "--iters 3000,30000 --modes native,jemalloc,lsan");
    if (rc != 0)
        fail_msg("generation soak: exit %d (see %s/gen.log)", rc, t);
    assert_int_equal(json_array_size(json_object_get(g_doc, "diagnosis")), 0);
    assert_int_equal(json_integer_value(json_object_get(run_of("native", 30000), "iterations_reached")),
                     30000);
    /* tokenizer training, a step per merge, on 360 KB of made-up words: long enough a run
     * to be sampled (the built-in corpus trains in milliseconds), and text whose pairs keep
     * multiplying with the merges (the pair table that doubled as they appeared grew 7 KB
     * a merge here: GROWING, caught by this soak) */
    assert_int_equal(test_sh("awk 'BEGIN { srand(1); for (i = 0; i < 60000; i++) { n = 2 + int(rand() * 7); "
                             "for (j = 0; j < n; j++) printf \"%%c\", 97 + int(rand() * 26); "
                             "printf (i %% 12 == 11 ? \"\\n\" : \" \") } }' >'%s/words.txt'",
                             t),
                     0);
    snprintf(cmd, sizeof cmd, "%s/tokenize --data %s/words.txt --merges {iters} --quiet", g_dir, t);
    rc = soak_cmd("tok", cmd, "--iters 100,800 --modes native,jemalloc,lsan");
    if (rc != 0)
        fail_msg("tokenizer soak: exit %d (see %s/tok.log)", rc, t);
    assert_int_equal(json_integer_value(json_object_get(run_of("jemalloc", 800), "iterations_reached")), 800);
}

/* ---- issue 19: a verdict users can trust ------------------------------------------------- */

/* The problem of the summary's diagnosis named function (a prefix), or fails. */
static json_t *problem_in(const char *function)
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
static void expect_rate(json_t *p, double truth)
{
    double rate = json_number_value(json_object_get(json_object_get(p, "bytes_per_iter"), "median"));
    if (rate < truth * 0.75 || rate > truth * 1.25)
        fail_msg("%s: the rate is not within 25%% of %.0f B/iteration", str(p, "summary"), truth);
    assert_true(str(p, "rate_from")[0] != 0); /* it says which series it came from */
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
        assert_string_equal(str(p, "kind"), "reachable-growth");
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
    expect("native", 200, "GROWING", "reachable-growth", NULL);
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

/* A Python loop whose cache is bounded (64 entries, replaced) is flat, whatever its
 * interpreter does at start-up. */
static void test_bounded_python_cache_passes(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "python3 %s/tests/programs/bounded_cache.py {iters}", g_root);
    int rc = soak_cmd("pycache", cmd, "--iters 200,2000 --modes native,jemalloc");
    if (rc != 0)
        fail_msg("bounded cache: soak exited %d (see %s/pycache.log)", rc, test_tmpdir());
    assert_int_equal(json_array_size(json_object_get(g_doc, "diagnosis")), 0);
}

/* BPE training that leaks 32 bytes a merge fails at 100 and 1000 merges: LeakSanitizer's
 * reports grow with the count (99 objects, then 999), a per-iteration leak of 32 B. */
static void test_bpe_leak_per_merge_fails(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    assert_int_equal(test_sh("awk 'BEGIN { srand(2); for (i = 0; i < 20000; i++) { n = 2 + int(rand() * 7); "
                             "for (j = 0; j < n; j++) printf \"%%c\", 97 + int(rand() * 26); "
                             "printf (i %% 12 == 11 ? \"\\n\" : \" \") } }' >'%s/words2.txt'",
                             t),
                     0);
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd,
             "%s/../release-fault-bpe_leak/tokenize --data %s/words2.txt --merges {iters} --quiet", g_dir, t);
    assert_int_equal(soak_cmd("bpeleak", cmd, "--iters 100,1000 --modes native,lsan"), 1);
    json_t *p = problem_in("fault_bpe_merge");
    assert_string_equal(str(p, "kind"), "leak");
    expect_rate(p, 32);
    assert_true(json_is_true(json_object_get(p, "fails")));
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
}

static void test_install(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    assert_int_equal(
        test_sh("cd '%s' && make -s --no-print-directory install PREFIX='%s/prefix' >'%s/install.log' 2>&1",
                g_root, t, t),
        0);
    assert_int_equal(
        test_sh("cd '%s/prefix' && test -x bin/flatmem && test -f lib/flatmem/libflatmem-probe.so && "
                "test -f include/flatmem.h && test -f share/flatmem/reports/common.gp && "
                "test -f share/man/man1/flatmem.1",
                t),
        0);
    assert_int_equal(
        test_sh(
            "mkdir -p '%s/elsewhere' && cd '%s/elsewhere' && cp '%s' ./myprog && "
            "'%s/prefix/bin/flatmem' --cmd './myprog header {iters}' --iters 1500 --modes native,jemalloc "
            "--out out >log 2>&1; test $? -eq 1 && test -s out/charts/peak.png && "
            "grep -q reach_step out/summary.json && test -s out/runs/native-1500/steps.csv",
            t, t, g_prog, t),
        0);
    /* the installed tool reads as a tool for your program: its help leads with --cmd and the
     * modes with what each needs, our own workload's options after them; --version */
    assert_int_equal(
        test_sh("cd '%s/prefix' && bin/flatmem --help >help.txt && head -1 help.txt | grep -q '^usage: "
                "flatmem --cmd' && "
                "test $(grep -n '^  --cmd ' help.txt | cut -d: -f1) -lt $(grep -n '^  --faults ' help.txt | "
                "cut -d: -f1) && "
                "grep -q '^  jemalloc .*libjemalloc2' help.txt && ! grep -q 'usage: soak' help.txt && "
                "bin/flatmem --version | grep -qx 'flatmem [0-9][0-9.]*'",
                t),
        0);
}

/* Resources beyond bytes: a log opened every 50 iterations and never closed is a
 * descriptor leak in every mode, open on what it opened, named where it was opened by
 * memcheck (--track-fds); a thread started every 50 iterations and never ended is a
 * thread leak. Their rates are counted, not bytes. */
static void test_descriptors_and_threads(void **state)
{
    (void)state;
    assert_int_equal(soak_cmd("fds", prog("fds"), "--iters 2000 --modes native,valgrind,lsan"), 1);
    expect("native", 2000, "GROWING", "descriptor-leak", NULL);
    expect("lsan", 2000, "GROWING", "descriptor-leak", NULL);
    expect("valgrind", 2000, "GROWING", "descriptor-leak", NULL);
    json_t *p = expect_problem("descriptor-leak", "open_log_step", "native,valgrind,lsan", 1);
    double rate = json_number_value(json_object_get(json_object_get(p, "per_iter"), "median"));
    if (rate < 0.02 * 0.75 || rate > 0.02 * 1.25)
        fail_msg("fds: %s; expected one descriptor every 50 iterations within 25%%", str(p, "summary"));
    json_t *grown = json_object_get(run_of("native", 2000), "descriptors_grown");
    assert_string_equal(str(grown, "target"), "/dev/null");
    assert_true(json_integer_value(json_object_get(grown, "count")) >= 30);
    assert_int_equal(soak_cmd("threads", prog("threads"), "--iters 2000 --modes native,lsan"), 1);
    expect("native", 2000, "GROWING", "thread-leak", NULL);
    expect("lsan", 2000, "GROWING", "thread-leak", NULL);
    expect_problem("thread-leak", NULL, "native,lsan", 1);
}

/* Process trees: the work done in a forked child that keeps 1 KiB an iteration is measured
 * (the tree's private memory) and the child is named as the process that grows; a child's
 * leak reports are read; children started and never ended are a process leak; none is
 * left running after the soak. */
static void test_process_trees(void **state)
{
    (void)state;
    assert_int_equal(soak_cmd("worker", prog("worker"), "--iters 2000 --modes native,jemalloc"), 1);
    expect("native", 2000, "GROWING", "unexplained-growth", NULL);
    /* (jemalloc's runs see the child's pages in its extents' steps: not always steadily) */
    json_t *p = expect_problem("unexplained-growth", NULL, "native", 1);
    if (strncmp(str(p, "process"), "anyprog (pid ", 13))
        fail_msg("the growing child is not named: %s", str(p, "summary"));
    json_t *grower = json_object_get(run_of("native", 2000), "process_growing");
    assert_true(json_is_true(json_object_get(grower, "child")));
    double rate = json_number_value(json_object_get(json_object_get(p, "bytes_per_iter"), "median"));
    if (rate < 1024 * 0.75 || rate > 1024 * 1.35) /* pages of private memory: a little above */
        fail_msg("worker: %s; expected about 1 KiB per iteration", str(p, "summary"));
    /* a forked child's leak reports at its exit are read: LeakSanitizer's (inherited
     * preload), memcheck's (it follows the fork) */
    assert_int_equal(soak_cmd("workerleak", prog("workerleak"), "--iters 1000,3000 --modes lsan,valgrind"),
                     1);
    expect("lsan", 3000, "ERROR", "leak", "leak_step");
    expect("valgrind", 3000, "ERROR", "leak", "leak_step");
    assert_int_equal(soak_cmd("procs", prog("procs"), "--iters 2000 --modes native"), 1);
    expect("native", 2000, "GROWING", "process-leak", NULL);
    if (test_sh("pgrep -f 'anyprog (worker|procs)' >/dev/null") == 0)
        fail_msg("a process of the soaks is still running");
}

/* netprog (tests/programs/netprog.c) as a service under its own load: "--cmd 'NETPROG serve
 * {port} BEHAVIOUR' --load 'NETPROG load {port} {iters}' ARGS" into OUT. */
static int soak_service(const char *out, const char *behaviour, const char *args)
{
    char server[PATH_MAX + 64], more[PATH_MAX + 512];
    snprintf(server, sizeof server, "%s/tests/netprog serve {port} %s", g_dir, behaviour);
    snprintf(more, sizeof more,
             "--load '%s/tests/netprog load {port} {iters}' --step-regex 'done ([0-9]+)' %s", g_dir, args);
    return soak_cmd(out, server, "%s", more);
}

/* Services: a server that loses 1 KiB a request is named, at its rate per request, by the
 * leak checker at its exit (SIGTERM after the load) and grows in native mode; one that
 * keeps a descriptor per connection is a descriptor leak on sockets; a clean one passes in
 * every mode; one that dies under its load is CRASHED with the signal; a load that fails
 * is the load's failure; a server that never says it is ready is stopped and says so. No
 * server is left running. */
static void test_services(void **state)
{
    (void)state;
    assert_int_equal(soak_service("svc-leak", "leak", "--iters 3000,10000 --modes native,lsan"), 1);
    expect("native", 10000, "GROWING", "reachable-growth", NULL);
    expect("lsan", 10000, "ERROR", "leak", "leak_request");
    json_t *p = expect_problem("leak", "leak_request", "native,lsan", 1);
    double rate = json_number_value(json_object_get(json_object_get(p, "bytes_per_iter"), "median"));
    if (rate < 1024 * 0.75 || rate > 1024 * 1.25)
        fail_msg("netprog leak: %s; expected 1 KiB per request within 25%%", str(p, "summary"));
    assert_int_equal(soak_service("svc-fd", "fdleak", "--iters 10000 --modes native"), 1);
    expect("native", 10000, "GROWING", "descriptor-leak", NULL);
    assert_string_equal(str(json_object_get(run_of("native", 10000), "descriptors_grown"), "target"),
                        "socket");
    assert_int_equal(soak_service("svc-clean", "clean", "--iters 3000,10000 --modes native,lsan,valgrind"),
                     0);
    assert_string_equal(str(g_doc, "overall"), "PASS");
    assert_int_equal(soak_service("svc-crash", "crash", "--iters 1000 --modes native"), 1);
    expect("native", 1000, "CRASHED", "crash", NULL);
    assert_non_null(strstr(str(run_of("native", 1000), "detail"), "killed by SIGSEGV (11) under its load"));
    char server[PATH_MAX + 64];
    snprintf(server, sizeof server, "%s/tests/netprog serve {port} clean", g_dir);
    assert_int_equal(soak_cmd("svc-loadfail", server,
                              "--load '%s/tests/netprog load 1 {iters}' --iters 1000 "
                              "--modes native",
                              g_dir),
                     1);
    expect("native", 1000, "LOAD_FAILED", "load-failed", NULL);
    assert_non_null(strstr(str(run_of("native", 1000), "detail"), "no answer from 127.0.0.1:1"));
    assert_int_equal(soak_service("svc-notready", "clean",
                                  "--ready-regex 'never says this' --ready-timeout 1 "
                                  "--iters 1000 --modes native"),
                     1);
    expect("native", 1000, "CRASHED", "crash", NULL);
    assert_non_null(strstr(str(run_of("native", 1000), "detail"), "never became ready"));
    /* the work done in a worker child the server forked: named by its process */
    assert_int_equal(soak_service("svc-prefork", "prefork", "--iters 3000,10000 --modes native"), 1);
    expect("native", 10000, "GROWING", "unexplained-growth", NULL);
    json_t *grower = json_object_get(run_of("native", 10000), "process_growing");
    if (strncmp(str(grower, "process"), "netprog (pid ", 13) ||
        !json_is_true(json_object_get(grower, "child")))
        fail_msg("prefork: the worker child is not named: %s", str(run_of("native", 10000), "detail"));
    if (test_sh("pgrep -f 'netprog (serve|load)' >/dev/null") == 0)
        fail_msg("a server or a load of the soaks is still running");
}

/* --attach: a process started by someone else is watched for a while, its growth judged
 * per second; a clean one passes; neither is stopped or signalled by the soak. */
static void test_attach(void **state)
{
    (void)state;
    static const char *const behaviour[] = {"reach", "clean"};
    long pid[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        char cmd[2 * PATH_MAX];
        snprintf(cmd, sizeof cmd, "%s %s 1000000 >/dev/null 2>&1 & echo $!", g_prog, behaviour[k]);
        FILE *p = popen(cmd, "r");
        assert_true(p && fscanf(p, "%ld", &pid[k]) == 1);
        pclose(p);
    }
    const char *t = test_tmpdir();
    test_sh("cd '%s' && for p in '0 %ld' '1 %ld'; do set -- $p; build/release/soak --attach $2 --duration 10 "
            "--out '%s/attach-'$1 >'%s/attach-'$1.log 2>&1 & done; wait",
            g_root, pid[0], pid[1], t, t);
    int alive[2] = {kill((pid_t)pid[0], 0) == 0, kill((pid_t)pid[1], 0) == 0};
    kill((pid_t)pid[0], SIGKILL);
    kill((pid_t)pid[1], SIGKILL);
    static const char *const want[][2] = {{"FAIL", "GROWING"}, {"PASS", "FLAT"}};
    for (int k = 0; k < 2; k++) {
        char out[32];
        snprintf(out, sizeof out, "attach-%d", k);
        json_decref(g_doc);
        g_doc = summary_of(out);
        json_t *r = run_of("native", 10);
        if (strcmp(str(g_doc, "overall"), want[k][0]) || strcmp(str(r, "verdict"), want[k][1]))
            fail_msg("attach to anyprog %s: %s, %s (%s); expected %s, %s", behaviour[k],
                     str(g_doc, "overall"), str(r, "verdict"), str(r, "detail"), want[k][0], want[k][1]);
        assert_non_null(strstr(str(r, "note"), "attached to a running process"));
        if (!alive[k])
            fail_msg("attach to anyprog %s: the process was not left running", behaviour[k]);
    }
}

/* A clean server of Debian's under its own benchmark: redis-server under redis-benchmark
 * (SET and GET of 1000 random keys, 4 clients: a keyspace that fills within the warm-up)
 * passes. */
static void test_redis_passes(void **state)
{
    (void)state;
    if (test_sh("command -v redis-server >/dev/null && command -v redis-benchmark >/dev/null") != 0)
        fail_msg("redis-server is not installed (tools/ensure-deps test installs it: apt-get install "
                 "redis-server)");
    int rc = soak_cmd("redis", "redis-server --port {port} --save '' --appendonly no",
                      "--load 'redis-benchmark -p {port} -n {iters} -c 4 -t set,get -r 1000 -q' "
                      "--iters 20000,60000 --modes native,jemalloc,lsan");
    if (rc != 0)
        fail_msg("redis: soak exited %d (see %s/redis.log)", rc, test_tmpdir());
    assert_string_equal(str(g_doc, "overall"), "PASS");
}

/* Steps from Python: `import flatmem; flatmem.step(i)` in a script the soak runs marks its
 * steps (the soak puts python/flatmem.py on its PYTHONPATH; the probe records the marks);
 * outside the soak the module imports and does nothing. */
static void test_python_step_marks(void **state)
{
    (void)state;
    char script[PATH_MAX + 16], cmd[PATH_MAX + 64];
    snprintf(script, sizeof script, "%s/marks.py", test_tmpdir());
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fprintf(f, "import sys, flatmem\nfor i in range(1, int(sys.argv[1]) + 1):\n"
               "    s = sum(range(3000))\n    flatmem.step(i)\n"
               "print('marks', 'recorded' if flatmem.active() else 'not recorded')\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "python3 %s {iters}", script);
    assert_int_equal(soak_cmd("pymarks", cmd, "--iters 3000 --modes native"), 0);
    json_t *r = run_of("native", 3000);
    assert_null(strstr(str(r, "note"), "placed by time"));
    assert_int_equal(json_integer_value(json_object_get(r, "iterations_reached")), 3000);
    assert_int_equal(test_sh("grep -q 'marks recorded' '%s/pymarks/runs/native-3000/stdout.txt' && "
                             "test $(wc -l <'%s/pymarks/runs/native-3000/steps.csv') -eq 3000",
                             test_tmpdir(), test_tmpdir()),
                     0);
    assert_int_equal(test_sh("cd '%s' && PYTHONPATH='%s/python' python3 %s 5 | grep -q 'marks not recorded'",
                             test_tmpdir(), g_root, script),
                     0);
}

/* A Python program whose loop keeps something each step: the soak names the line of the
 * program that keeps it (its file, line and source, from tracemalloc in the jemalloc runs),
 * with the bytes of the objects it keeps a step within 25%; memory a C extension takes
 * from malloc itself (ctypes here) is named by its native stack and said to be outside
 * Python's allocators; a clean loop, a bounded cache and a warm-up pass.
 * (tests/programs/pyprog.py on Debian's interpreter, which python3-numpy serves; the truths
 * are sys.getsizeof of what a step keeps.) */
static void test_python_lines_named(void **state)
{
    (void)state;
    static const struct {
        const char *behaviour, *function, *code;
        double truth; /* bytes a step, of the line named */
    } grows[] = {
        {"list", "main", "keep.append(bytearray(2048))", 2105 + 8},
        {"dict", "main", "cache[i] = ", 1055 + 8},
        {"classattr", "main", "Registry.items.append(bytes(1500))", 1533 + 8},
        {"closure", "make_handler", "buf = bytearray(size)", 1081},
        {"numpy", "main", "keep.append(np.ones(512))", 4096 + 112},
    };
    char cmd[PATH_MAX + 64];
    for (size_t i = 0; i < sizeof grows / sizeof grows[0]; i++) {
        /* (the class attribute's as a script run by its "#!" line: the soak sees Python there too) */
        snprintf(cmd, sizeof cmd, "%stests/programs/pyprog.py %s {iters}",
                 strcmp(grows[i].behaviour, "classattr") ? "/usr/bin/python3 " : "", grows[i].behaviour);
        /* (the list's soak with LeakSanitizer too, at two counts: the interpreter's own leak at
         * exit is a one-time leak of its own, said to be the interpreter's, and does not fail) */
        assert_int_equal(soak_cmd(grows[i].behaviour, cmd, "--iters %s --modes native,jemalloc%s",
                                  i ? "20000" : "5000,20000", i ? "" : ",lsan"),
                         1);
        json_t *p = NULL, *q;
        size_t k;
        json_array_foreach(json_object_get(g_doc, "diagnosis"), k, q)
        {
            if (json_object_get(q, "python_line")) /* the closure: its function objects, a line too */
                p = p ? p : q;
            else if (strcmp(str(q, "kind"), "one-time-leak") || json_is_true(json_object_get(q, "fails")) ||
                     !strstr(str(q, "detail"), "interpreter's own"))
                fail_msg("%s: a problem besides the line: %s (%s)", grows[i].behaviour, str(q, "summary"),
                         str(q, "detail"));
        }
        const char *loc = str(p, "location"), *colon = strrchr(loc, ':');
        if (strcmp(str(p, "function"), grows[i].function) || !colon || colon - loc < 9 ||
            strncmp(colon - 9, "pyprog.py", 9) ||
            strncmp(str(p, "python_line"), grows[i].code, strlen(grows[i].code)))
            fail_msg("%s: the first problem names %s (%s) '%s', expected %s in pyprog.py: '%s'",
                     grows[i].behaviour, str(p, "function"), loc, str(p, "python_line"), grows[i].function,
                     grows[i].code);
        expect_rate(p, grows[i].truth);
        assert_true(json_is_true(json_object_get(p, "fails")));
        /* the native run sees it too (the interpreter's teardown after the last step is not
         * read as the last step's memory), and the lines come from the snapshots at the step
         * marks 2500 and 20000 (FLATMEM_ITERS), not from ones placed by the clock */
        size_t k2;
        json_t *m;
        int native = 0;
        json_array_foreach(json_object_get(p, "seen_by"), k2, m) native |=
            !strcmp(json_string_value(m), "native");
        if (!native)
            fail_msg("%s: not seen by the native run: %s", grows[i].behaviour, str(p, "summary"));
        if (test_sh("grep -q '^# .* span=17500$' '%s/%s/runs/jemalloc-20000/pygrowth.tsv'", test_tmpdir(),
                    grows[i].behaviour))
            fail_msg("%s: the snapshots compared are not those of steps 2500 and 20000", grows[i].behaviour);
        /* and for pprof: its top line of Python (docs/reports.md) */
        if (i == 0 && test_sh("go tool pprof -top -lines '%s/list/runs/jemalloc-20000/pygrowth.pb.gz' 2>&1 | "
                              "grep -A1 'flat%%' | tail -1 | grep -q ' main pyprog.py:[0-9]*$'",
                              test_tmpdir()))
            fail_msg("list: go tool pprof does not name main pyprog.py:LINE in pygrowth.pb.gz");
    }
    assert_int_equal(soak_cmd("pynative", "/usr/bin/python3 tests/programs/pyprog.py native {iters}",
                              "--iters 20000 --modes native,jemalloc"),
                     1);
    json_t *p = json_array_get(json_object_get(g_doc, "diagnosis"), 0);
    if (!json_is_true(json_object_get(p, "outside_python")) || json_object_get(p, "python_line"))
        fail_msg("ctypes' malloc: %s is not named as memory outside Python's allocators", str(p, "summary"));
    expect_rate(p, 4096);
    static const char *const clean[] = {"clean", "bounded", "warmup"};
    for (size_t i = 0; i < sizeof clean / sizeof clean[0]; i++) {
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/programs/pyprog.py %s {iters}", clean[i]);
        if (soak_cmd(clean[i], cmd, "--iters 5000,20000 --modes native,jemalloc") != 0)
            fail_msg("%s: a Python loop that keeps nothing more does not pass:\n%.2000s", clean[i],
                     json_dumps(json_object_get(g_doc, "diagnosis"), JSON_INDENT(1)));
    }
}

/* The soak's start-up hook shadows the program's own sitecustomize (a virtualenv's,
 * Debian's): it must run all the same, in a traced run too; and a PYTHONPATH the command
 * sets itself (`env PYTHONPATH=DIR python3 ...`) keeps the soak's folders in front. */
static void test_python_hook_keeps_sitecustomize(void **state)
{
    (void)state;
    char site[PATH_MAX + 16], path[PATH_MAX + 64];
    snprintf(site, sizeof site, "%s/site", test_tmpdir());
    assert_int_equal(test_sh("mkdir -p '%s'", site), 0);
    snprintf(path, sizeof path, "%s/sitecustomize.py", site);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "open('%s/ran', 'w').close()\n", site);
    fclose(f);
    /* (its folder given as `env PYTHONPATH=...` in the command: the soak puts its own first) */
    char cmd[2 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "env PYTHONPATH=%s /usr/bin/python3 tests/programs/pyprog.py clean {iters}",
             site);
    assert_int_equal(soak_cmd("pysite", cmd, "--iters 2000 --modes jemalloc"), 0);
    if (test_sh("test -f '%s/ran' && test -s '%s/pysite/runs/jemalloc-2000/pydumps.csv'", site,
                test_tmpdir()))
        fail_msg("the program's own sitecustomize did not run, or the run was not traced");
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
    assert_int_equal(soak_cmd("bg", cmd, "--iters 400 --modes native,lsan"), 0);
    if (sleepers(s))
        fail_msg("a process the soak's runs started is still running (sleep %ld)", s);
    if (!strstr(str(run_of("lsan", 400), "note"), "3 processes outlived the command and were stopped: sleep"))
        fail_msg("the run does not say what outlived it: %s", str(run_of("lsan", 400), "note"));
    snprintf(cmd, sizeof cmd, "sh %s {iters} hang", script);
    assert_int_equal(soak_cmd("hang", cmd, "--iters 400 --modes native --timeout 1"), 1);
    expect("native", 400, "TIMEOUT", "timeout", NULL);
    if (sleepers(s) || sleepers(s + 1))
        fail_msg("a run stopped at its timeout left processes running");
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    snprintf(g_root, sizeof g_root, "%s/../..", g_dir);
    char real[PATH_MAX];
    if (realpath(g_root, real))
        snprintf(g_root, sizeof g_root, "%s", real);
    snprintf(g_prog, sizeof g_prog, "%s/tests/anyprog", g_dir);
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
        cmocka_unit_test(test_train_full_through_cmd),
        cmocka_unit_test(test_bisect_a_program_of_another_repository),
        cmocka_unit_test(test_generate_program),
        cmocka_unit_test(test_install),
        cmocka_unit_test(test_allocation_paths_name_the_program),
        cmocka_unit_test(test_slow_loop_small_growth_fails),
        cmocka_unit_test(test_two_growths_are_two_problems),
        cmocka_unit_test(test_bounded_python_cache_passes),
        cmocka_unit_test(test_bpe_leak_per_merge_fails),
        cmocka_unit_test(test_too_short_is_not_judged),
        cmocka_unit_test(test_nothing_outlives_the_soak),
        cmocka_unit_test(test_descriptors_and_threads),
        cmocka_unit_test(test_process_trees),
        cmocka_unit_test(test_services),
        cmocka_unit_test(test_redis_passes),
        cmocka_unit_test(test_attach),
        cmocka_unit_test(test_python_step_marks),
        cmocka_unit_test(test_python_lines_named),
        cmocka_unit_test(test_python_hook_keeps_sitecustomize),
    };
    test_filter_from_env();
    int rc = cmocka_run_group_tests_name("anyprog", tests, tmpdir_setup, tmpdir_teardown);
    json_decref(g_doc);
    return rc;
}
