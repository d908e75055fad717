/* test_anyprog_services: soaking what a program starts and holds beyond bytes, end to end:
 * descriptors and threads, a process tree whose worker grows, a service soaked under its
 * load (requests as the count), Debian's redis-server under its own benchmark, a process
 * already running (--attach). Release variant only. */
#include "anyprog.h"

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
    /* (placed at pthread_create's caller under memcheck: test_findings, make accuracy) */
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
    /* jemalloc's run names the child's heap from the profile the child wrote at its exit
     * (when it saw the child's pages grow steadily: its extents grow in steps) */
    int named = !strcmp(str(run_of("jemalloc", 2000), "verdict"), "GROWING");
    json_t *p = named ? expect_problem("heap-growth", "reach_step", "native,jemalloc", 1)
                      : expect_problem("unexplained-growth", NULL, "native", 1);
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
    if (test_sh("pgrep -s 0 -f 'anyprog (worker|procs)' >/dev/null") == 0)
        fail_msg("a process of the soaks is still running");
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
    /* words no stronger than the evidence: the same leak in a server that SIGTERM ends where
     * it is, before LeakSanitizer's check at exit: no leak checker ran to its end, so its
     * growth is heap-growth, not reachable-growth (nothing said it is still pointed to) */
    assert_int_equal(soak_service("svc-noterm", "leak-noterm", "--iters 1000,3000 --modes native,lsan"), 1);
    expect("native", 3000, "GROWING", "heap-growth", NULL);
    expect_problem("heap-growth", NULL, "native", 1);
    assert_int_equal(soak_service("svc-fd", "fdleak", "--iters 10000 --modes native"), 1);
    expect("native", 10000, "GROWING", "descriptor-leak", NULL);
    /* placed by the probe's record of each descriptor opened and closed, no memcheck */
    expect_problem("descriptor-leak", "keep_connection", "native", 1);
    assert_string_equal(str(json_object_get(decided_run("native", 10000), "descriptors_grown"), "target"),
                        "socket");
    assert_int_equal(soak_service("svc-clean", "clean", "--iters 2000,6000 --modes native,lsan,valgrind"), 0);
    assert_string_equal(str(g_doc, "overall"), "PASS");
    assert_int_equal(soak_service("svc-crash", "crash", "--iters 1000 --modes native"), 1);
    expect("native", 1000, "CRASHED", "crash", NULL);
    assert_non_null(strstr(str(run_of("native", 1000), "detail"), "killed by SIGSEGV (11) under its load"));
    /* one whose load fails before it is seen to die (it closes the connection, then goes)
     * ended under its load all the same: not stopped by the soak */
    assert_int_equal(soak_service("svc-crash-late", "crash-late", "--iters 1000 --modes native"), 1);
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
    if (test_sh("pgrep -s 0 -f 'netprog (serve|load)' >/dev/null") == 0)
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

int main(int argc, char **argv)
{
    (void)argc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptors_and_threads),
        cmocka_unit_test(test_process_trees),
        cmocka_unit_test(test_services),
        cmocka_unit_test(test_redis_passes),
        cmocka_unit_test(test_attach),
    };
    return anyprog_main(argv[0], "anyprog_services", tests, sizeof tests / sizeof tests[0]);
}
