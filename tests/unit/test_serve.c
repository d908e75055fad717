/* serve, the completions server (app/serve.c, docs/serve.md), as its clients see it: real
 * HTTP over loopback to build/<variant>/serve on a checkpoint the test trains on text it
 * writes (with markup in it, so that the model can answer markup), in the OpenAI API's
 * schema: completions and chats streamed and whole, the same seed giving the same text,
 * stop sequences, the models list; every bad request a clear 4xx that costs
 * nothing; the chat page in headless Chromium shows the streamed answer, and markup as
 * text; the official openai client's calls. Its connections (busy slots, clients that leave
 * or send nothing, SIGTERM): tests/unit/test_serve_conn.c. */
#include "servetest.h"

static Server g_srv; /* the shared server of the tests that need no special options */

static void test_whole_and_streamed_answers(void **state)
{
    (void)state;
    Resp a, b, st;
    const char *req =
        "{\"model\": \"model.ckpt\", \"prompt\": \"the king\", \"max_tokens\": 60, \"seed\": 7}";
    http(g_srv.port, "POST", "/v1/completions", req, &a);
    http(g_srv.port, "POST", "/v1/completions", req, &b);
    assert_int_equal(a.status, 200);
    json_t *ja = body_json(&a), *jb = body_json(&b);
    assert_string_equal(json_string_value(json_object_get(ja, "object")), "text_completion");
    assert_string_equal(json_string_value(json_object_get(ja, "model")), "model.ckpt");
    assert_int_equal(strncmp(json_string_value(json_object_get(ja, "id")), "cmpl-", 5), 0);
    assert_true(json_integer_value(json_object_get(ja, "created")) > 1700000000);
    const char *text = json_string_value(json_object_get(choice(ja), "text"));
    assert_non_null(text);
    assert_int_equal(strlen(text), 60); /* characters: a token a byte */
    assert_string_equal(text, json_string_value(json_object_get(choice(jb), "text"))); /* same seed */
    json_t *usage = json_object_get(ja, "usage");
    assert_int_equal(json_integer_value(json_object_get(usage, "completion_tokens")), 60);
    assert_int_equal(json_integer_value(json_object_get(usage, "prompt_tokens")), 8);
    assert_int_equal(json_integer_value(json_object_get(usage, "total_tokens")), 68);
    assert_string_equal(json_string_value(json_object_get(choice(ja), "finish_reason")), "length");
    /* framed so that node-fetch 2 (the openai client for Node) reads it: a whole answer
     * with its length, a stream ended by its connection, neither chunked (serve.c,
     * whole_answer) */
    const char *cl = strstr(a.head, "Content-Length: ");
    assert_non_null(cl);
    assert_int_equal(strtoul(cl + 16, NULL, 10), a.len);
    assert_null(strstr(a.head, "chunked"));

    http(g_srv.port, "POST", "/v1/completions",
         "{\"prompt\": \"the king\", \"max_tokens\": 60, \"seed\": 7, \"stream\": true, "
         "\"stream_options\": {\"include_usage\": true}}",
         &st);
    assert_int_equal(st.status, 200);
    assert_non_null(strstr(st.head, "Content-Type: text/event-stream"));
    assert_null(strstr(st.head, "chunked"));
    assert_non_null(strstr(st.head, "Connection: close"));
    char joined[4096];
    json_t *last;
    stream_text(&st, joined, sizeof joined, &last);
    assert_string_equal(joined, text); /* the chunks carry the same text */
    assert_non_null(last);
    assert_string_equal(json_string_value(json_object_get(choice(last), "finish_reason")), "length");
    assert_non_null(
        strstr(st.body, "\"choices\": [], \"usage\": {\"prompt_tokens\": 8, \"completion_tokens\": 60"));
    json_decref(last), json_decref(ja), json_decref(jb);
    resp_free(&a), resp_free(&b), resp_free(&st);
}

/* A chat: the messages through the chat template, the answer as a message, the stream as
 * deltas (the role first); the same seed, the same text, whole or streamed. */
static void test_chat_answers(void **state)
{
    (void)state;
    Resp a, st;
    const char *req =
        "{\"model\": \"model.ckpt\", \"messages\": [{\"role\": \"system\", \"content\": \"the king\"}, "
        "{\"role\": \"user\", \"content\": \"and queen\"}], \"max_completion_tokens\": 40, \"seed\": 5%s}";
    char body[512];
    snprintf(body, sizeof body, req, "");
    http(g_srv.port, "POST", "/v1/chat/completions", body, &a);
    assert_int_equal(a.status, 200);
    json_t *ja = body_json(&a), *msg = json_object_get(choice(ja), "message");
    assert_string_equal(json_string_value(json_object_get(ja, "object")), "chat.completion");
    assert_string_equal(json_string_value(json_object_get(msg, "role")), "assistant");
    const char *text = json_string_value(json_object_get(msg, "content"));
    const char *finish = json_string_value(json_object_get(choice(ja), "finish_reason"));
    assert_non_null(text);
    /* "the king\n\nUSER:\nand queen\n\nASSISTANT:\n": 8 + 2 + 6 + 9 + 2 + 11 tokens */
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ja, "usage"), "prompt_tokens")), 38);
    assert_true(!strcmp(finish, "length") || (!strcmp(finish, "stop") && strlen(text) < 40));
    assert_null(strstr(text, "\n\n")); /* a speech ends at a blank line */
    snprintf(body, sizeof body, req, ", \"stream\": true");
    http(g_srv.port, "POST", "/v1/chat/completions", body, &st);
    char joined[4096];
    json_t *last;
    stream_text(&st, joined, sizeof joined, &last);
    assert_string_equal(joined, text);
    assert_string_equal(json_string_value(json_object_get(choice(last), "finish_reason")), finish);
    assert_non_null(strstr(st.body, "\"object\": \"chat.completion.chunk\""));
    assert_non_null(strstr(st.body, "\"delta\": {\"role\": \"assistant\""));
    json_decref(last), json_decref(ja);
    resp_free(&a), resp_free(&st);
}

/* stop: generation ends before the sequence, streamed or whole (what could be its start is
 * held back from the stream), finish_reason "stop". */
static void test_stop_sequences(void **state)
{
    (void)state;
    Resp a, st, full;
    http(g_srv.port, "POST", "/v1/completions",
         "{\"prompt\": \"the king\", \"max_tokens\": 200, \"seed\": 3}", &full);
    json_t *jf = body_json(&full);
    const char *all = json_string_value(json_object_get(choice(jf), "text"));
    const char *cut = strstr(all + 1, "ee"); /* a two-byte stop past the first byte */
    if (!cut)
        cut = strstr(all + 1, "e");
    assert_non_null(cut);
    char stop[3] = {cut[0], cut[1] == 'e' ? 'e' : 0, 0}, req[256];
    snprintf(req, sizeof req,
             "{\"prompt\": \"the king\", \"max_tokens\": 200, \"seed\": 3, \"stop\": [\"%s\", \"zzz\"]%s}",
             stop, "");
    http(g_srv.port, "POST", "/v1/completions", req, &a);
    json_t *ja = body_json(&a);
    assert_string_equal(json_string_value(json_object_get(choice(ja), "finish_reason")), "stop");
    const char *text = json_string_value(json_object_get(choice(ja), "text"));
    assert_int_equal(strlen(text), (size_t)(cut - all));
    assert_int_equal(strncmp(text, all, strlen(text)), 0);
    snprintf(
        req, sizeof req,
        "{\"prompt\": \"the king\", \"max_tokens\": 200, \"seed\": 3, \"stop\": \"%s\", \"stream\": true}",
        stop);
    http(g_srv.port, "POST", "/v1/completions", req, &st);
    char joined[4096];
    json_t *last;
    stream_text(&st, joined, sizeof joined, &last);
    assert_string_equal(joined, text);
    assert_string_equal(json_string_value(json_object_get(choice(last), "finish_reason")), "stop");
    json_decref(last), json_decref(ja), json_decref(jf);
    resp_free(&a), resp_free(&st), resp_free(&full);
}

typedef struct Ask {
    int port, seed;
    char text[512];
} Ask;

static void *ask(void *arg)
{
    Ask *a = arg;
    char req[200];
    snprintf(req, sizeof req, "{\"prompt\": \"the king\", \"max_tokens\": 120, \"seed\": %d}", a->seed);
    Resp r;
    http(a->port, "POST", "/v1/completions", req, &r);
    json_t *j = json_loadb(r.body, r.len, 0, NULL);
    snprintf(a->text, sizeof a->text, "%s",
             json_string_value(json_object_get(choice(j), "text"))
                 ? json_string_value(json_object_get(choice(j), "text"))
                 : "(none)");
    json_decref(j);
    resp_free(&r);
    return NULL;
}

/* Four answers at once go through the model in one pass a token (their rows stacked): each
 * is the text its seed gives alone, character for character. */
static void test_batched_answers_are_the_answers_alone(void **state)
{
    (void)state;
    Ask alone[4], together[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        alone[i] = (Ask){.port = g_srv.port, .seed = 20 + i};
        ask(&alone[i]);
        together[i] = (Ask){.port = g_srv.port, .seed = 20 + i};
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, ask, &together[i]), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(strlen(alone[i].text), 120);
        if (strcmp(alone[i].text, together[i].text))
            fail_msg("seed %d: alone '%s', with three others '%s'", alone[i].seed, alone[i].text,
                     together[i].text);
    }
    assert_true(strcmp(alone[0].text, alone[1].text)); /* the seeds differ: so do the texts */
}

static void test_models(void **state)
{
    (void)state;
    Resp r;
    http(g_srv.port, "GET", "/v1/models", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *j = body_json(&r), *m = json_array_get(json_object_get(j, "data"), 0);
    assert_string_equal(json_string_value(json_object_get(j, "object")), "list");
    assert_string_equal(json_string_value(json_object_get(m, "id")), "model.ckpt"); /* the file's name */
    assert_string_equal(json_string_value(json_object_get(m, "object")), "model");
    json_decref(j), resp_free(&r);
    http(g_srv.port, "GET", "/v1/models/model.ckpt", NULL, &r);
    assert_int_equal(r.status, 200);
    resp_free(&r);
    http(g_srv.port, "GET", "/v1/models/gpt-4", NULL, &r);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "\"code\": \"model_not_found\""));
    resp_free(&r);
}

/* a prompt of 129 characters: one more than the context */
#define PROMPT_129                                                                                      \
    "the king and queen shall speak of love the king and queen shall speak of love the king and queen " \
    "shall "                                                                                            \
    "speak of love the king and"

/* A body over --max-body-kb (64): 413, announced or not; headers over MHD's 32 KiB: refused,
 * and the server goes on. */
static void oversized_requests_are_refused(void)
{
    size_t big = 70 * 1024;
    char *raw = malloc(80 * 1024 + 256); /* the largest of the three below */
    int n = snprintf(
        raw, 256,
        "POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n", big);
    memset(raw + n, ' ', big);
    Resp r;
    http_raw(g_srv.port, raw, (size_t)n + big, &r);
    assert_int_equal(r.status, 413);
    resp_free(&r);
    n = snprintf(raw, 256,
                 "POST /v1/completions HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: "
                 "chunked\r\n\r\n");
    for (int k = 0; k < 9; k++) /* 9 chunks of 8 KiB, no length given */
        n += sprintf(raw + n, "2000\r\n%8192s\r\n", "");
    n += sprintf(raw + n, "0\r\n\r\n");
    http_raw(g_srv.port, raw, (size_t)n, &r);
    assert_int_equal(r.status, 413);
    resp_free(&r);
    /* headers over MHD's 32 KiB connection memory: refused, and the server goes on */
    n = snprintf(raw, 256, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: ");
    memset(raw + n, 'a', 40000);
    memcpy(raw + n + 40000, "\r\n\r\n", 5);
    http_raw(g_srv.port, raw, (size_t)n + 40004, &r);
    assert_true(r.status == 431 || r.status == 413);
    resp_free(&r);
    free(raw);
}

/* Each bad request: its status and a word of what the message must say. */
static void test_bad_requests_get_4xx_and_cost_nothing(void **state)
{
    (void)state;
    double heap0 = metric(g_srv.port, "serve_engine_heap_bytes");
    static const struct {
        const char *method, *path, *body;
        int status;
        const char *says;
    } cases[] = {
        {"POST", "/v1/completions", "{\"prompt\": ", 400, "not JSON"},
        {"POST", "/v1/completions", "{\"prompt\": \"\xff\xfe\"}", 400, "not JSON (UTF-8)"},
        {"POST", "/v1/completions", "[\"the king\"]", 400, "must be a JSON object"},
        {"POST", "/v1/completions", "{\"max_tokens\": 5}", 400, "prompt is required"},
        {"POST", "/v1/completions", "{\"prompt\": 5}", 400, "prompt must be a string"},
        {"POST", "/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": \"5\"}", 400,
         "max_tokens must be an integer"},
        {"POST", "/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 99999}", 400,
         "from 1 to 1024 (got 99999)"},
        {"POST", "/v1/completions", "{\"prompt\": \"a\", \"temperature\": -1}", 400, "temperature"},
        {"POST", "/v1/completions", "{\"prompt\": \"a\", \"top_p\": 1.5}", 400, "top_p must be a number"},
        {"POST", "/v1/completions", "{\"prompt\": \"a\", \"stream\": 1}", 400,
         "stream must be true or false"},
        {"POST", "/v1/completions", "{\"prompt\": \"a\", \"stream_options\": {\"include_usage\": true}}", 400,
         "only allowed with stream true"},
        {"POST", "/v1/completions", "{\"prompt\": \"a\", \"n\": 2}", 400, "n must be 1"},
        {"POST", "/v1/completions", "{\"prompt\": \"a\", \"stop\": [\"a\", \"b\", \"c\", \"d\", \"e\"]}", 400,
         "up to 4 strings"},
        {"POST", "/v1/completions", "{\"prompt\": \"a\", \"max_token\": 5}", 400,
         "a completions request has model, prompt, max_tokens"},
        {"POST", "/v1/completions", "{\"prompt\": \"a\", \"logprobs\": 3}", 400,
         "\"code\": \"unsupported_parameter\""},
        {"POST", "/v1/completions", "{\"prompt\": \"a\", \"model\": \"gpt-4\"}", 404, "\"model_not_found\""},
        {"POST", "/v1/completions", "{\"prompt\": \"a\", \"prompt\": \"b\"}", 400, "duplicate"},
        {"POST", "/v1/completions", "{\"prompt\": \"" PROMPT_129 "\"}", 400, "at most 128 (its context)"},
        {"POST", "/v1/completions", "{\"prompt\": \"QZX\"}", 400, "never saw in training: 0x51"},
        {"POST", "/v1/chat/completions", "{\"prompt\": \"a\"}", 400, "a chat request has model, messages"},
        {"POST", "/v1/chat/completions", "{\"messages\": []}", 400, "messages is required"},
        {"POST", "/v1/chat/completions", "{\"messages\": [{\"role\": \"tool\", \"content\": \"a\"}]}", 400,
         "role must be system, developer, user or assistant"},
        {"POST", "/v1/chat/completions",
         "{\"messages\": [{\"role\": \"user\", \"content\": \"a\"}], \"tools\": [{\"type\": \"function\"}]}",
         400, "tools is not supported"},
        {"GET", "/v1/completions", NULL, 405, "use POST"},
        {"POST", "/metrics", "{}", 405, "only GET"},
        {"GET", "/admin", NULL, 404, "no such path: /admin"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        Resp r;
        http(g_srv.port, cases[i].method, cases[i].path, cases[i].body, &r);
        if (r.status != cases[i].status || !strstr(r.body, cases[i].says))
            fail_msg("%s %s %s: got %d %s; expected %d saying '%s'", cases[i].method, cases[i].path,
                     cases[i].body ? cases[i].body : "", r.status, r.body, cases[i].status, cases[i].says);
        json_decref(body_json(&r)); /* every error is JSON */
        resp_free(&r);
    }
    oversized_requests_are_refused();
    assert_int_equal(metric(g_srv.port, "serve_slots_in_use"), 0);
    assert_int_equal(metric(g_srv.port, "serve_engine_heap_bytes"), heap0); /* nothing kept */
}

static void test_health_metrics_and_page_headers(void **state)
{
    (void)state;
    Resp r;
    http(g_srv.port, "GET", "/health", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "\"status\": \"ok\""));
    resp_free(&r);
    http(g_srv.port, "GET", "/metrics", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Content-Type: text/plain; version=0.0.4"));
    static const char *names[] = {"# TYPE serve_requests_total counter",
                                  "serve_requests_total{status=\"200\"} ",
                                  "serve_tokens_generated_total ",
                                  "serve_tokens_per_second ",
                                  "serve_slots 4\n",
                                  "serve_slots_in_use ",
                                  "serve_engine_heap_bytes ",
                                  "serve_resident_bytes "};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strstr(r.body, names[i]))
            fail_msg("/metrics has no '%s':\n%s", names[i], r.body);
    resp_free(&r);
    http(g_srv.port, "GET", "/", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.head, "Content-Security-Policy: default-src 'none'; script-src 'self'"));
    assert_non_null(strstr(r.body, "<script src=\"/app.js\""));
    assert_null(strstr(r.body, "http")); /* nothing fetched from elsewhere */
    resp_free(&r);
}

/* The chat page in headless Chromium (tests/browser/chat_page.py): a prompt full of
 * markup typed and sent, the answer streamed onto the page, the markup shown as text. */
static void test_chat_page_in_chromium(void **state)
{
    (void)state;
    if (test_sh("command -v chromium >/dev/null && command -v python3 >/dev/null")) {
        skip(); /* make test installs chromium (tools/ensure-deps test); make check may not have it */
        return;
    }
    int rc = test_sh(
        "python3 %s/../../tests/browser/chat_page.py http://127.0.0.1:%d/ '%s/chat.png' >'%s/chat.log' 2>&1",
        g_dir, g_srv.port, test_tmpdir(), test_tmpdir());
    if (rc) {
        test_sh("cat '%s/chat.log'", test_tmpdir());
        fail_msg("the chat page check failed (exit %d)", rc);
    }
    char png[PATH_MAX + 16];
    snprintf(png, sizeof png, "%s/chat.png", test_tmpdir());
    struct stat st;
    assert_int_equal(stat(png, &st), 0);
    assert_true(st.st_size > 5000);
    if (getenv("SERVE_SCREENSHOT")) /* to look at it: SERVE_SCREENSHOT=FILE */
        test_sh("cp '%s' '%s'", png, getenv("SERVE_SCREENSHOT"));
}

/* The official `openai` client from npm (tests/clients/openai_client.cjs): a completion, a
 * stream, a chat, a chat stream, the models, a wrong model, a refused field and a 503, as
 * the client reads them. Installed by tools/ensure-npm the first time (pinned; ~10 s), as the
 * tests' other npm tools are (npm_tool): make test gives it node (npm: tools/npm). */
static void test_openai_client(void **state)
{
    (void)state;
    char mods[PATH_MAX + 64];
    snprintf(mods, sizeof mods, "%s/../npm/openai/node_modules", g_dir);
    if (test_sh("command -v node >/dev/null")) {
        printf("(skipped: node is not installed: apt-get install nodejs, as make test does)\n");
        skip();
        return;
    }
    if (test_sh("'%s/../../tools/ensure-npm' >'%s/npm.log' 2>&1", g_dir, test_tmpdir())) {
        test_sh("cat '%s/npm.log'", test_tmpdir());
        fail_msg("tools/ensure-npm could not install the openai client (its output above)");
    }
    Server s;
    server_start(&s, NULL, "--slots 1 --max-tokens 100000 --quiet");
    int rc = test_sh("NODE_PATH='%s' timeout 120 node '%s/../../tests/clients/openai_client.cjs' "
                     "http://127.0.0.1:%d/v1 model.ckpt >'%s/openai.log' 2>&1",
                     mods, g_dir, s.port, test_tmpdir());
    test_sh("cat '%s/openai.log'", test_tmpdir());
    assert_int_equal(server_stop(&s), 0);
    if (rc)
        fail_msg("the openai client's checks failed (exit %d)", rc);
}

static int setup(void **state)
{
    if (serve_model_setup(state))
        return -1;
    server_start(&g_srv, NULL, "--slots 4 --quiet");
    return 0;
}

static int teardown(void **state)
{
    int rc = server_stop(&g_srv);
    return serve_model_teardown(state) || rc;
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_and_streamed_answers),
        cmocka_unit_test(test_chat_answers),
        cmocka_unit_test(test_stop_sequences),
        cmocka_unit_test(test_models),
        cmocka_unit_test(test_batched_answers_are_the_answers_alone),
        cmocka_unit_test(test_bad_requests_get_4xx_and_cost_nothing),
        cmocka_unit_test(test_health_metrics_and_page_headers),
        cmocka_unit_test(test_chat_page_in_chromium),
        cmocka_unit_test(test_openai_client),
    };
    test_filter_from_env();
    return cmocka_run_group_tests(tests, setup, teardown);
}
