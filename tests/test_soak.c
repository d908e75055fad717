/* test_soak: the harness end to end. The watchdog stops runaway, hung and crashing
 * children; a clean soak passes in every mode; every fault build is caught by the modes
 * that should catch it (the detection matrix); shards merge into the same verdicts.
 * Runs in the release variant (it drives the other variants' builds); skipped elsewhere. */
#include "testutil.h"

#include <stdarg.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "hook.h"
#include <time.h>
#include <unistd.h>

static char g_dir[PATH_MAX];   /* build/<variant> */
static char g_root[PATH_MAX + 8]; /* build */

static int is_release(void)
{
    return !strcmp(ENGINE_VARIANT, "release") && ENGINE_PROBES;
}

/* Runs soak with the arguments (a format), output into OUT (a folder under the scratch
 * folder); returns its exit status and loads OUT/summary.json into json. */
static int soak(char *json, size_t cap, const char *out, const char *fmt, ...)
{
    char args[2048], cmd[4 * PATH_MAX + 2048], path[PATH_MAX + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s/soak' --build '%s' --out '%s/%s' %s >'%s/%s.log' 2>&1", g_dir, g_root,
             test_tmpdir(), out, args, test_tmpdir(), out);
    int st = system(cmd);
    snprintf(path, sizeof path, "%s/%s/summary.json", test_tmpdir(), out);
    json[0] = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        size_t n = fread(json, 1, cap - 1, f);
        json[n] = 0;
        fclose(f);
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* The summary entry of one run, as a string (copied into buf); fails the test if absent. */
static const char *entry(const char *json, const char *mode, long iters, const char *fault, char *buf, size_t cap)
{
    char key[160];
    snprintf(key, sizeof key, "{\"mode\": \"%s\", \"iterations\": %ld, \"fault\": \"%s\"", mode, iters, fault);
    const char *p = strstr(json, key);
    if (!p) {
        fail_msg("summary has no run %s/%ld/%s", mode, iters, fault);
        buf[0] = 0;
        return buf;
    }
    const char *end = strstr(p + 1, "\n    {\"mode\"");
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, p, n);
    buf[n] = 0;
    return buf;
}

static void expect(const char *json, const char *mode, long iters, const char *fault, const char *verdict,
                   const char *also)
{
    char buf[16384], want[64];
    entry(json, mode, iters, fault, buf, sizeof buf);
    snprintf(want, sizeof want, "\"verdict\": \"%s\"", verdict);
    if (!strstr(buf, want))
        fail_msg("%s/%ld/%s: expected %s:\n%.1500s", mode, iters, fault, verdict, buf);
    if (also && !strstr(buf, also))
        fail_msg("%s/%ld/%s: expected '%s' in:\n%.1500s", mode, iters, fault, also, buf);
}

static char g_json[1 << 20];

static void test_watchdog(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    char victim[PATH_MAX + 16];
    snprintf(victim, sizeof victim, "%s/tests/victim", g_dir);
    time_t t0 = time(NULL);
    setenv("VICTIM", "alloc", 1);
    assert_int_equal(soak(g_json, sizeof g_json, "wd-alloc", "--program '%s' --modes native --iters 100 --budget-mb 64 --timeout 60", victim), 1);
    expect(g_json, "native", 100, "none", "OVER_BUDGET", "budget 64 MiB");
    setenv("VICTIM", "sleep", 1);
    assert_int_equal(soak(g_json, sizeof g_json, "wd-sleep", "--program '%s' --modes native --iters 100 --timeout 1", victim), 1);
    expect(g_json, "native", 100, "none", "TIMEOUT", NULL);
    setenv("VICTIM", "segv", 1);
    assert_int_equal(soak(g_json, sizeof g_json, "wd-segv", "--program '%s' --modes native --iters 100", victim), 1);
    expect(g_json, "native", 100, "none", "CRASHED", "SIGSEGV");
    unsetenv("VICTIM");
    if (time(NULL) - t0 > 30)
        fail_msg("the watchdog took %ld s to stop three children", (long)(time(NULL) - t0));
}

static void test_bad_usage(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    assert_int_equal(soak(g_json, sizeof g_json, "bad1", "--modes bogus"), 2);
    assert_int_equal(soak(g_json, sizeof g_json, "bad2", "--iters 0"), 2);
    assert_int_equal(soak(g_json, sizeof g_json, "bad3", "--shard 3/2"), 2);
    assert_int_equal(soak(g_json, sizeof g_json, "bad4", "--faults nosuchfault --modes native"), 2);
    assert_int_equal(soak(g_json, sizeof g_json, "bad5", "--data /nonexistent"), 2);
    assert_int_equal(soak(g_json, sizeof g_json, "bad6", "--jobs 0"), 2);
    assert_int_equal(soak(g_json, sizeof g_json, "bad7", "--timeout -1"), 2);
    /* an output folder that cannot be written */
    char cmd[2 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "'%s/soak' --out /proc/flatmem-cannot-write --modes native --iters 100 >/dev/null 2>&1", g_dir);
    int st = system(cmd);
    assert_int_equal(WEXITSTATUS(st), 2);
}

static void test_clean_soak_passes_in_every_mode(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    int rc = soak(g_json, sizeof g_json, "clean", "--iters 100,1000");
    if (rc != 0)
        fail_msg("soak exited %d:\n%.3000s", rc, g_json);
    assert_non_null(strstr(g_json, "\"overall\": \"PASS\""));
    static const char *const modes[] = {"native", "asan", "valgrind", "jemalloc"};
    for (int m = 0; m < 4; m++) {
        expect(g_json, modes[m], 100, "none", "FLAT", NULL);
        expect(g_json, modes[m], 1000, "none", "FLAT", NULL);
    }
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/clean/junit.xml", test_tmpdir());
    assert_int_equal(access(path, R_OK), 0);
}

/* The detection matrix of docs/faults.md: every cell listed there is asserted here. */
static void test_detection_matrix(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    int rc = soak(g_json, sizeof g_json, "faults",
                  "--faults none,early_reset,stack_inputs,tape_keep,leak,creep,par_leak,split_leak,eval_leak,stale_probs "
                  "--iters 100 --resume-iters none");
    assert_int_equal(rc, 1); /* faults make the soak FAIL */
    assert_non_null(strstr(g_json, "\"overall\": \"FAIL\""));
    static const char *const modes[] = {"native", "asan", "valgrind", "jemalloc"};
    for (int m = 0; m < 4; m++)
        expect(g_json, modes[m], 100, "none", "FLAT", NULL);
    /* the soak workload's first step spans several arena chunks: a reset inside it gives
     * them back to the heap as the arena fits itself, so ASan names it heap-use-after-free;
     * from the second step on it is use-after-poison */
    char buf0[16384];
    expect(g_json, "asan", 100, "early_reset", "ERROR", NULL);
    entry(g_json, "asan", 100, "early_reset", buf0, sizeof buf0);
    if (!strstr(buf0, "\"kind\": \"use-after-poison\"") && !strstr(buf0, "\"kind\": \"heap-use-after-free\""))
        fail_msg("asan/100/early_reset: not reported as a use after reset:\n%.1500s", buf0);
    expect(g_json, "valgrind", 100, "early_reset", "ERROR", "\"kind\": \"invalid-read\"");
    expect(g_json, "asan", 100, "stack_inputs", "ERROR", "\"kind\": \"stack-use-after-return\"");
    expect(g_json, "native", 100, "tape_keep", "GROWING", "\"site\": \"tape");
    expect(g_json, "jemalloc", 100, "tape_keep", "GROWING", "\"site\": \"tape");
    expect(g_json, "asan", 100, "leak", "ERROR", "\"kind\": \"leak\"");
    expect(g_json, "valgrind", 100, "leak", "ERROR", "\"kind\": \"definitely-lost\"");
    expect(g_json, "native", 100, "leak", "GROWING", "\"site\": \"fault.leak\"");
    expect(g_json, "jemalloc", 100, "leak", "GROWING", "\"site\": \"fault.leak\"");
    expect(g_json, "native", 100, "creep", "GROWING", "\"site\": \"fault.creep\"");
    expect(g_json, "jemalloc", 100, "creep", "GROWING", "\"site\": \"fault.creep\"");
    /* the paths only the soak workload reaches: worker threads, split products, evaluation,
     * a pointer kept across two resets */
    static const char *const leaks[] = {"par_leak", "split_leak", "eval_leak"};
    for (int k = 0; k < 3; k++) {
        expect(g_json, "native", 100, leaks[k], "GROWING", NULL);
        expect(g_json, "jemalloc", 100, leaks[k], "GROWING", NULL);
        expect(g_json, "asan", 100, leaks[k], "ERROR", "\"kind\": \"leak\"");
        expect(g_json, "valgrind", 100, leaks[k], "ERROR", "\"kind\": \"definitely-lost\"");
    }
    expect(g_json, "native", 100, "split_leak", "GROWING", "\"site\": \"fault.split_leak\"");
    expect(g_json, "native", 100, "eval_leak", "GROWING", "\"site\": \"fault.eval_leak\"");
    expect(g_json, "native", 100, "par_leak", "GROWING", "\"slope_series\": \"malloc.in_use_bytes\"");
    expect(g_json, "asan", 100, "stale_probs", "ERROR", "\"kind\": \"use-after-poison\"");
    expect(g_json, "valgrind", 100, "stale_probs", "ERROR", "\"kind\": \"invalid-read\"");
    /* the matrix itself, as summary.json records it */
    assert_non_null(strstr(g_json, "{\"fault\": \"leak\", \"mode\": \"asan\", \"verdict\": \"ERROR\", \"finding\": \"lsan leak\""));
    assert_non_null(strstr(g_json, "{\"fault\": \"creep\", \"mode\": \"native\", \"verdict\": \"GROWING\", \"finding\": \"site fault.creep\""));
    /* creep is reachable: the leak checkers must not be what caught it */
    char buf[16384];
    assert_null(strstr(entry(g_json, "asan", 100, "creep", buf, sizeof buf), "\"tool\""));
    assert_null(strstr(entry(g_json, "valgrind", 100, "creep", buf, sizeof buf), "\"tool\""));
}

static void test_tape_keep_over_budget(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    /* the seed's 60 GB run in miniature: a small budget ends it with a verdict */
    assert_int_equal(soak(g_json, sizeof g_json, "budget", "--faults tape_keep --modes native --iters 30000 --budget-mb 12"), 1);
    expect(g_json, "native", 30000, "tape_keep", "OVER_BUDGET", NULL);
}

static void test_shards_merge_to_the_same_verdicts(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    static char whole[1 << 20], merged[1 << 20];
    const char *args = "--modes native,jemalloc --iters 100,200,300 --faults none,leak";
    assert_int_equal(soak(whole, sizeof whole, "whole", "%s", args), 1);
    soak(g_json, sizeof g_json, "shard1", "%s --shard 1/2", args);
    soak(g_json, sizeof g_json, "shard2", "%s --shard 2/2", args);
    char cmd[4 * PATH_MAX], path[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "'%s/soak' merge '%s/shard1' '%s/shard2' --out '%s/merged' >/dev/null 2>&1", g_dir,
             test_tmpdir(), test_tmpdir(), test_tmpdir());
    int st = system(cmd);
    assert_int_equal(WEXITSTATUS(st), 1);
    snprintf(path, sizeof path, "%s/merged/summary.json", test_tmpdir());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    merged[fread(merged, 1, sizeof merged - 1, f)] = 0;
    fclose(f);
    static const char *const modes[] = {"native", "jemalloc"};
    static const char *const faults[] = {"none", "leak"};
    static const long counts[] = {100, 200, 300};
    for (int m = 0; m < 2; m++)
        for (int k = 0; k < 2; k++)
            for (int c = 0; c < 3; c++) {
                char a[16384], b[16384];
                entry(whole, modes[m], counts[c], faults[k], a, sizeof a);
                entry(merged, modes[m], counts[c], faults[k], b, sizeof b);
                const char *va = strstr(a, "\"verdict\""), *vb = strstr(b, "\"verdict\"");
                const char *sa = strstr(a, "\"slope_series\""), *sb = strstr(b, "\"slope_series\"");
                if (strncmp(va, vb, 30) || strncmp(sa, sb, 40))
                    fail_msg("%s/%ld/%s differs:\nwhole:  %.200s\nmerged: %.200s", modes[m], counts[c], faults[k], va, vb);
            }
    assert_non_null(strstr(merged, "\"overall\": \"FAIL\""));
}

/* SIGINT / SIGTERM: running children stopped, finished runs kept, INCOMPLETE, report
 * written, exit 130 / 143. */
static void interrupted_soak(int sig, int want_exit, const char *out)
{
    char dir[PATH_MAX + 64], soak_bin[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/%s", test_tmpdir(), out);
    snprintf(soak_bin, sizeof soak_bin, "%s/soak", g_dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(soak_bin, soak_bin, "--build", g_root, "--out", dir, "--modes", "native,valgrind", "--iters", "100,2000",
              "--resume-iters", "none", "--jobs", "2", (char *)NULL);
        _exit(127);
    }
    /* wait until the short native runs are done and valgrind is busy */
    char path[PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/runs/native-100/run.txt", dir);
    for (int i = 0; i < 800 && access(path, F_OK) != 0; i++)
        usleep(50000);
    usleep(500000);
    kill(pid, sig);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), want_exit);
    snprintf(path, sizeof path, "%s/summary.json", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    g_json[fread(g_json, 1, sizeof g_json - 1, f)] = 0;
    fclose(f);
    assert_non_null(strstr(g_json, "\"overall\": \"INCOMPLETE\""));
    assert_non_null(strstr(g_json, "\"interrupted\": true"));
    expect(g_json, "native", 100, "none", "FLAT", NULL); /* finished before: kept */
    expect(g_json, "valgrind", 2000, "none", "NOT_RUN", NULL);
    snprintf(path, sizeof path, "%s/index.html", dir);
    assert_int_equal(access(path, R_OK), 0);
    /* no child left behind */
    assert_int_equal(system("pgrep -f 'valgrind/train_ful[l] --tiny .* 2000 ' >/dev/null"), 256);
}

static void test_interrupt_and_terminate(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    interrupted_soak(SIGINT, 130, "sigint");
    interrupted_soak(SIGTERM, 143, "sigterm");
}

/* A disk that fills up mid-run (a file size limit): the run fails, the soak never PASSes. */
static void test_disk_full_is_not_a_pass(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    /* 2 MiB of file per process: the event log of 2000 iterations (~14 MB) does not fit */
    char cmd[4 * PATH_MAX];
    snprintf(cmd, sizeof cmd,
             "ulimit -f 2048; '%s/soak' --build '%s' --out '%s/diskfull2' --modes native --iters 2000 >/dev/null 2>&1",
             g_dir, g_root, test_tmpdir());
    int st = system(cmd);
    assert_int_equal(WEXITSTATUS(st), 1);
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/diskfull2/summary.json", test_tmpdir());
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    g_json[fread(g_json, 1, sizeof g_json - 1, f)] = 0;
    fclose(f);
    assert_null(strstr(g_json, "\"overall\": \"PASS\""));
    expect(g_json, "native", 2000, "none", "CRASHED", "SIGXFSZ");
}

/* Two soaks started at once get separate folders and both complete. */
static void test_two_soaks_at_once(void **state)
{
    (void)state;
    if (!is_release())
        skip();
    char cmd[4 * PATH_MAX];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && mkdir -p twice && cd twice && "
             "for i in 1 2; do '%s/soak' --build '%s' --templates '%s/../reports' --modes native,jemalloc --iters 100,300 "
             ">log.$i 2>&1 & done; wait; ls reports/out | wc -l | grep -qx 2 && "
             "[ $(grep -l '\"overall\": \"PASS\"' reports/out/*/summary.json | wc -l) -eq 2 ]",
             test_tmpdir(), g_dir, g_root, g_root);
    int st = system(cmd);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("two soaks at once did not both complete in separate folders (exit %d)", WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    snprintf(g_root, sizeof g_root, "%s/..", g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_usage),
        cmocka_unit_test(test_watchdog),
        cmocka_unit_test(test_clean_soak_passes_in_every_mode),
        cmocka_unit_test(test_detection_matrix),
        cmocka_unit_test(test_tape_keep_over_budget),
        cmocka_unit_test(test_shards_merge_to_the_same_verdicts),
        cmocka_unit_test(test_interrupt_and_terminate),
        cmocka_unit_test(test_disk_full_is_not_a_pass),
        cmocka_unit_test(test_two_soaks_at_once),
    };
    return cmocka_run_group_tests_name("soak", tests, tmpdir_setup, tmpdir_teardown);
}
