/* test_anyprog_python: soaking Python programs, end to end (tests/programs/pyprog.py and
 * bounded_cache.py on Debian's interpreter): a bounded cache passes, step marks place the
 * samples, a growing line is named with its rate, the program's own sitecustomize still
 * runs under the soak's start-up hook. Release variant only. */
#include "anyprog.h"

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
}

/* Memory a C extension takes from malloc itself (ctypes) is named by its native stack and
 * said to be outside Python's allocators; a clean loop, a bounded cache and a warm-up pass. */
static void test_python_native_and_clean(void **state)
{
    (void)state;
    char cmd[PATH_MAX + 64];
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
        if (soak_cmd(clean[i], cmd, "--iters 4000,16000 --modes native,jemalloc") != 0)
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
    /* a clean loop: never FAIL (PASS, or INCONCLUSIVE when a step and a creep within its noise
     * stay undecided at 8000 too: test_anyprog_python's own runs of it decide at 5000 and 20000) */
    if (soak_cmd("pysite", cmd, "--iters 2000 --modes jemalloc") == 1)
        fail_msg("a clean Python loop failed:\n%.2000s",
                 json_dumps(json_object_get(g_doc, "runs"), JSON_INDENT(1)));
    if (test_sh("test -f '%s/ran' && test -s '%s/pysite/runs/jemalloc-2000/pydumps.csv'", site,
                test_tmpdir()))
        fail_msg("the program's own sitecustomize did not run, or the run was not traced");
}

int main(int argc, char **argv)
{
    (void)argc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounded_python_cache_passes),
        cmocka_unit_test(test_python_step_marks),
        cmocka_unit_test(test_python_lines_named),
        cmocka_unit_test(test_python_native_and_clean),
        cmocka_unit_test(test_python_hook_keeps_sitecustomize),
    };
    return anyprog_main(argv[0], "anyprog_python", tests, sizeof tests / sizeof tests[0]);
}
