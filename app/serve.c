/* serve - an HTTP/1.1 server of completions on the engine (docs/serve.md).
 *
 *   serve --checkpoint FILE [--tokenizer-file FILE] [--host ADDR] [--port N] [--slots N]
 *
 * POST /v1/completions, POST /v1/chat/completions and GET /v1/models in the OpenAI API's
 * schema (the one every client library speaks), GET /health, GET /metrics (Prometheus
 * text), GET / (a chat page).
 *
 * Threads. libmicrohttpd reads and writes every connection from a small pool of threads
 * (--threads, epoll), which never wait: a response with nothing to send yet suspends its
 * connection, and the engine resumes it when there is (no thread per connection, so
 * thousands of clients cost no threads, and LeakSanitizer's thread table does not
 * overflow: it crashed after ~500 short-lived threads). One engine thread does every piece
 * of engine work (gen_init, gen_feed, gen_sample, gen_free: the engine's allocation
 * counters belong to one thread): each turn it draws a token for every busy slot, then
 * feeds them all to the model in one pass, their rows stacked in each product
 * (gen_feed_batch), so several answers advance together for little more than one costs. A slot holds one
 * answer: its generator (key/value cache), the text so far and where its reader is. Everything shared is
 * under one mutex (g.mu); `work` wakes the engine.
 *
 * A slot is taken when a request is accepted and given back when both the engine is done
 * with it and its response is gone (sent, or the client left: then the engine stops the
 * answer at its next token). With every slot busy a request gets 503 with Retry-After: no
 * queue, so that memory and latency stay bounded by --slots and clients or a balancer
 * decide what to do (docs/serve.md says why).
 *
 * Each request answered is a step for the flatmem soak (include/flatmem.h).
 * Exit 0 after SIGTERM or SIGINT (answers in flight are ended, "finish_reason": "shutdown",
 * everything freed); 2 on bad usage; 1 when it cannot listen or memory runs out. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../include/flatmem.h"
#include "blas_select.h"
#include "fault.h"
#include "generate.h"
#include "mem.h"
#include "opt.h"
#include "serve_page.h"
#include "serve_req.h"
#include "textmodel.h"

typedef struct Opts {
    const char *checkpoint, *tokenizer_file, *host, *model_name, *chat_user, *chat_assistant;
    long port, slots, threads, max_tokens, default_tokens, max_connections, max_body_kb, read_timeout;
    int quiet;
} Opts;

enum { SLOT_FREE, SLOT_NEW, SLOT_RUNNING, SLOT_DONE };

typedef struct Slot {
    int state;
    ServeReq req;
    int32_t *ids; /* the prompt's tokens */
    long n_ids;
    long fed; /* of them, fed to the model so far (a token a pass, in the batch) */
    Generator g;
    int g_live; /* g holds a cache */
    Rng rng;
    char *out; /* the generated text: room for max_tokens tokens */
    size_t len, sent; /* bytes generated; bytes the reader has sent */
    long tokens;
    const char *finish; /* "stop", "length", "cancelled", "shutdown", "error" */
    size_t safe; /* bytes of out the reader may send: not a stop sequence's possible start */
    unsigned long long id; /* the answer's number: "cmpl-N", "chatcmpl-N" */
    long long created; /* the Unix time it was taken */
    int head_sent; /* stream of a chat: the chunk with the role went out */
    int usage_sent, done_sent; /* stream: the usage chunk, "data: [DONE]" */
    int reader_gone; /* the response is destroyed (sent or the client left) */
    int end_sent; /* stream: the last event went out */
    char *json; /* whole answer (stream false), built once when done */
    size_t json_len;
    double t_start, t_first, t_end;
    struct MHD_Connection *conn; /* the connection answered */
    int suspended; /* its reader found nothing to send and suspended the connection */
} Slot;

static struct {
    Opts o;
    TextModel tm;
    size_t max_tok_bytes;
    Slot *slot;
    pthread_mutex_t mu;
    pthread_cond_t work;
    int stopping;
    struct MHD_Daemon *d;
    /* figures (under mu) */
    unsigned long long tokens_total, requests_done, seed_next, answers;
    long long created; /* when it started: the model's "created" */
    unsigned long long status_count[8], finish_count[6];
    char model_json[6 * 128 + 1]; /* the model's name, as the inside of a JSON string */
    double rate_t0, rate;
    unsigned long long rate_tokens;
    MemStats mem; /* the engine thread's, published after each change */
    long slots_busy;
} g;

static const int k_status[8] = {200, 400, 404, 405, 413, 503, 500, 0};
static const char *const k_finish[6] = {"stop", "length", "cancelled", "shutdown", "error", NULL};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- the engine thread -------------------------------------------------------------- */

/* Connections to resume once mu is let go: a reader that found nothing to send suspended
 * its connection (MHD's pool threads never wait); new text or the answer's end resumes it.
 * Resuming outside mu keeps MHD's locks and ours in one order. */
static struct MHD_Connection **g_resume;
static long g_n_resume;

/* A turn's pass (the engine thread's only): the scratch of its batch, and the slots, their
 * generators and tokens fed together ([slots] each). */
static GenBatch g_batch;
static Slot **g_fed;
static Generator **g_gens;
static int32_t *g_toks;

static void wake_reader(Slot *s)
{
    if (s->suspended) {
        s->suspended = 0;
        g_resume[g_n_resume++] = s->conn;
    }
}

static void resume_readers(void)
{
    for (long i = 0; i < g_n_resume; i++)
        MHD_resume_connection(g_resume[i]);
    g_n_resume = 0;
}

/* A slot whose engine work and response are both over goes back to the pool (under mu). */
static void slot_release_if_over(Slot *s)
{
    if (s->state != SLOT_DONE || !s->reader_gone)
        return;
    serve_req_free(&s->req);
    free(s->ids);
    free(s->out);
    free(s->json);
    *s = (Slot){.state = SLOT_FREE};
    g.slots_busy--;
}

/* The answer is over (under mu; the engine thread). */
static void slot_finish(Slot *s, const char *why)
{
    if (s->g_live) {
        if (s->reader_gone && fault_slot_leak())
            memset(&s->g, 0, sizeof s->g); /* the slot_leak fault: the cache is lost */
        else
            gen_free(&s->g);
        s->g_live = 0;
    }
    fault_request_text(s->req.prompt, s->req.prompt_len, s->out, s->len);
    s->safe = s->len; /* all of it may go now */
    s->finish = why;
    for (int i = 0; k_finish[i]; i++)
        g.finish_count[i] += !strcmp(k_finish[i], why);
    s->t_end = now_s();
    s->state = SLOT_DONE;
    g.mem = mem_stats();
    wake_reader(s);
    slot_release_if_over(s);
}

/* A new answer: its cache (outside mu); its prompt is fed a token a pass with the other
 * slots' rows (engine_turn). 0, or -1 out of memory. */
static int slot_start(Slot *s)
{
    if (gen_init(&s->g, &g.tm.m) != ENG_OK)
        return -1;
    s->g_live = 1;
    s->fed = 0;
    rng_seed(&s->rng, s->req.seed);
    return 0;
}

/* The stop sequences of s's answer: the request's, and for a chat the end of the speech. */
static int slot_stops(const Slot *s, const char **stop, size_t *len)
{
    int n = 0;
    for (int i = 0; i < s->req.n_stop; i++)
        stop[n] = s->req.stop[i], len[n++] = s->req.stop_len[i];
    if (s->req.kind == SERVE_CHAT)
        stop[n] = SERVE_CHAT_END, len[n++] = strlen(SERVE_CHAT_END);
    return n;
}

/* After from bytes of s's text were there: 1 when a stop sequence is now in it (the text
 * ends before it); else s->safe is how much may be sent (what could still become a stop
 * sequence with the next token is held back). */
static int slot_stopped(Slot *s, size_t from)
{
    const char *stop[SERVE_MAX_STOP + 1];
    size_t len[SERVE_MAX_STOP + 1];
    int n = slot_stops(s, stop, len);
    size_t held = 0;
    for (int i = 0; i < n; i++) {
        size_t start = from >= len[i] ? from - len[i] + 1 : 0;
        for (size_t p = start; p + len[i] <= s->len; p++)
            if (!memcmp(s->out + p, stop[i], len[i])) {
                s->len = s->safe = p;
                return 1;
            }
        for (size_t k = len[i] - 1; k > held; k--) /* the longest end of the text that starts it */
            if (k <= s->len && !memcmp(s->out + s->len - k, stop[i], k)) {
                held = k;
                break;
            }
    }
    s->safe = s->len - held;
    return 0;
}

/* The next token of slot s, drawn from its logits and added to its text (mu held on entry
 * and exit): 1 when the answer goes on (the token is then to be fed), 0 when it ended. */
static int slot_token(Slot *s, int32_t *tok)
{
    pthread_mutex_unlock(&g.mu);
    int32_t t = gen_sample(&s->g, (float)s->req.temperature, (int)s->req.top_k, (float)s->req.top_p, &s->rng);
    size_t n;
    const char *p = tm_token(&g.tm, t, &n);
    double now = now_s();
    pthread_mutex_lock(&g.mu);
    size_t from = s->len;
    memcpy(s->out + s->len, p, n);
    s->len += n;
    if (!s->tokens++)
        s->t_first = now;
    g.tokens_total++, g.rate_tokens++;
    if (now - g.rate_t0 >= 2.0) {
        g.rate = (double)g.rate_tokens / (now - g.rate_t0);
        g.rate_t0 = now, g.rate_tokens = 0;
    }
    if (slot_stopped(s, from))
        slot_finish(s, "stop");
    else if (s->tokens >= s->req.max_tokens)
        slot_finish(s, "length");
    else
        wake_reader(s);
    *tok = t;
    return s->state == SLOT_RUNNING;
}

/* One turn over the slots (mu held): starts new answers, takes the next token of each busy
 * one (of its prompt while the prompt is not all fed, else drawn from the model), then feeds
 * them to the model in one pass (their rows stacked: the weights read once for all;
 * gen_feed_batch). A prompt thus shares its passes with the answers under way rather than
 * holding them up (four prompts of 7 tokens took 0.5 s of GPT-2 small's passes, one after
 * the other, before any of the four had a token). The number of answers still going. */
static int engine_turn(void)
{
    int n = 0;
    for (long i = 0; i < g.o.slots; i++) {
        Slot *s = &g.slot[i];
        if (s->state == SLOT_NEW) {
            pthread_mutex_unlock(&g.mu);
            int rc = slot_start(s);
            pthread_mutex_lock(&g.mu);
            s->state = SLOT_RUNNING;
            g.mem = mem_stats();
            if (rc) {
                slot_finish(s, "error");
                continue;
            }
        }
        if (s->state != SLOT_RUNNING)
            continue;
        if (s->reader_gone || g.stopping) {
            slot_finish(s, s->reader_gone ? "cancelled" : "shutdown");
            continue;
        }
        if (s->fed < s->n_ids)
            g_toks[n] = s->ids[s->fed++], g_fed[n] = s, g_gens[n++] = &s->g;
        else if (slot_token(s, &g_toks[n]))
            g_fed[n] = s, g_gens[n++] = &s->g;
    }
    if (!n)
        return 0;
    pthread_mutex_unlock(&g.mu);
    EngErr e = gen_feed_batch(&g_batch, g_gens, g_toks, n);
    pthread_mutex_lock(&g.mu);
    for (int k = 0; e != ENG_OK && k < n; k++) /* out of memory (the kv_grow fault's growth) */
        if (g_fed[k]->state == SLOT_RUNNING)
            slot_finish(g_fed[k], "error");
    return e == ENG_OK ? n : 0;
}

static void *engine_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g.mu);
    if (gen_batch_init(&g_batch, &g.tm.m, (int)g.o.slots) != ENG_OK) {
        fprintf(stderr, "serve: out of memory for the engine's batch of %ld slots\n", g.o.slots);
        g.stopping = 1; /* every request gets 503 "shutting down" */
    }
    for (;;) {
        int busy = engine_turn();
        if (g_n_resume) {
            pthread_mutex_unlock(&g.mu);
            resume_readers();
            pthread_mutex_lock(&g.mu);
        }
        int pending = 0; /* looked at after the resumes: a request taken meanwhile is seen */
        for (long i = 0; i < g.o.slots; i++)
            pending |= g.slot[i].state == SLOT_NEW;
        if (busy || pending)
            continue;
        if (g.stopping)
            break;
        pthread_cond_wait(&g.work, &g.mu);
    }
    gen_batch_free(&g_batch);
    g.mem = mem_stats();
    pthread_mutex_unlock(&g.mu);
    return NULL;
}

/* ---- responses -------------------------------------------------------------------------- */

static void count_status(int code)
{
    pthread_mutex_lock(&g.mu);
    int i = 0;
    while (k_status[i] && k_status[i] != code)
        i++;
    g.status_count[i]++;
    pthread_mutex_unlock(&g.mu);
}

static enum MHD_Result send_body(struct MHD_Connection *c, int code, const char *type, const char *body,
                                 size_t len)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    if (code == 503)
        MHD_add_response_header(r, "Retry-After", "1");
    if (!strncmp(type, "text/html", 9) || !strncmp(type, "text/css", 8) ||
        !strncmp(type, "text/javascript", 15))
        MHD_add_response_header(r, "Content-Security-Policy", serve_page_csp);
    count_status(code);
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)code, r);
    MHD_destroy_response(r);
    return rc;
}

/* The API's error object: {"error": {"message", "type", "param", "code"}} (param and code
 * null when empty); type invalid_request_error for 4xx, server_error for 5xx. */
static enum MHD_Result send_api_error(struct MHD_Connection *c, int status, const char *code,
                                      const char *param, const char *msg)
{
    char esc[6 * 700 + 1], p[6 * 64 + 1], body[sizeof esc + sizeof p + 200];
    size_t n = 0, m = 0;
    serve_json_text(msg, strnlen(msg, 700), 1, esc, &n);
    serve_json_text(param ? param : "", param ? strnlen(param, 64) : 0, 1, p, &m);
    int has_code = code && *code;
    int len = snprintf(
        body, sizeof body,
        "{\"error\": {\"message\": \"%s\", \"type\": \"%s\", \"param\": %s%s%s, \"code\": %s%s%s}}\n", esc,
        status >= 500 ? "server_error" : "invalid_request_error", m ? "\"" : "", m ? p : "null",
        m ? "\"" : "", has_code ? "\"" : "", has_code ? code : "null", has_code ? "\"" : "");
    return send_body(c, status, "application/json", body, (size_t)len);
}

__attribute__((format(printf, 4, 5))) static enum MHD_Result
send_error(struct MHD_Connection *c, int status, const char *code, const char *fmt, ...)
{
    char msg[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return send_api_error(c, status, code, NULL, msg);
}

/* The fields every answer and chunk start with, up to its choices' opening (under mu). */
static int answer_head(const Slot *s, const char *object, char *buf, size_t cap)
{
    return snprintf(buf, cap,
                    "{\"id\": \"%s-%llu\", \"object\": \"%s\", \"created\": %lld, \"model\": \"%s\", "
                    "\"choices\": [",
                    s->req.kind == SERVE_CHAT ? "chatcmpl" : "cmpl", s->id, object, s->created, g.model_json);
}

/* The usage and our own figures after the choices (under mu). */
static int answer_usage(const Slot *s, char *buf, size_t cap)
{
    double gen = s->t_end - s->t_start;
    return snprintf(buf, cap,
                    "\"usage\": {\"prompt_tokens\": %ld, \"completion_tokens\": %ld, \"total_tokens\": %ld}, "
                    "\"seed\": %llu, \"timings\": {\"seconds\": %.6f, \"first_token_seconds\": %.6f}",
                    s->n_ids, s->tokens, s->n_ids + s->tokens, (unsigned long long)s->req.seed, gen,
                    s->tokens ? s->t_first - s->t_start : 0.0);
}

/* Nothing to send yet (under mu): the connection waits, suspended, for the engine to
 * resume it; MHD calls the reader again then. */
static ssize_t suspend_reader(Slot *s)
{
    s->suspended = 1;
    MHD_suspend_connection(s->conn);
    return 0;
}

/* A chunk of a stream up to where its text goes: a completion's "text": ", a chat's delta
 * (the role in its first chunk, "content": " when text). */
static size_t chunk_open(const Slot *s, int text, char *buf, size_t max)
{
    int chat = s->req.kind == SERVE_CHAT;
    size_t w = (size_t)snprintf(buf, max, "data: ");
    w += (size_t)answer_head(s, chat ? "chat.completion.chunk" : "text_completion", buf + w, max - w);
    if (!chat)
        return w + (size_t)snprintf(buf + w, max - w, "{\"index\": 0, \"text\": \"");
    return w + (size_t)snprintf(buf + w, max - w, "{\"index\": 0, \"delta\": {%s%s%s",
                                s->head_sent ? "" : "\"role\": \"assistant\"",
                                text && !s->head_sent ? ", " : "", text ? "\"content\": \"" : "");
}

/* The rest of a chunk after its text: the choice's end, finish_reason (or null). */
static size_t chunk_close(const Slot *s, int text, const char *finish, char *buf, size_t w, size_t max)
{
    const char *after = s->req.kind != SERVE_CHAT ? "\", " : text ? "\"}, " : "}, ";
    return w + (size_t)snprintf(buf + w, max - w, "%s\"logprobs\": null, \"finish_reason\": %s%s%s}]}\n\n",
                                after, finish ? "\"" : "", finish ? finish : "null", finish ? "\"" : "");
}

/* The next event of a stream, into buf (under mu): text, the end, usage, [DONE]; 0: none. */
static size_t stream_event(Slot *s, char *buf, size_t max)
{
    int done = s->state == SLOT_DONE, chat = s->req.kind == SERVE_CHAT;
    if (s->sent < s->safe) {
        size_t room = (max - 1600) / 6, avail = s->safe - s->sent, take = avail < room ? avail : room;
        size_t w = chunk_open(s, 1, buf, max);
        size_t used = serve_json_text(s->out + s->sent, take, done && take == avail, buf, &w);
        if (used) {
            s->sent += used;
            w = chunk_close(s, 1, NULL, buf, w, max);
            s->head_sent = 1;
            return w;
        }
    }
    if (!done)
        return 0;
    if (!s->end_sent) {
        size_t w = chunk_open(s, !chat, buf, max);
        s->end_sent = s->head_sent = 1;
        return chunk_close(s, !chat, s->finish, buf, w, max);
    }
    if (s->req.include_usage && !s->usage_sent) {
        size_t w = (size_t)snprintf(buf, max, "data: ");
        w += (size_t)answer_head(s, chat ? "chat.completion.chunk" : "text_completion", buf + w, max - w);
        w += (size_t)snprintf(buf + w, max - w, "], ");
        w += (size_t)answer_usage(s, buf + w, max - w);
        s->usage_sent = 1;
        return w + (size_t)snprintf(buf + w, max - w, "}\n\n");
    }
    if (!s->done_sent) {
        s->done_sent = 1;
        return (size_t)snprintf(buf, max, "data: [DONE]\n\n");
    }
    return 0;
}

/* stream true: server-sent events of chunks in the API's schema as the text comes, a last
 * one with finish_reason, one with usage when stream_options.include_usage asked, then
 * `data: [DONE]` (docs/serve.md). */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    Slot *s = cls;
    pthread_mutex_lock(&g.mu);
    ssize_t n = (ssize_t)stream_event(s, buf, max);
    if (!n)
        n = s->state == SLOT_DONE ? MHD_CONTENT_READER_END_OF_STREAM : suspend_reader(s);
    pthread_mutex_unlock(&g.mu);
    return n;
}

/* stream false: one JSON object when the answer is complete: a completion's choice has
 * text, a chat's a message (under mu). */
static int whole_json(Slot *s)
{
    int chat = s->req.kind == SERVE_CHAT;
    size_t cap = 6 * s->len + 1600, w = 0;
    if (!(s->json = malloc(cap)))
        return -1;
    w += (size_t)answer_head(s, chat ? "chat.completion" : "text_completion", s->json, cap);
    w += (size_t)snprintf(s->json + w, cap - w, "{\"index\": 0, %s\"",
                          chat ? "\"message\": {\"role\": \"assistant\", \"content\": " : "\"text\": ");
    serve_json_text(s->out, s->len, 1, s->json, &w);
    w += (size_t)snprintf(s->json + w, cap - w, "\"%s, \"logprobs\": null, \"finish_reason\": \"%s\"}], ",
                          chat ? "}" : "", s->finish);
    w += (size_t)answer_usage(s, s->json + w, cap - w);
    s->json_len = w + (size_t)snprintf(s->json + w, cap - w, "}\n");
    return 0;
}

/* The response is gone: sent, or its client left (then the engine ends the answer). */
static void answer_gone(void *cls)
{
    Slot *s = cls;
    pthread_mutex_lock(&g.mu);
    s->reader_gone = 1;
    s->suspended = 0;
    slot_release_if_over(s);
    pthread_cond_signal(&g.work);
    pthread_mutex_unlock(&g.mu);
}

/* ---- requests --------------------------------------------------------------------------- */

typedef struct Req {
    char *body;
    size_t len, cap;
    int too_big;
    ServeKind kind; /* the path it came to */
    Slot *waiting; /* a whole answer being generated: its connection suspended until it is done */
} Req;

/* A slot for request r with prompt tokens ids (taken over), or NULL: all busy or stopping. */
static Slot *slot_take(struct MHD_Connection *c, ServeReq *r, int32_t *ids, long n_ids)
{
    pthread_mutex_lock(&g.mu);
    Slot *s = NULL;
    for (long i = 0; i < g.o.slots && !g.stopping && !s; i++)
        if (g.slot[i].state == SLOT_FREE)
            s = &g.slot[i];
    if (s) {
        *s = (Slot){.state = SLOT_NEW,
                    .req = *r,
                    .ids = ids,
                    .n_ids = n_ids,
                    .t_start = now_s(),
                    .conn = c,
                    .id = ++g.answers,
                    .created = (long long)time(NULL)};
        s->out = malloc((size_t)r->max_tokens * g.max_tok_bytes + 1);
        if (!r->has_seed)
            s->req.seed = ++g.seed_next;
        g.slots_busy++;
        pthread_cond_signal(&g.work);
    }
    pthread_mutex_unlock(&g.mu);
    return s;
}

/* The prompt's tokens (malloc) into *ids: their number, or -1 after a 400 was queued. */
static long prompt_tokens(struct MHD_Connection *c, ServeReq *r, int32_t **ids, enum MHD_Result *rc)
{
    const char *text = r->prompt_len ? r->prompt : "\n"; /* empty: a new line, as generate */
    size_t len = r->prompt_len ? r->prompt_len : 1;
    char why[300];
    *ids = malloc(len * sizeof **ids);
    long n = *ids ? tm_encode(&g.tm, text, len, *ids, len, why, sizeof why) : -2;
    int ctx = g.tm.m.cfg.ctx;
    if (n == -2)
        *rc = send_error(c, 500, NULL, "out of memory");
    else if (n < 0 && r->kind == SERVE_CHAT) {
        char more[600];
        snprintf(more, sizeof more,
                 "%s (the conversation as the chat template writes it: speakers %s and %s; --chat-user and "
                 "--chat-assistant name them in words of the model's training text)",
                 why, g.o.chat_user ? g.o.chat_user : SERVE_CHAT_USER,
                 g.o.chat_assistant ? g.o.chat_assistant : SERVE_CHAT_ASSISTANT);
        *rc = send_api_error(c, 400, "invalid_value", "messages", more);
    } else if (n < 0)
        *rc = send_api_error(c, 400, "invalid_value", "prompt", why);
    else if (n > ctx)
        *rc = send_error(c, 400, "context_length_exceeded",
                         "the %s is %ld tokens and the model reads at most %d (its context): shorten it to "
                         "the last %d tokens or fewer",
                         r->kind == SERVE_CHAT ? "conversation (with the chat template)" : "prompt", n, ctx,
                         ctx);
    if (n < 0 || n > ctx) {
        free(*ids);
        return -1;
    }
    return n;
}

static enum MHD_Result queue_answer(struct MHD_Connection *c, struct MHD_Response *resp, const char *type)
{
    MHD_add_response_header(resp, "Content-Type", type);
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    count_status(200);
    enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* A whole answer is sent with its Content-Length, once it is done: until then its
 * connection is suspended (the engine's slot_finish resumes it, and MHD calls on_request
 * again). Not chunked, because node-fetch 2 (under the official openai client for Node)
 * takes a chunked response that arrives whole on a keep-alive connection for a
 * "Premature close" with the Node of Debian 12's security updates (18.20.4+dfsg-1~deb12u3):
 * 9 calls in 10 failed; so do streams, which end with their connection instead. */
static enum MHD_Result whole_answer(struct MHD_Connection *c, Req *q)
{
    Slot *s = q->waiting;
    pthread_mutex_lock(&g.mu);
    if (s->state != SLOT_DONE) { /* resumed at each token (a client that left is found then) */
        suspend_reader(s);
        pthread_mutex_unlock(&g.mu);
        return MHD_YES;
    }
    struct MHD_Response *resp = NULL;
    if (s->json || !whole_json(s))
        resp = MHD_create_response_from_buffer(s->json_len, s->json, MHD_RESPMEM_MUST_COPY);
    pthread_mutex_unlock(&g.mu);
    q->waiting = NULL;
    answer_gone(s); /* the answer is copied: the slot can go */
    return resp ? queue_answer(c, resp, "application/json") : send_error(c, 500, NULL, "out of memory");
}

static enum MHD_Result completion(struct MHD_Connection *c, Req *q)
{
    if (q->too_big)
        return send_error(c, 413, "body_too_large", "the body is over %ld KiB (--max-body-kb)",
                          g.o.max_body_kb);
    ServeLimits lim = {g.o.max_tokens, g.o.default_tokens, g.tm.m.cfg.vocab,
                       g.o.model_name, g.o.chat_user,      g.o.chat_assistant};
    ServeReq r;
    ServeErr e;
    if (serve_req_parse(q->body ? q->body : "", q->len, q->kind, &lim, &r, &e))
        return send_api_error(c, e.status, e.code, e.param, e.message);
    if (r.kind == SERVE_CHAT)
        fault_chat_prompt(r.prompt, r.prompt_len); /* the chat_leak fault's point */
    int32_t *ids;
    enum MHD_Result rc = MHD_NO;
    long n = prompt_tokens(c, &r, &ids, &rc);
    if (n < 0) {
        serve_req_free(&r);
        return rc;
    }
    int stream = r.stream;
    Slot *s = slot_take(c, &r, ids, n);
    if (!s) {
        serve_req_free(&r);
        free(ids);
        return g.stopping ? send_error(c, 503, "shutting_down", "the server is shutting down")
                          : send_error(c, 503, "slots_busy",
                                       "all %ld generation slots are busy: retry after 1 s", g.o.slots);
    }
    if (!stream) {
        q->waiting = s;
        return whole_answer(c, q);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, s, answer_gone);
    if (!resp) {
        answer_gone(s);
        return MHD_NO;
    }
    /* a stream's end is the connection's (not chunked: see whole_answer) */
    MHD_set_response_options(resp, MHD_RF_HTTP_1_0_COMPATIBLE_STRICT, MHD_RO_END);
    return queue_answer(c, resp, "text/event-stream");
}

static long rss_bytes(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * sysconf(_SC_PAGESIZE);
}

/* One metric: its HELP and TYPE lines, then the sample line (fmt takes the value). */
static void metric(char *b, size_t *n, size_t cap, const char *name, const char *type, const char *help,
                   const char *sample)
{
    if (*n < cap)
        *n += (size_t)snprintf(b + *n, cap - *n, "# HELP serve_%s %s\n# TYPE serve_%s %s\n%s", name, help,
                               name, type, sample);
}

static enum MHD_Result metrics(struct MHD_Connection *c)
{
    char b[6144], v[512];
    size_t n = 0, cap = sizeof b;
    int k = 0;
    pthread_mutex_lock(&g.mu);
    for (int i = 0; k_status[i]; i++)
        k += snprintf(v + k, sizeof v - (size_t)k, "serve_requests_total{status=\"%d\"} %llu\n", k_status[i],
                      g.status_count[i]);
    metric(b, &n, cap, "requests_total", "counter", "Requests answered, by status.", v);
    k = 0;
    for (int i = 0; k_finish[i]; i++)
        k += snprintf(v + k, sizeof v - (size_t)k, "serve_answers_total{finish=\"%s\"} %llu\n", k_finish[i],
                      g.finish_count[i]);
    metric(b, &n, cap, "answers_total", "counter", "Answers ended, by why (cancelled: the client left).", v);
    snprintf(v, sizeof v, "serve_tokens_generated_total %llu\n", g.tokens_total);
    metric(b, &n, cap, "tokens_generated_total", "counter", "Tokens generated.", v);
    snprintf(v, sizeof v, "serve_tokens_per_second %.1f\n", now_s() - g.rate_t0 > 4.0 ? 0.0 : g.rate);
    metric(b, &n, cap, "tokens_per_second", "gauge",
           "Tokens generated per second over the last 2 s of generation.", v);
    snprintf(v, sizeof v, "serve_slots %ld\n", g.o.slots);
    metric(b, &n, cap, "slots", "gauge", "Generation slots (--slots).", v);
    snprintf(v, sizeof v, "serve_slots_in_use %ld\n", g.slots_busy);
    metric(b, &n, cap, "slots_in_use", "gauge", "Slots holding an answer.", v);
    snprintf(v, sizeof v, "serve_engine_heap_bytes %zu\n", g.mem.live_bytes);
    metric(b, &n, cap, "engine_heap_bytes", "gauge", "Bytes the engine holds from the heap (mem.heap_bytes).",
           v);
    snprintf(v, sizeof v, "serve_engine_heap_peak_bytes %zu\n", g.mem.peak_bytes);
    metric(b, &n, cap, "engine_heap_peak_bytes", "gauge", "The most it held (mem.heap_peak_bytes).", v);
    snprintf(v, sizeof v, "serve_engine_heap_allocs_total %llu\n", (unsigned long long)g.mem.allocs);
    metric(b, &n, cap, "engine_heap_allocs_total", "counter", "Engine heap allocations (mem.heap_allocs).",
           v);
    snprintf(v, sizeof v, "serve_engine_arena_bytes 0\n");
    metric(b, &n, cap, "engine_arena_bytes", "gauge",
           "Bytes in arenas (generation uses none: a cache per slot).", v);
    snprintf(v, sizeof v, "serve_resident_bytes %ld\n", rss_bytes());
    metric(b, &n, cap, "resident_bytes", "gauge", "Resident memory of the process.", v);
    pthread_mutex_unlock(&g.mu);
    return send_body(c, 200, "text/plain; version=0.0.4; charset=utf-8", b, n < cap ? n : cap - 1);
}

static enum MHD_Result health(struct MHD_Connection *c)
{
    char b[300];
    pthread_mutex_lock(&g.mu);
    int n = snprintf(b, sizeof b,
                     "{\"status\": \"%s\", \"slots\": %ld, \"slots_in_use\": %ld, \"context\": %d}\n",
                     g.stopping ? "stopping" : "ok", g.o.slots, g.slots_busy, g.tm.m.cfg.ctx);
    pthread_mutex_unlock(&g.mu);
    return send_body(c, g.stopping ? 503 : 200, "application/json", b, (size_t)n);
}

/* GET /v1/models: the one model served; /v1/models/NAME: it, or 404 in the API's form. */
static enum MHD_Result models(struct MHD_Connection *c, const char *name)
{
    char one[sizeof g.model_json + 160], b[sizeof one + 64];
    if (name && strcmp(name, g.o.model_name))
        return send_error(c, 404, "model_not_found",
                          "the model \"%.80s\" does not exist here: this server serves \"%.80s\"", name,
                          g.o.model_name);
    int n = snprintf(one, sizeof one,
                     "{\"id\": \"%s\", \"object\": \"model\", \"created\": %lld, "
                     "\"owned_by\": \"flatmem\"}",
                     g.model_json, g.created);
    if (name)
        return send_body(c, 200, "application/json", one, (size_t)n);
    n = snprintf(b, sizeof b, "{\"object\": \"list\", \"data\": [%s]}\n", one);
    return send_body(c, 200, "application/json", b, (size_t)n);
}

/* GET and HEAD paths; NULL for a path that is not one. */
static enum MHD_Result get_path(struct MHD_Connection *c, const char *url, int *known)
{
    *known = 1;
    if (!strcmp(url, "/v1/models"))
        return models(c, NULL);
    if (!strncmp(url, "/v1/models/", 11))
        return models(c, url + 11);
    if (!strcmp(url, "/"))
        return send_body(c, 200, "text/html; charset=utf-8", serve_page_html, strlen(serve_page_html));
    if (!strcmp(url, "/app.js"))
        return send_body(c, 200, "text/javascript; charset=utf-8", serve_page_js, strlen(serve_page_js));
    if (!strcmp(url, "/app.css"))
        return send_body(c, 200, "text/css; charset=utf-8", serve_page_css, strlen(serve_page_css));
    if (!strcmp(url, "/health"))
        return health(c);
    if (!strcmp(url, "/favicon.ico")) /* browsers ask for it: no icon, no error */
        return send_body(c, 204, "image/x-icon", "", 0);
    if (!strcmp(url, "/metrics"))
        return metrics(c);
    *known = 0;
    return MHD_NO;
}

/* The first call for a request: routes it. MHD_YES with *cont set when the body is read. */
static enum MHD_Result route(struct MHD_Connection *c, const char *url, const char *method, int *cont)
{
    int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), known = 0;
    *cont = 0;
    if (!strcmp(url, "/v1/completions") || !strcmp(url, "/v1/chat/completions")) {
        if (strcmp(method, "POST"))
            return send_error(c, 405, "method_not_allowed", "%s %s: use POST with a JSON body", method, url);
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > (unsigned long long)g.o.max_body_kb * 1024)
            return send_error(c, 413, "body_too_large", "the body is over %ld KiB (--max-body-kb)",
                              g.o.max_body_kb);
        *cont = strcmp(url, "/v1/completions") ? 2 : 1;
        return MHD_YES;
    }
    if (get) {
        enum MHD_Result rc = get_path(c, url, &known);
        if (known)
            return rc;
    }
    static const char *paths[] = {"/", "/app.js", "/app.css", "/health", "/metrics", "/v1/models"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (!strcmp(url, paths[i]) || (!strncmp(url, "/v1/models/", 11) && i == 5))
            return send_error(c, 405, "method_not_allowed", "%s %s: only GET", method, url);
    return send_error(c, 404, "not_found",
                      "no such path: %.200s (POST /v1/completions, /v1/chat/completions; GET /v1/models, /, "
                      "/health, /metrics; docs/serve.md)",
                      url);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *data, size_t *data_size, void **con_cls)
{
    (void)cls, (void)version;
    Req *q = *con_cls;
    if (q && q->waiting) /* resumed: the whole answer may be done */
        return whole_answer(c, q);
    if (!q) {
        int cont;
        enum MHD_Result rc = route(c, url, method, &cont);
        if (!cont)
            return rc;
        if (!(q = calloc(1, sizeof *q)))
            return MHD_NO;
        q->kind = cont == 2 ? SERVE_CHAT : SERVE_COMPLETIONS;
        *con_cls = q;
        return MHD_YES;
    }
    if (*data_size) {
        size_t limit = (size_t)g.o.max_body_kb * 1024;
        if (q->too_big || q->len + *data_size > limit) {
            q->too_big = 1;
        } else {
            if (q->len + *data_size + 1 > q->cap) {
                size_t cap = q->cap ? q->cap : 1024;
                while (cap < q->len + *data_size + 1)
                    cap *= 2;
                char *b = realloc(q->body, cap);
                if (!b)
                    return MHD_NO;
                q->body = b, q->cap = cap;
            }
            memcpy(q->body + q->len, data, *data_size);
            q->len += *data_size;
        }
        *data_size = 0;
        return MHD_YES;
    }
    return completion(c, q);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)c, (void)why;
    Req *q = *con_cls;
    if (q && q->waiting) /* its client left (or the server stops) before the answer was done */
        answer_gone(q->waiting);
    if (q) {
        free(q->body);
        free(q);
        *con_cls = NULL;
    }
    pthread_mutex_lock(&g.mu);
    unsigned long long n = ++g.requests_done;
    flatmem_step(n); /* a request answered: the soak's step */
    pthread_mutex_unlock(&g.mu);
}

/* ---- the program -------------------------------------------------------------------- */

#define OFF(f) offsetof(Opts, f)
static const Opt k_opts[] = {
    {"--checkpoint", OPT_STR, OFF(checkpoint), 0, 0, "FILE", "a checkpoint of train_full --save (required)",
     NULL},
    {"--tokenizer-file", OPT_STR, OFF(tokenizer_file), 0, 0, "FILE",
     "the BPE tokenizer it was trained with (--tokenizer bpe)", NULL},
    {"--host", OPT_STR, OFF(host), 0, 0, "ADDR", "the address to listen on (127.0.0.1: this machine only)",
     NULL},
    {"--model-name", OPT_STR, OFF(model_name), 0, 0, "NAME",
     "the model's name in the API (\"model\"; the checkpoint's file name)", NULL},
    {"--chat-user", OPT_STR, OFF(chat_user), 0, 0, "NAME",
     "the chat template's name for the user's speeches (USER; docs/serve.md)", NULL},
    {"--chat-assistant", OPT_STR, OFF(chat_assistant), 0, 0, "NAME",
     "its name for the model's speeches (ASSISTANT)", NULL},
    {"--port", OPT_LONG, OFF(port), 0, 65535, "N", "the port (8080; 0: any free one, printed)", NULL},
    {"--slots", OPT_LONG, OFF(slots), 1, 256, "N", "answers generated at once, each with its own cache (4)",
     NULL},
    {"--threads", OPT_LONG, OFF(threads), 1, 64, "N", "threads reading and writing connections (2)", NULL},
    {"--max-tokens", OPT_LONG, OFF(max_tokens), 1, 100000, "N",
     "the most max_tokens a request may ask (1024)", NULL},
    {"--default-tokens", OPT_LONG, OFF(default_tokens), 1, 100000, "N",
     "max_tokens of a request that gives none (128)", NULL},
    {"--max-connections", OPT_LONG, OFF(max_connections), 1, 10000, "N",
     "connections open at once, divided among the threads (64)", NULL},
    {"--max-body-kb", OPT_LONG, OFF(max_body_kb), 1, 65536, "KB", "a larger request body gets 413 (64)",
     NULL},
    {"--read-timeout", OPT_LONG, OFF(read_timeout), 1, 3600, "S",
     "a connection silent this long is closed (10)", NULL},
    {"--quiet", OPT_FLAG, OFF(quiet), 0, 0, NULL,
     "no line when it stops (the line saying where it listens stays)", NULL},
};
static const OptTable k_table = {k_opts, sizeof k_opts / sizeof k_opts[0]};

static int usage(FILE *f)
{
    fprintf(f, "usage: serve --checkpoint FILE [--tokenizer-file FILE] [--host ADDR] [--port N] [--slots N]\n"
               "             [--max-tokens N] [--max-connections N] [--max-body-kb KB] [--read-timeout S]\n\n"
               "Serves the checkpoint's model over HTTP/1.1 in the OpenAI API's schema (docs/serve.md):\n"
               "  POST /v1/completions       {\"model\": M, \"prompt\": TEXT, \"max_tokens\": N, ...}\n"
               "  POST /v1/chat/completions  {\"model\": M, \"messages\": [{\"role\": \"user\", \"content\": "
               "TEXT}], ...}\n"
               "  GET /v1/models; fields: temperature, top_p, top_k, stop, seed, stream, stream_options\n"
               "  GET /health, GET /metrics (Prometheus text), GET / (a chat page)\n"
               "With every slot busy a request gets 503 and Retry-After: 1. SIGTERM stops it cleanly.\n\n");
    opt_usage(&k_table, f, 22);
    return f == stdout ? 0 : 2;
}

static int parse(int argc, char **argv, Opts *o)
{
    *o = (Opts){.host = "127.0.0.1",
                .port = 8080,
                .slots = 4,
                .threads = 2,
                .max_tokens = 1024,
                .default_tokens = 128,
                .max_connections = 64,
                .max_body_kb = 64,
                .read_timeout = 10};
    char err[512];
    int rc = opt_parse(&k_table, argc, argv, o, NULL, err, sizeof err);
    if (rc == OPT_HELP)
        return -1;
    if (rc != OPT_OK) {
        fprintf(stderr, "serve: %s\nTry 'serve --help'.\n", err);
        return 2;
    }
    if (!o->checkpoint) {
        fprintf(stderr,
                "serve: --checkpoint is required: a checkpoint of train_full --save\nTry 'serve --help'.\n");
        return 2;
    }
    if (o->default_tokens > o->max_tokens)
        o->default_tokens = o->max_tokens;
    if (!o->model_name) { /* the checkpoint's file name */
        const char *slash = strrchr(o->checkpoint, '/');
        o->model_name = slash ? slash + 1 : o->checkpoint;
    }
    size_t n = strlen(o->model_name);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)o->model_name[i] <= ' ' || o->model_name[i] == '/' || o->model_name[i] == 0x7f)
            n = 0;
    const char *names[2] = {o->chat_user, o->chat_assistant};
    for (int k = 0; k < 2; k++) {
        size_t len = names[k] ? strlen(names[k]) : 1;
        for (size_t i = 0; names[k] && i < len; i++)
            len = (unsigned char)names[k][i] < ' ' ? 0 : len;
        if (len == 0 || len > 64) {
            fprintf(stderr, "serve: %s '%s': 1 to 64 bytes, no control bytes\nTry 'serve --help'.\n",
                    k ? "--chat-assistant" : "--chat-user", names[k]);
            return 2;
        }
    }
    if (n == 0 || n > 128) {
        fprintf(stderr,
                "serve: --model-name '%s': 1 to 128 bytes, no spaces, control bytes or '/' (it goes in "
                "/v1/models/NAME)\nTry 'serve --help'.\n",
                o->model_name);
        return 2;
    }
    return 0;
}

/* Starts the daemon on --host/--port. NULL after a message. */
static struct MHD_Daemon *listen_on(const Opts *o)
{
    struct sockaddr_storage ss = {0};
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME;
    if (inet_pton(AF_INET, o->host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET, v4->sin_port = htons((uint16_t)o->port);
    } else if (inet_pton(AF_INET6, o->host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6, v6->sin6_port = htons((uint16_t)o->port);
        flags |= MHD_USE_IPv6;
    } else {
        fprintf(stderr, "serve: --host %s: not an IPv4 or IPv6 address (127.0.0.1, 0.0.0.0, ::1)\n", o->host);
        return NULL;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, (uint16_t)o->port, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned)o->max_connections, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->read_timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32 * 1024, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
        MHD_OPTION_END);
    if (!d)
        fprintf(stderr, "serve: cannot listen on %s port %ld: %s (another program on it? --port N)\n",
                o->host, o->port, strerror(errno ? errno : EADDRINUSE));
    return d;
}

/* Waits for SIGTERM or SIGINT (blocked in every thread), then stops: new requests get 503,
 * answers in flight end ("shutdown"), the daemon closes, the engine thread ends. */
static void run_until_signal(const sigset_t *set, pthread_t engine)
{
    int sig = 0;
    sigwait(set, &sig);
    pthread_mutex_lock(&g.mu);
    g.stopping = 1;
    pthread_cond_broadcast(&g.work);
    pthread_mutex_unlock(&g.mu);
    pthread_join(engine, NULL); /* every answer ended, every reader resumed */
    for (int i = 0; i < 500; i++) { /* their last bytes sent (5 s at most), then MHD may stop */
        long open = 0;
        pthread_mutex_lock(&g.mu);
        for (long k = 0; k < g.o.slots; k++)
            open += g.slot[k].state != SLOT_FREE;
        pthread_mutex_unlock(&g.mu);
        if (!open)
            break;
        usleep(10000);
    }
    MHD_stop_daemon(g.d);
    if (!g.o.quiet)
        fprintf(stderr, "serve: stopped by %s after %llu requests, %llu tokens\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM", g.requests_done, g.tokens_total);
}

int main(int argc, char **argv)
{
    int rc = parse(argc, argv, &g.o);
    if (rc)
        return rc < 0 ? usage(stdout) : rc;
    char why[600];
    if (blas_select(argv, why, sizeof why) != 0) { /* may start the program again (app/blas_select.h) */
        fprintf(stderr, "serve: %s\n", why);
        return 2;
    }
    if ((rc = tm_load(&g.tm, g.o.checkpoint, g.o.tokenizer_file, why, sizeof why))) {
        fprintf(stderr, "serve: %s\n", why);
        return rc;
    }
    g.max_tok_bytes = tm_max_token_bytes(&g.tm);
    size_t mj = 0;
    serve_json_text(g.o.model_name, strlen(g.o.model_name), 1, g.model_json, &mj);
    g.created = (long long)time(NULL);
    g.slot = calloc((size_t)g.o.slots, sizeof *g.slot);
    pthread_mutex_init(&g.mu, NULL);
    pthread_cond_init(&g.work, NULL);
    g_resume = calloc((size_t)g.o.slots, sizeof *g_resume);
    g_fed = calloc((size_t)g.o.slots, sizeof *g_fed);
    g_gens = calloc((size_t)g.o.slots, sizeof *g_gens);
    g_toks = calloc((size_t)g.o.slots, sizeof *g_toks);
    g.rate_t0 = now_s();
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread started from here on inherits it */
    signal(SIGPIPE, SIG_IGN);
    pthread_t engine;
    if (!g.slot || !g_resume || !g_fed || !g_gens || !g_toks || !(g.d = listen_on(&g.o)) ||
        pthread_create(&engine, NULL, engine_main, NULL)) {
        if (g.d)
            MHD_stop_daemon(g.d);
        free(g.slot);
        free(g_resume), free(g_fed), free(g_gens), free(g_toks);
        tm_free(&g.tm);
        return 1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(g.d, MHD_DAEMON_INFO_BIND_PORT);
    fprintf(stderr, "serve: listening on http://%s:%u/ (%ld slots, context %d tokens)\n", g.o.host,
            di ? di->port : (unsigned)g.o.port, g.o.slots, g.tm.m.cfg.ctx);
    run_until_signal(&set, engine);
    for (long i = 0; i < g.o.slots; i++) /* every response is gone and the engine has ended */
        slot_release_if_over(&g.slot[i]);
    free(g.slot);
    free(g_resume), free(g_fed), free(g_gens), free(g_toks);
    tm_free(&g.tm);
    return 0;
}
