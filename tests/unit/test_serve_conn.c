/* serve's connections, as its clients see them (app/serve.c, docs/serve.md): 503 with
 * Retry-After when every slot is busy; a client that leaves mid-stream, or before its whole
 * answer is done, gives its slot back; a client that sends nothing is cut; connections
 * beyond --max-connections wait; SIGTERM ends the answers in flight and exits 0 (under
 * ASan, with its leak check, when the asan build is there). Each test starts a server of
 * its own on the model the group trains (tests/servetest.h). */
#include "servetest.h"

/* Reads from fd until `want` is in what came (10 s at most): 1 when it came. Keeps only
 * the last bytes, so a long stream can be read through. */
static int read_until(int fd, const char *want)
{
    char buf[8192];
    size_t n = 0, keep = strlen(want);
    time_t end = time(NULL) + 10;
    while (time(NULL) < end) {
        ssize_t k = recv(fd, buf + n, sizeof buf - 1 - n, 0);
        if (k <= 0)
            break;
        buf[n += (size_t)k] = 0;
        if (strstr(buf, want))
            return 1;
        if (n > keep) { /* the end of what came, in case want is cut between two reads */
            memmove(buf, buf + n - keep, keep);
            n = keep;
        }
    }
    fprintf(stderr, "read_until: no '%s' in what came (its end: '%.*s'; %s)\n", want, (int)n, buf,
            strerror(errno));
    return 0;
}

/* An answer of 100,000 tokens on its own connection: a stream read until its first text,
 * a whole answer until it holds a slot. */
static int long_answer(int port, int stream)
{
    const char *req = stream ? "{\"prompt\": \"the\", \"max_tokens\": 100000, \"stream\": true}"
                             : "{\"prompt\": \"the\", \"max_tokens\": 100000}";
    char raw[512];
    int n =
        snprintf(raw, sizeof raw, "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n\r\n%s",
                 strlen(req), req);
    /* a slot in use must be this answer's: an answer before it gives its slot back only
     * after its client has had all of it (so a test that goes on at once may find it) */
    if (!stream)
        assert_true(metric_becomes(port, "serve_slots_in_use", 0));
    int fd = connect_to(port);
    assert_int_equal(send(fd, raw, (size_t)n, MSG_NOSIGNAL), n);
    if (stream)
        assert_true(read_until(fd, "\"index\": 0, \"text\": \""));
    else /* nothing is sent before a whole answer is done */
        assert_true(metric_becomes(port, "serve_slots_in_use", 1));
    return fd;
}

static void test_busy_slots_503_and_a_client_that_leaves_gives_its_slot_back(void **state)
{
    (void)state;
    Server s;
    server_start(&s, NULL, "--slots 1 --max-tokens 100000 --quiet");
    int fd = long_answer(s.port, 1);
    Resp r;
    http(s.port, "POST", "/v1/completions", "{\"prompt\": \"the\"}", &r);
    assert_int_equal(r.status, 503);
    assert_non_null(strstr(r.head, "Retry-After: 1"));
    assert_non_null(strstr(r.body, "all 1 generation slots are busy"));
    resp_free(&r);
    double heap_busy = metric(s.port, "serve_engine_heap_bytes");
    close(fd); /* the client leaves mid-stream */
    assert_true(metric_becomes(s.port, "serve_slots_in_use", 0));
    assert_true(metric(s.port, "serve_answers_total{finish=\"cancelled\"}") == 1);
    assert_true(metric(s.port, "serve_engine_heap_bytes") < heap_busy); /* its cache was freed */
    http(s.port, "POST", "/v1/completions", "{\"prompt\": \"the\", \"max_tokens\": 5}", &r);
    assert_int_equal(r.status, 200); /* the slot came back */
    resp_free(&r);
    /* so does a whole answer's, whose client leaves before anything was sent to it */
    close(long_answer(s.port, 0));
    assert_true(metric_becomes(s.port, "serve_slots_in_use", 0));
    assert_true(metric(s.port, "serve_answers_total{finish=\"cancelled\"}") == 2);
    assert_int_equal(server_stop(&s), 0);
}

static void test_a_client_that_sends_nothing_is_cut(void **state)
{
    (void)state;
    Server s;
    server_start(&s, NULL, "--read-timeout 1 --quiet");
    int fd = connect_to(s.port);
    const char part[] = "POST /v1/completions HTTP/1.1\r\nHost: x\r\n"; /* and then nothing */
    assert_int_equal(send(fd, part, sizeof part - 1, MSG_NOSIGNAL), (ssize_t)sizeof part - 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char c;
    ssize_t k = recv(fd, &c, 1, 0); /* blocks until the server closes (10 s at most: SO_RCVTIMEO) */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) * 1e-9;
    assert_int_equal(k, 0);
    assert_true(waited < 5.0);
    close(fd);
    Resp r;
    http(s.port, "GET", "/health", NULL, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    assert_int_equal(server_stop(&s), 0);
}

/* --max-connections 2 (one thread, so the limit is not divided): a third connection is
 * not accepted while two are open (it waits in the kernel's backlog, costing the server
 * nothing) and is answered when one of the two goes. */
static void test_connections_beyond_the_limit_wait(void **state)
{
    (void)state;
    Server s;
    server_start(&s, NULL, "--max-connections 2 --threads 1 --quiet");
    int a = connect_to(s.port), b = connect_to(s.port);
    usleep(100000); /* accepted by the server, not only by the kernel */
    int c = connect_to(s.port);
    struct timeval tv = {1, 0};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[256] = "";
    send(c, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 54, MSG_NOSIGNAL);
    assert_true(recv(c, buf, sizeof buf - 1, 0) < 0); /* no answer within 1 s */
    close(a);
    tv.tv_sec = 5;
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    assert_true(recv(c, buf, sizeof buf - 1, 0) > 0);
    assert_int_equal(strncmp(buf, "HTTP/1.1 200", 12), 0);
    close(c);
    close(b);
    assert_int_equal(server_stop(&s), 0);
}

/* SIGTERM with an answer in flight: it ends ("shutdown"), the server exits 0. Under the
 * asan build (when built) its leak check runs at that exit: a leak fails the exit. */
static void sigterm_mid_stream(const char *bin)
{
    Server s;
    server_start(&s, bin, "--max-tokens 100000");
    Resp r;
    http(s.port, "POST", "/v1/completions",
         "{\"prompt\": \"the king\", \"max_tokens\": 50, \"stream\": true}", &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    int fd = long_answer(s.port, 1);
    kill(s.pid, SIGTERM);
    if (!read_until(fd, "\"finish_reason\": \"shutdown\"")) {
        usleep(300000);
        test_sh("cat '%s'; ps -p %d", s.log, (int)s.pid);
        fail_msg("the stream in flight did not end with finish_reason shutdown");
    }
    close(fd);
    int st = 0;
    for (int i = 0; i < 3000 && waitpid(s.pid, &st, WNOHANG) != s.pid; i++)
        usleep(10000);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        test_sh("tail -5 '%s'", s.log);
        fail_msg("serve did not exit 0 after SIGTERM (status %d): see %s", st, s.log);
    }
    assert_int_equal(test_sh("grep -q 'stopped by SIGTERM' '%s'", s.log), 0);
}

static void test_sigterm_ends_answers_and_exits_clean(void **state)
{
    (void)state;
    sigterm_mid_stream(NULL);
    char asan[PATH_MAX + 32];
    snprintf(asan, sizeof asan, "%s/../asan/serve", g_dir);
    if (access(asan, X_OK)) {
        printf("(the asan build is not there: %s; make asan)\n", asan);
        return;
    }
    setenv("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0", 1);
    sigterm_mid_stream(asan);
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_slots_503_and_a_client_that_leaves_gives_its_slot_back),
        cmocka_unit_test(test_a_client_that_sends_nothing_is_cut),
        cmocka_unit_test(test_connections_beyond_the_limit_wait),
        cmocka_unit_test(test_sigterm_ends_answers_and_exits_clean),
    };
    test_filter_from_env();
    return cmocka_run_group_tests(tests, serve_model_setup, serve_model_teardown);
}
