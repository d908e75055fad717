/* servetest.h - a server under test and a small HTTP/1.1 client for the tests of serve
 * (tests/unit/test_serve.c, test_serve_conn.c): the server started on a free port and stopped (SIGTERM, its
 * exit status), requests over loopback, chunked answers undone, server-sent events read
 * back into text, a Prometheus metric read and waited for; the model they serve, trained
 * on a text the tests write. */
#ifndef TESTS_SERVETEST_H
#define TESTS_SERVETEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

static char g_dir[PATH_MAX]; /* build/<variant> */
static char g_ckpt[PATH_MAX + 32];

typedef struct Server {
    pid_t pid;
    int port;
    char log[PATH_MAX + 64];
} Server;

/* ---- a server ----------------------------------------------------------------------- */

/* Every server started, so that one left by a failed test is killed at teardown. */
static pid_t g_started[64];
static int g_n_started;

/* Starts BIN (serve of g_dir when NULL) on g_ckpt with extra args; waits for its port. */
static inline void server_start(Server *s, const char *bin, const char *args)
{
    static int n;
    snprintf(s->log, sizeof s->log, "%s/serve-%d.log", test_tmpdir(), ++n);
    char cmd[PATH_MAX * 6];
    char own[PATH_MAX + 16];
    snprintf(own, sizeof own, "%s/serve", g_dir);
    snprintf(cmd, sizeof cmd, "exec %s --checkpoint '%s' --port 0 %s >/dev/null 2>'%s'", bin ? bin : own,
             g_ckpt, args, s->log);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    if (g_n_started < 64)
        g_started[g_n_started++] = s->pid;
    s->port = 0;
    for (int i = 0; i < 3000 && !s->port; i++) { /* 30 s: ASan starts slowly on a busy machine */
        FILE *f = fopen(s->log, "r");
        char line[512];
        while (f && fgets(line, sizeof line, f))
            if (sscanf(line, "serve: listening on http://127.0.0.1:%d/", &s->port) == 1)
                break;
        if (f)
            fclose(f);
        if (!s->port)
            usleep(10000);
    }
    if (!s->port)
        fail_msg("serve did not start: see %s", s->log);
}

/* SIGTERM, then its exit status (-signal when it died of one). */
static inline int server_stop(Server *s)
{
    int st = 0;
    kill(s->pid, SIGTERM);
    for (int i = 0; i < 3000; i++) {
        if (waitpid(s->pid, &st, WNOHANG) == s->pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
        usleep(10000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &st, 0);
    fail_msg("serve did not stop within 30 s of SIGTERM (%s)", s->log);
    return -1;
}

/* ---- HTTP by hand ------------------------------------------------------------------------ */

static inline int connect_to(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

typedef struct Resp {
    int status;
    char head[8192];
    char *body; /* de-chunked, NUL-terminated (malloc) */
    size_t len;
} Resp;

static inline void resp_free(Resp *r)
{
    free(r->body);
    r->body = NULL;
}

/* The body of a chunked response, in place. */
static inline size_t dechunk(char *b, size_t n)
{
    size_t in = 0, out = 0;
    while (in < n) {
        char *end;
        unsigned long k = strtoul(b + in, &end, 16);
        char *crlf = strstr(end, "\r\n");
        if (!crlf || !k)
            break;
        in = (size_t)(crlf + 2 - b);
        memmove(b + out, b + in, k);
        out += k, in += k + 2;
    }
    b[out] = 0;
    return out;
}

/* Sends raw (a whole request, Connection: close) and reads the answer to its end. */
static inline void http_raw(int port, const char *raw, size_t rawlen, Resp *r)
{
    int fd = connect_to(port);
    for (size_t off = 0; off < rawlen;) {
        ssize_t w = send(fd, raw + off, rawlen - off, MSG_NOSIGNAL);
        if (w <= 0)
            break; /* the server may answer (413) and close before the whole body is sent */
        off += (size_t)w;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (ssize_t k; (k = recv(fd, buf + n, cap - n - 1, 0)) > 0;)
        if ((n += (size_t)k) + 1 >= cap)
            buf = realloc(buf, cap *= 2);
    buf[n] = 0;
    close(fd);
    memset(r, 0, sizeof *r);
    sscanf(buf, "HTTP/1.1 %d", &r->status);
    char *sep = strstr(buf, "\r\n\r\n");
    size_t hl = sep ? (size_t)(sep - buf) : n;
    snprintf(r->head, sizeof r->head, "%.*s", (int)(hl < sizeof r->head - 1 ? hl : sizeof r->head - 1), buf);
    r->body = strdup(sep ? sep + 4 : "");
    r->len = strlen(r->body);
    if (strstr(r->head, "Transfer-Encoding: chunked"))
        r->len = dechunk(r->body, r->len);
    free(buf);
}

static inline void http(int port, const char *method, const char *path, const char *body, Resp *r)
{
    char raw[1 << 17];
    int n = snprintf(
        raw, sizeof raw,
        "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
        "Content-Length: %zu\r\n\r\n%s",
        method, path, body ? strlen(body) : 0, body ? body : "");
    http_raw(port, raw, (size_t)n, r);
}

/* A number of the /metrics text: the sample line starting with `name ` (or -1). */
static inline double metric(int port, const char *name)
{
    Resp r;
    http(port, "GET", "/metrics", NULL, &r);
    double v = -1;
    size_t nl = strlen(name);
    for (char *p = r.body; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (!strncmp(p, name, nl) && p[nl] == ' ')
            v = strtod(p + nl + 1, NULL);
    resp_free(&r);
    return v;
}

/* Waits up to 5 s for a metric to read want. */
static inline int metric_becomes(int port, const char *name, double want)
{
    for (int i = 0; i < 500; i++) {
        if (metric(port, name) == want)
            return 1;
        usleep(10000);
    }
    return 0;
}

static inline json_t *body_json(const Resp *r)
{
    json_t *j = json_loadb(r->body, r->len, 0, NULL);
    if (!j)
        fail_msg("not JSON: %s", r->body);
    return j;
}

/* The text of a streamed answer (its events' "text" joined) and its last event. */
static inline void stream_text(const Resp *r, char *text, size_t cap, json_t **last)
{
    size_t n = 0;
    *last = NULL;
    for (const char *p = strstr(r->body, "data: "); p; p = strstr(p + 1, "\n\ndata: ")) {
        const char *d = p[0] == 'd' ? p + 6 : p + 8, *end = strstr(d, "\n\n");
        if (!strncmp(d, "[DONE]\n\n", 8))
            break;
        json_t *e = json_loadb(d, end ? (size_t)(end - d) : strlen(d), 0, NULL);
        if (!e)
            fail_msg("an event that is not JSON: %.80s", d);
        json_t *ch = json_array_get(json_object_get(e, "choices"), 0);
        json_t *t = json_object_get(ch, "text");
        t = t ? t : json_object_get(json_object_get(ch, "delta"), "content");
        if (json_string_value(t))
            n += (size_t)snprintf(text + n, cap - n, "%s", json_string_value(t));
        if (json_object_get(e, "usage") || !ch) {
            json_decref(e); /* the usage chunk: kept apart (*last is the one that finished) */
            continue;
        }
        json_decref(*last);
        *last = e;
    }
    if (!strstr(r->body, "\n\ndata: [DONE]\n\n"))
        fail_msg("the stream does not end with data: [DONE]: ...%.200s",
                 r->body + (strlen(r->body) > 200 ? strlen(r->body) - 200 : 0));
}

/* The first choice of an answer, or of a chunk, and a field of it. */
static inline json_t *choice(json_t *answer)
{
    return json_array_get(json_object_get(answer, "choices"), 0);
}

/* ---- tests ------------------------------------------------------------------------------ */

/* The test's text: lines of words, with markup among them, so that the model knows '<', in
 * speeches of USER and ASSISTANT, as a play, so that it can answer a chat. */
static inline void write_text(const char *path)
{
    static const char *w[] = {
        "the", "king", "and",         "queen", "shall",       "speak",
        "of",  "love", "<b>bold</b>", "&",     "<i>fair</i>", "<img src=x onerror=\"document.title=1\">"};
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    unsigned x = 1;
    for (int line = 0; line < 400; line++) { /* as a play: speeches of four lines (the chat template's) */
        if (line % 4 == 0)
            fprintf(f, "%s:\n", line % 8 ? "ASSISTANT" : "USER");
        for (int k = 0; k < 12; k++) {
            x = x * 1103515245u + 12345u;
            fprintf(f, "%s%c", w[(x >> 16) % 12], k == 11 ? '\n' : ' ');
        }
        if (line % 4 == 3)
            fputc('\n', f);
    }
    fclose(f);
}

/* cmocka group setup of the serve tests: the scratch folder, the test's text and g_ckpt, a
 * --tiny model trained on it (context 128). */
static inline int serve_model_setup(void **state)
{
    if (tmpdir_setup(state))
        return -1;
    char text[PATH_MAX + 16];
    snprintf(text, sizeof text, "%s/text.txt", test_tmpdir());
    snprintf(g_ckpt, sizeof g_ckpt, "%s/model.ckpt", test_tmpdir());
    write_text(text);
    return test_sh("%s/train_full --tiny 200 --ctx 128 --quiet --data '%s' --save '%s' >/dev/null", g_dir,
                   text, g_ckpt)
               ? -1
               : 0;
}

/* ... and its teardown: every server a test started and left is killed, the folder removed. */
static inline int serve_model_teardown(void **state)
{
    for (int i = 0; i < g_n_started; i++) /* stopped (reaped) ones are gone: ESRCH */
        if (kill(g_started[i], SIGKILL) == 0)
            waitpid(g_started[i], NULL, 0);
    return tmpdir_teardown(state);
}

#endif
