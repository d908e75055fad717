/* serve soaked as a service under tools/serve-load (docs/serve.md, "Soaked under load"):
 * the clean server passes, and each fault build of the server is caught where it can be
 * seen: slot_leak (a disconnected client's cache dropped) by the heap in native and by
 * LeakSanitizer, named gen_init; keep_requests (every request's text kept,
 * reachable) by jemalloc's heap at 10000 requests, named fault_request_text; chat_leak (a
 * chat's templated prompt lost, in the chat path only) by LeakSanitizer, named
 * fault_chat_prompt: the load chats (two requests in ten), or it would not be seen.
 * A soak that did not catch them would fail here. make soak-serve runs the full sweep in
 * every mode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "soakutil.h"

static char g_dir[PATH_MAX]; /* build/release */
static char g_ckpt[PATH_MAX + 32];

/* Soaks SERVER_BIN (a serve build) under the load into OUT. The soak's exit status. */
static int soak_serve(const char *out, const char *bin, const char *args)
{
    char command[PATH_MAX * 4];
    snprintf(command, sizeof command,
             "'%s/soak' --cmd '%s --port {port} --slots 8 --quiet --checkpoint %s' "
             "--load '%s/../../tools/serve-load {port} {iters} 4' --no-control",
             g_dir, bin, g_ckpt, g_dir);
    return soak_into(out, command, args);
}

static void need(const char *bin)
{
    if (access(bin, X_OK))
        fail_msg("%s is not built: make faults-build (make test builds it)", bin);
}

static json_t *run_of(const char *mode, long iters)
{
    return summary_run(g_doc, mode, iters, NULL);
}

static void expect(const char *mode, long iters, const char *verdict)
{
    json_t *r = run_of(mode, iters);
    if (strcmp(str(r, "verdict"), verdict))
        fail_msg("%s %ld: %s (%s), expected %s", mode, iters, str(r, "verdict"), str(r, "detail"), verdict);
}

static json_t *problem_in(const char *function)
{
    size_t i;
    json_t *p;
    json_array_foreach(json_object_get(g_doc, "diagnosis"), i, p)
    {
        if (!strncmp(str(p, "function"), function, strlen(function)))
            return p;
    }
    fail_msg("no problem in %s:\n%.3000s", function,
             json_dumps(json_object_get(g_doc, "diagnosis"), JSON_INDENT(1)));
    return NULL;
}

static void test_clean_server_passes(void **state)
{
    (void)state;
    char bin[PATH_MAX + 16];
    snprintf(bin, sizeof bin, "%s/serve", g_dir);
    int rc = soak_serve("clean", bin, "--modes native,jemalloc,lsan --iters 1000,3000");
    for (long n = 1000; n <= 3000; n += 2000) {
        expect("native", n, "FLAT"), expect("jemalloc", n, "FLAT"), expect("lsan", n, "FLAT");
        assert_int_equal(json_integer_value(json_object_get(run_of("native", n), "load_exit")), 0);
    }
    assert_string_equal(str(g_doc, "overall"), "PASS");
    assert_int_equal(rc, 0);
}

/* Soaks the server's fault build FAULT (make faults-build) with args; the soak's status. */
static int soak_fault(const char *fault, const char *args)
{
    char bin[PATH_MAX + 64];
    snprintf(bin, sizeof bin, "%s/../release-fault-%s/serve", g_dir, fault);
    need(bin);
    return soak_serve(fault, bin, args);
}

/* The soak (status rc) failed on one leak, in function. */
static void expect_failing_leak(const char *function, int rc)
{
    json_t *p = problem_in(function);
    assert_string_equal(str(p, "kind"), "leak");
    assert_true(json_is_true(json_object_get(p, "fails")));
    assert_string_equal(str(g_doc, "overall"), "FAIL");
    assert_int_equal(rc, 1);
}

static void test_slot_leak_is_caught(void **state)
{
    (void)state;
    int rc = soak_fault("slot_leak", "--modes native,lsan --iters 1000,2000");
    for (long n = 1000; n <= 2000; n += 1000)
        expect("native", n, "GROWING"), expect("lsan", n, "ERROR");
    expect_failing_leak("gen_init", rc);
}

static void test_keep_requests_is_caught(void **state)
{
    (void)state;
    /* 56 bytes a request, among floors that swing ~100 KB with 4 busy clients: at 10000
     * requests the soak sees it most times; asked to see 40, it runs 20000 when it did not */
    int rc = soak_fault("keep_requests", "--modes jemalloc --iters 10000 --sensitivity 40");
    size_t i;
    json_t *r, *largest = NULL;
    json_array_foreach(json_object_get(g_doc, "runs"), i, r)
    {
        if (!largest || json_integer_value(json_object_get(r, "iterations")) >
                            json_integer_value(json_object_get(largest, "iterations")))
            largest = r;
    }
    if (strcmp(str(run_of("jemalloc", 10000), "verdict"), "GROWING") &&
        strcmp(str(largest, "verdict"), "GROWING"))
        fail_msg("jemalloc 10000: %s; its longest run: %s", str(run_of("jemalloc", 10000), "detail"),
                 str(largest, "detail"));
    json_t *p = problem_in("fault_request_text");
    assert_string_equal(str(p, "kind"), "heap-growth"); /* jemalloc alone: no leak checker ran */
    assert_string_equal(str(g_doc, "overall"), "FAIL");
    assert_int_equal(rc, 1);
}

static void test_chat_leak_is_caught(void **state)
{
    (void)state;
    int rc = soak_fault("chat_leak", "--modes lsan --iters 300,1000");
    expect("lsan", 300, "ERROR"), expect("lsan", 1000, "ERROR");
    expect_failing_leak("fault_chat_prompt", rc);
}

static int setup(void **state)
{
    if (tmpdir_setup(state))
        return -1;
    snprintf(g_ckpt, sizeof g_ckpt, "%s/tiny.ckpt", test_tmpdir());
    return test_sh("'%s/train_full' --tiny 300 --quiet --save '%s' >/dev/null", g_dir, g_ckpt) ? -1 : 0;
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_server_passes),
        cmocka_unit_test(test_slot_leak_is_caught),
        cmocka_unit_test(test_keep_requests_is_caught),
        cmocka_unit_test(test_chat_leak_is_caught),
    };
    test_filter_from_env();
    int rc = cmocka_run_group_tests(tests, setup, tmpdir_teardown);
    json_decref(g_doc);
    return rc;
}
