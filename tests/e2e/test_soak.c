/* test_soak: the harness end to end (release variant only: it drives the other variants'
 * builds). The watchdog stops runaway, hung and crashing children; a clean soak passes in
 * every mode; every fault build is caught by the modes that should catch it (the
 * detection matrix, walked from the harness's own table and checked against
 * docs/faults.md); junit.xml agrees with the overall verdict both ways; soaks of other
 * workloads are not merged (shards: test_shards.c); baselines are taken only from complete
 * soaks and must share runs. */
#include "soakutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "faults.h"
#include "runs.h"
#include "verdict.h"

static char g_dir[PATH_MAX]; /* build/release */
static char g_root[PATH_MAX + 8]; /* build */
/* Runs the soak on the built-in program with the arguments (a format) into OUT (a folder
 * of the scratch folder); its exit status, its summary in g_doc (soakutil.h). */
__attribute__((format(printf, 2, 3))) static int soak(const char *out, const char *fmt, ...)
{
    char args[2048], command[2 * PATH_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    /* no controls (the clean soak's test checks them): the time of make test */
    snprintf(command, sizeof command, "'%s/soak' --no-control --build '%s'", g_dir, g_root);
    return soak_into(out, command, args);
}

/* The run has verdict, and `also` (if given) appears in its one-line JSON. */
static void expect(json_t *doc, const char *mode, long iters, const char *fault, const char *verdict,
                   const char *also)
{
    json_t *r = summary_run(doc, mode, iters, fault);
    char *text = json_dumps(r, 0);
    if (strcmp(str(r, "verdict"), verdict))
        fail_msg("%s/%ld/%s: expected %s:\n%.1500s", mode, iters, fault, verdict, text);
    if (also && !strstr(text, also))
        fail_msg("%s/%ld/%s: expected '%s' in:\n%.1500s", mode, iters, fault, also, text);
    free(text);
}

static void test_watchdog(void **state)
{
    (void)state;
    char victim[PATH_MAX + 16];
    snprintf(victim, sizeof victim, "%s/tests/victim", g_dir);
    time_t t0 = time(NULL);
    setenv("VICTIM", "alloc", 1);
    assert_int_equal(
        soak("wd-alloc", "--program '%s' --modes native --iters 100 --budget-mb 64 --timeout 60", victim), 1);
    expect(g_doc, "native", 100, "none", "OVER_BUDGET", "budget 64 MiB");
    setenv("VICTIM", "sleep", 1);
    assert_int_equal(soak("wd-sleep", "--program '%s' --modes native --iters 100 --timeout 1", victim), 1);
    expect(g_doc, "native", 100, "none", "TIMEOUT", NULL);
    setenv("VICTIM", "segv", 1);
    assert_int_equal(soak("wd-segv", "--program '%s' --modes native --iters 100", victim), 1);
    expect(g_doc, "native", 100, "none", "CRASHED", "SIGSEGV");
    unsetenv("VICTIM");
    if (time(NULL) - t0 > 30)
        fail_msg("the watchdog took %ld s to stop three children", (long)(time(NULL) - t0));
}

static void test_bad_usage(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "--modes bogus", "--iters 0",    "--shard 3/2",     "--faults nosuchfault", "--data /nonexistent",
        "--jobs 0",      "--timeout -1", "--config nosuch", "--resume-iters 5",     "stray"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (soak("bad", "%s", bad[i]) != 2)
            fail_msg("soak %s: expected exit 2", bad[i]);
    /* an unknown fault is refused before anything runs, naming the valid ones */
    assert_int_equal(test_sh("'%s/soak' check --faults leek 2>'%s/check.log'", g_dir, test_tmpdir()), 2);
    assert_int_equal(test_sh("grep -q 'valid: none early_reset' '%s/check.log'", test_tmpdir()), 0);
    /* an output folder that cannot be written */
    assert_int_equal(
        test_sh("'%s/soak' --out /proc/flatmem-cannot-write --modes native --iters 100 >/dev/null 2>&1",
                g_dir),
        2);
}

static void test_clean_soak_passes_in_every_mode(void **state)
{
    (void)state;
    /* two counts and a resumed run in every mode: the harness's clean path end to end (make
     * soak, the main job, sweeps 100 to 10000 and resumes at 1000: ~300 s, most of it
     * valgrind's) */
    char command[2 * PATH_MAX + 32];
    snprintf(command, sizeof command, "'%s/soak' --build '%s'", g_dir, g_root);
    int rc = soak_into("clean", command, "--iters 100,300 --resume-iters 100");
    if (rc != 0)
        fail_msg("soak exited %d (see %s/clean.log)", rc, test_tmpdir());
    assert_string_equal(str(g_doc, "overall"), "PASS");
    /* the built-in program marks its steps: each mode with the probe catches the growth it
     * plants there, at its rate (a missed one would make the soak INCOMPLETE) */
    json_t *controls = json_object_get(g_doc, "controls");
    static const char *const probed[] = {"native", "valgrind", "jemalloc"};
    for (size_t k = 0; k < sizeof probed / sizeof probed[0]; k++) {
        json_t *c = NULL, *v;
        size_t i;
        json_array_foreach(controls, i, v) if (!strcmp(str(v, "mode"), probed[k]) &&
                                               json_is_true(json_object_get(v, "caught"))) c = v;
        if (!c)
            fail_msg("no caught control in %s: %s", probed[k], json_dumps(controls, 0));
        assert_string_equal(str(c, "planted_by"), "step marks");
    }
    for (int m = 0; m < MODE_COUNT; m++) { /* the default modes: all but lsan */
        if ((Mode)m == MODE_LSAN)
            continue;
        expect(g_doc, mode_name((Mode)m), 100, "none", "FLAT", NULL);
        expect(g_doc, mode_name((Mode)m), 300, "none", "FLAT", NULL);
    }
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/clean/junit.xml", test_tmpdir());
    assert_int_equal(access(path, R_OK), 0);
    /* a clean soak: an empty diagnosis, one line on the console, the page and summary.md */
    assert_int_equal(json_array_size(json_object_get(g_doc, "diagnosis")), 0);
    assert_int_equal(test_sh("grep -q '^diagnosis: no problem found' '%s/clean.log'", test_tmpdir()), 0);
    assert_int_equal(
        test_sh("grep -q '^No problem found: memory stays flat' '%s/clean/summary.md'", test_tmpdir()), 0);
}

/* The cell of fault x mode in the summary's detection matrix. */
static json_t *cell(json_t *doc, const char *fault, Mode m)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(doc, "detection_matrix"), i,
                       c) if (!strcmp(str(c, "fault"), fault) &&
                              !strcmp(str(c, "mode"), mode_name(m))) return c;
    fail_msg("no detection-matrix cell %s/%s", fault, mode_name(m));
    return NULL;
}

static int junit_failures(const char *out)
{
    return test_sh("grep -q '<testsuites name=\"soak\" tests=\"[0-9]*\" failures=\"0\"' '%s/%s/junit.xml'",
                   test_tmpdir(), out) == 0
               ? 0
               : 1;
}

/* The detection matrix: every cell the harness's table requires (which docs/faults.md must
 * agree with: test_docs_matrix_is_the_code_table) is caught by the soak workload. */
/* What caught each fault build of the matrix soak: the tool's report, or the engine site. */
static void expect_caught_by(void)
{
    /* what caught them: the tool's report, or the engine site */
    expect(g_doc, "asan", 100, "stack_inputs", "ERROR", "\"kind\": \"stack-use-after-return\"");
    expect(g_doc, "valgrind", 100, "early_reset", "ERROR", "\"kind\": \"invalid-read\"");
    expect(g_doc, "native", 100, "tape_keep", "GROWING", "\"site\": \"tape");
    static const char *const sited[] = {"leak", "creep", "split_leak", "eval_leak"};
    for (size_t k = 0; k < sizeof sited / sizeof sited[0]; k++) {
        char site[64];
        snprintf(site, sizeof site, "\"site\": \"fault.%s\"", sited[k]);
        expect(g_doc, "native", 100, sited[k], "GROWING", site);
        expect(g_doc, "jemalloc", 100, sited[k], "GROWING", site);
    }
    expect(g_doc, "native", 100, "kv_grow", "GROWING",
           "\"site\": \"gen.cache\""); /* the KV cache's own site */
    expect(g_doc, "asan", 100, "leak", "ERROR", "\"kind\": \"leak\"");
    expect(g_doc, "valgrind", 100, "par_leak", "ERROR", "\"kind\": \"definitely-lost\"");
    expect(g_doc, "native", 100, "par_leak", "GROWING", "\"slope_series\": \"malloc.in_use_bytes\"");
    expect(g_doc, "asan", 100, "stale_probs", "ERROR", "\"kind\": \"use-after-poison\"");
    expect(g_doc, "valgrind", 100, "stale_probs", "ERROR", "\"kind\": \"invalid-read\"");
}

/* The diagnosis of the matrix soak: each fault build one problem, of the right kind, at the
 * right place; the headline rate from the most exact series; nothing for load_leak without
 * resumed runs; a reachable growth not caught by the leak checkers. */
static void expect_fault_diagnosis(void)
{
    /* the diagnosis: each fault build is one problem, of the right kind, at the right place */
    static const struct {
        const char *fault, *kind, *function, *site;
    } diag[] = {
        {"early_reset", "invalid-access", "graph_backward", NULL},
        {"stack_inputs", "invalid-access", "mean_backward", NULL},
        {"tape_keep", "tape-or-arena-growth", NULL, "tape"},
        {"leak", "leak", "fault_step_end", "fault.leak"},
        {"creep", "reachable-growth", NULL, "fault.creep"},
        {"par_leak", "leak", "fault_worker_job", NULL},
        {"split_leak", "leak", "fault_split_product", "fault.split_leak"},
        {"eval_leak", "leak", "fault_eval_batch", "fault.eval_leak"},
        {"stale_probs", "invalid-access", "fault_attention_probs", NULL},
        {"kv_grow", "reachable-growth", NULL, "gen.cache"},
        {"arena_creep", "tape-or-arena-growth", NULL, "model.scratch"},
    };
    json_t *problems = json_object_get(g_doc, "diagnosis");
    if (json_array_size(problems) != sizeof diag / sizeof diag[0]) { /* none for the clean build */
        json_t *p;
        size_t i;
        json_array_foreach(problems, i, p) print_message("problem %zu: %s\n", i + 1, str(p, "summary"));
        fail_msg("%zu problems, expected %zu", json_array_size(problems), sizeof diag / sizeof diag[0]);
    }
    for (size_t k = 0; k < sizeof diag / sizeof diag[0]; k++) {
        json_t *p, *found = NULL;
        size_t i, n = 0;
        json_array_foreach(problems, i, p) if (!strcmp(str(p, "fault"), diag[k].fault)) found = p, n++;
        if (n != 1)
            fail_msg("diagnosis: fault %s is %zu problems, expected one", diag[k].fault, n);
        if (strcmp(str(found, "kind"), diag[k].kind) ||
            (diag[k].function && strcmp(str(found, "function"), diag[k].function)) ||
            (diag[k].site && strcmp(str(found, "site"), diag[k].site)))
            fail_msg("diagnosis of %s: %s, expected %s in %s / site %s", diag[k].fault, str(found, "summary"),
                     diag[k].kind, diag[k].function ? diag[k].function : "-",
                     diag[k].site ? diag[k].site : "-");
        assert_true(json_is_true(json_object_get(found, "expected")) &&
                    json_is_false(json_object_get(found, "fails")));
    }
    /* the headline rate is the growth's, from the most exact series: the arena's 16 bytes
     * more a step read as 16 B/iteration (not the site's bytes allocated per step) */
    json_t *p, *creep = NULL;
    size_t i;
    json_array_foreach(problems, i, p) creep = !strcmp(str(p, "fault"), "arena_creep") ? p : creep;
    double rate = json_number_value(json_object_get(json_object_get(creep, "bytes_per_iter"), "median"));
    if (rate < 16.0 * 0.75 || rate > 16.0 * 1.25)
        fail_msg("arena_creep: %s; expected 16 B/iteration within 25%%", str(creep, "summary"));
    /* load_leak: nothing without resumed runs (the path is taken only when a checkpoint is read) */
    json_array_foreach(problems, i, p) if (!strcmp(str(p, "fault"), "load_leak"))
        fail_msg("load_leak without resumed runs: %s", str(p, "summary"));
    /* creep is reachable: the leak checkers must not be what caught it */
    assert_null(json_object_get(
        json_array_get(json_object_get(summary_run(g_doc, "asan", 100, "creep"), "findings"), 0), "tool"));
    assert_null(json_object_get(
        json_array_get(json_object_get(summary_run(g_doc, "valgrind", 100, "creep"), "findings"), 0),
        "tool"));
}

static void test_detection_matrix(void **state)
{
    (void)state;
    /* every fault build that must show at 100 iterations (fd_leak, from 1000 on, has a
     * test of its own: test_descriptor_leak_fault); under a budget of 768 MiB, which every
     * run's 8-12 MiB is far below: early_reset's native run, which grows without end in
     * its first step, is stopped there in 3 s, not at a quarter of the machine in 16 */
    char faults[512] = "";
    for (int i = 0; i < fault_count(); i++)
        if (fault_min_iters(fault_name(i)) <= 100)
            snprintf(faults + strlen(faults), sizeof faults - strlen(faults), "%s%s", *faults ? "," : "",
                     fault_name(i));
    int rc = soak("faults",
                  "--faults %s --modes native,asan,valgrind,jemalloc,lsan --iters 100 --resume-iters none "
                  "--budget-mb 768 "
                  "--expect-faults",
                  faults);
    for (int i = 0; i < fault_count(); i++)
        for (int m = 0; m < MODE_COUNT && fault_min_iters(fault_name(i)) <= 100; m++) {
            Verdict want = verdict_required_at(fault_name(i), (Mode)m, 100);
            json_t *c = cell(g_doc, fault_name(i), (Mode)m);
            if (want != V_NOT_RUN && (!json_is_true(json_object_get(c, "caught")) ||
                                      strcmp(str(c, "verdict"), verdict_name(want))))
                fail_msg("%s/%s: %s (%s), required %s", fault_name(i), mode_name((Mode)m), str(c, "verdict"),
                         str(c, "finding"), verdict_name(want));
        }
    assert_int_equal(rc, 0); /* every required cell caught: make faults passes ... */
    assert_string_equal(str(g_doc, "overall"), "PASS");
    assert_int_equal(junit_failures("faults"), 0); /* ... and its junit.xml has no failure */
    expect_caught_by();
    expect_fault_diagnosis();
}

/* A required cell missed: make faults fails, and junit.xml says so. The old soak (the
 * tiny workload on one thread) is exactly such a soak for par_leak. */
static void test_missed_cell_fails_make_faults(void **state)
{
    (void)state;
    assert_int_equal(
        soak("missed", "--config tiny --faults par_leak --modes native --iters 100 --expect-faults"), 1);
    assert_string_equal(str(g_doc, "overall"), "FAIL");
    json_t *c = cell(g_doc, "par_leak", MODE_NATIVE);
    assert_true(json_is_false(json_object_get(c, "caught")));
    assert_int_equal(json_array_size(json_object_get(g_doc, "faults_missed")), 1);
    assert_int_equal(junit_failures("missed"), 1);
}

/* docs/faults.md's detection matrix and the harness's table are the same cells. */
static void test_docs_matrix_is_the_code_table(void **state)
{
    (void)state;
    char path[PATH_MAX + 64], line[1024];
    snprintf(path, sizeof path, "%s/../docs/faults.md", g_root);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    int rows = 0, in_matrix = 0;
    while (fgets(line, sizeof line, f)) {
        in_matrix |= !strncmp(line, "| fault | native | asan | valgrind | jemalloc | lsan |", 53);
        if (!in_matrix || strncmp(line, "| `", 3))
            continue;
        char fault[32] = "", *cells[MODE_COUNT + 2] = {0};
        int nf = 0;
        for (char *p = line; nf < MODE_COUNT + 2 && (p = strchr(p, '|')); *p++ = 0)
            cells[nf++] = p + 1;
        if (nf != MODE_COUNT + 2 || sscanf(cells[0], " `%31[^`]`", fault) != 1)
            fail_msg("docs/faults.md: cannot read the row: %s", line);
        for (int m = 0; m < MODE_COUNT; m++) { /* the mode cells, leading blanks skipped */
            cells[m] = cells[m + 1];
            while (*cells[m] == ' ')
                cells[m]++;
        }
        assert_true(fault_known(fault));
        for (int m = 0; m < MODE_COUNT; m++) {
            Verdict want = verdict_required(fault, (Mode)m), doc = V_NOT_RUN;
            for (int v = 0; v < V_NOT_RUN; v++)
                if (!strncmp(cells[m], verdict_name((Verdict)v), strlen(verdict_name((Verdict)v))))
                    doc = (Verdict)v;
            if (doc != want)
                fail_msg("docs/faults.md says %s/%s: '%s'; harness/common/faults.c requires %s", fault,
                         mode_name((Mode)m), cells[m], want == V_NOT_RUN ? "nothing" : verdict_name(want));
        }
        rows++;
    }
    fclose(f);
    assert_int_equal(rows, fault_count()); /* every fault has its row */
}

/* One descriptor more per checkpoint (fd_leak, every 50 iterations): no byte of the heap
 * moves and no leak checker reports it; the descriptor count does, in every mode, named as
 * a descriptor leak of one every 50 iterations, open on the checkpoint file, opened in
 * fault_checkpoint_save. (memcheck's place is tested in test_anyprog_services.) */
static void test_descriptor_leak_fault(void **state)
{
    (void)state;
    assert_int_equal(
        soak("fdleak", "--faults fd_leak --modes native,lsan,jemalloc --iters 1000 --resume-iters none"), 1);
    static const char *const modes[] = {"native", "lsan", "jemalloc"};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        expect(g_doc, modes[m], 1000, "fd_leak", "GROWING", "\"kind\": \"descriptor-leak\"");
        json_t *grown = json_object_get(summary_run(g_doc, modes[m], 1000, "fd_leak"), "descriptors_grown");
        if (!strstr(str(grown, "target"), "checkpoint.bin"))
            fail_msg("%s: the grown descriptors are open on '%s', not the checkpoint", modes[m],
                     str(grown, "target"));
    }
    json_t *problems = json_object_get(g_doc, "diagnosis");
    assert_int_equal(json_array_size(problems), 1);
    json_t *p = json_array_get(problems, 0), *per = json_object_get(p, "per_iter");
    assert_string_equal(str(p, "kind"), "descriptor-leak");
    /* placed by the probe's record of each descriptor opened and closed (no memcheck here) */
    assert_string_equal(str(p, "function"), "fault_checkpoint_save");
    assert_string_equal(str(per, "unit"), "descriptors");
    double rate = json_number_value(json_object_get(per, "median"));
    if (rate < 0.02 * 0.75 || rate > 0.02 * 1.25)
        fail_msg("fd_leak: %s; expected one descriptor every 50 iterations within 25%%", str(p, "summary"));
    assert_true(json_is_null(json_object_get(json_object_get(p, "bytes_per_iter"), "median")));
}

/* A leak made once, on the resume path (load_leak: 4 KiB when a checkpoint is read): the
 * resumed runs' leak reports are a one-time leak of 4 KiB in the loader, with no rate and no
 * projection, and it does not fail the soak (docs/soak.md, "Leaks"); with --strict-leaks it does. */
static void test_one_time_leak_on_resume(void **state)
{
    (void)state;
    /* (LeakSanitizer's reports; valgrind's of a one-time leak: test_anyprog's test_one_time_leak) */
    int rc = soak("loadleak", "--faults load_leak --modes native,lsan --iters 100,300 --resume-iters 300");
    if (rc != 0)
        fail_msg("soak exited %d (see %s/loadleak.log)", rc, test_tmpdir());
    expect(g_doc, "lsan", 300, "load_leak", "FLAT", NULL);
    json_t *problems = json_object_get(g_doc, "diagnosis");
    assert_int_equal(json_array_size(problems), 1);
    json_t *p = json_array_get(problems, 0);
    if (strcmp(str(p, "kind"), "one-time-leak") || strcmp(str(p, "function"), "fault_checkpoint_load"))
        fail_msg("load_leak: %s, expected a one-time leak in fault_checkpoint_load", str(p, "summary"));
    assert_true(json_number_value(json_object_get(p, "one_time_bytes")) == 4096.0);
    assert_true(json_is_null(json_object_get(p, "projection")));
    assert_true(json_is_null(json_object_get(json_object_get(p, "bytes_per_iter"), "median")));
    assert_non_null(strstr(str(p, "summary"), "one-time-leak of 4.0 KiB in fault_checkpoint_load"));
    assert_true(json_is_false(json_object_get(p, "fails")));
    assert_int_equal(soak("loadleak-strict", "--faults load_leak --modes lsan --iters 100 --resume-iters 100 "
                                             "--strict-leaks"),
                     1);
}

static void test_tape_keep_over_budget(void **state)
{
    (void)state;
    /* the seed's 60 GB run in miniature: a small budget ends it with a verdict */
    assert_int_equal(soak("budget", "--faults tape_keep --modes native --iters 30000 --budget-mb 12"), 1);
    expect(g_doc, "native", 30000, "tape_keep", "OVER_BUDGET", NULL);
}

/* A soak of another workload is not merged with a shard (that shards merge into the same
 * verdicts as one soak, and a shard given twice is kept once: test_shards.c). */
static void test_merge_refuses_another_workload(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    soak("shard1", "--modes native --iters 100,200 --faults none,leak --shard 1/2");
    soak("other", "--modes native --iters 100 --config tiny");
    assert_int_equal(
        test_sh("'%s/soak' merge '%s/shard1' '%s/other' --out '%s/bad-merge' >/dev/null 2>'%s/merge2.log'",
                g_dir, t, t, t, t),
        2);
    assert_int_equal(test_sh("grep -q 'workload (config) differ' '%s/merge2.log'", t), 0);
}

/* A baseline comes only from a complete soak that passed; a comparison says what it
 * matched, and one that matches nothing is an error. */
static void test_baseline_rules(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    soak("base-fail", "--modes native --iters 100 --faults leak");
    assert_int_equal(
        test_sh("'%s/soak' baseline '%s/base-fail' --to '%s/b.json' 2>'%s/b.log'", g_dir, t, t, t), 2);
    assert_int_equal(test_sh("grep -q 'overall verdict is FAIL' '%s/b.log'", t), 0);
    assert_int_equal(test_sh("test -e '%s/b.json'", t), 1); /* nothing written */
    soak("base-ok", "--modes native --iters 100,200 --resume-iters none");
    assert_int_equal(test_sh("'%s/soak' baseline '%s/base-ok' --to '%s/b.json' >/dev/null", g_dir, t, t), 0);
    /* the same matrix compares and passes, saying how many runs it matched */
    char arg[PATH_MAX + 64];
    snprintf(arg, sizeof arg, "--baseline '%s/b.json' --baseline-time-pct 100000",
             t); /* time: too noisy here */
    assert_int_equal(soak("vs-ok", "--modes native --iters 100,200 --resume-iters none %s", arg), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(g_doc, "baseline"), "matched")), 2);
    /* a soak that shares no run with it: an error before anything runs */
    assert_int_equal(soak("vs-none", "--modes jemalloc --iters 300 --resume-iters none %s", arg), 2);
    /* a damaged or older summary is refused, naming the file */
    assert_int_equal(
        test_sh("echo '{\"overall\": \"PASS\", \"runs\": []}' > '%s/old.json' && '%s/soak' --modes native "
                "--iters 100 --baseline '%s/old.json' 2>'%s/old.log' >/dev/null",
                t, g_dir, t, t),
        2);
    assert_int_equal(test_sh("grep -q 'old.json: written by an older soak' '%s/old.log'", t), 0);
}

/* SIGINT / SIGTERM: running children stopped, finished runs kept, INCOMPLETE, report
 * written, exit 130 / 143. */
static void interrupted_soak(int sig, int want_exit, const char *out)
{
    char dir[PATH_MAX + 64], soak_bin[PATH_MAX + 16], path[PATH_MAX + 128];
    snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), out);
    snprintf(soak_bin, sizeof soak_bin, "%s/soak", g_dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(soak_bin, soak_bin, "--build", g_root, "--out", dir, "--no-control", "--modes",
              "native,valgrind", "--iters", "100,2000", "--resume-iters", "none", "--jobs", "2",
              (char *)NULL);
        _exit(127);
    }
    /* wait until a short run is done (the longest start first: valgrind's 100 ends while
     * its 2000 is busy) */
    const char *done = NULL;
    for (int i = 0; i < 800 && !done; i++) {
        for (int m = 0; m < 2 && !done; m++) {
            snprintf(path, sizeof path, "%s/runs/%s-100/run.txt", dir, m ? "native" : "valgrind");
            if (access(path, F_OK) == 0)
                done = m ? "native" : "valgrind";
        }
        if (!done)
            usleep(50000);
    }
    assert_non_null(done);
    usleep(300000);
    kill(pid, sig);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), want_exit);
    json_t *doc = summary_of(out);
    assert_string_equal(str(doc, "overall"), "INCOMPLETE");
    assert_true(json_is_true(json_object_get(doc, "interrupted")));
    expect(doc, done, 100, "none", "FLAT", NULL); /* finished before: kept */
    expect(doc, "valgrind", 2000, "none", "NOT_RUN", NULL);
    json_decref(doc);
    snprintf(path, sizeof path, "%s/index.html", dir);
    assert_int_equal(access(path, R_OK), 0);
    /* no child left behind */
    assert_int_equal(test_sh("pgrep -s 0 -f 'valgrind/train_ful[l] --tiny .* 2000 ' >/dev/null"), 1);
}

static void test_interrupt_and_terminate(void **state)
{
    (void)state;
    interrupted_soak(SIGINT, 130, "sigint");
    interrupted_soak(SIGTERM, 143, "sigterm");
}

/* A disk that fills up mid-run (a file size limit): the run fails, the soak never PASSes. */
static void test_disk_full_is_not_a_pass(void **state)
{
    (void)state;
    /* 2 MiB of file per process: the event log of 2000 iterations (~14 MB) does not fit */
    assert_int_equal(
        test_sh("ulimit -f 2048; '%s/soak' --build '%s' --out '%s/diskfull2' --modes native --iters 2000 "
                ">/dev/null 2>&1",
                g_dir, g_root, test_tmpdir()),
        1);
    json_t *doc = summary_of("diskfull2");
    assert_string_not_equal(str(doc, "overall"), "PASS");
    expect(doc, "native", 2000, "none", "CRASHED", "SIGXFSZ");
    json_decref(doc);
}

/* Two soaks started at once get separate folders and both complete. */
static void test_two_soaks_at_once(void **state)
{
    (void)state;
    int rc = test_sh("cd '%s' && mkdir -p twice && cd twice && "
                     "for i in 1 2; do '%s/soak' --build '%s' --templates '%s/../reports' --no-control "
                     "--modes native,jemalloc "
                     "--iters 100,300 >log.$i 2>&1 & done; wait; ls reports/out | wc -l | grep -qx 2 && "
                     "[ $(grep -l '\"overall\": \"PASS\"' reports/out/*/summary.json | wc -l) -eq 2 ]",
                     test_tmpdir(), g_dir, g_root, g_root);
    if (rc != 0)
        fail_msg("two soaks at once did not both complete in separate folders (exit %d)", rc);
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    snprintf(g_root, sizeof g_root, "%s/..", g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_usage),
        cmocka_unit_test(test_watchdog),
        cmocka_unit_test(test_docs_matrix_is_the_code_table),
        cmocka_unit_test(test_clean_soak_passes_in_every_mode),
        cmocka_unit_test(test_detection_matrix),
        cmocka_unit_test(test_one_time_leak_on_resume),
        cmocka_unit_test(test_descriptor_leak_fault),
        cmocka_unit_test(test_missed_cell_fails_make_faults),
        cmocka_unit_test(test_tape_keep_over_budget),
        cmocka_unit_test(test_merge_refuses_another_workload),
        cmocka_unit_test(test_baseline_rules),
        cmocka_unit_test(test_interrupt_and_terminate),
        cmocka_unit_test(test_disk_full_is_not_a_pass),
        cmocka_unit_test(test_two_soaks_at_once),
    };
    test_filter_from_env();
    int rc = cmocka_run_group_tests_name("soak", tests, tmpdir_setup, tmpdir_teardown);
    json_decref(g_doc);
    return rc;
}
