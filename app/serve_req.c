#include "serve_req.h"

#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* e := status, code, param and a message; -1. */
__attribute__((format(printf, 5, 6))) static int fail(ServeErr *e, int status, const char *code,
                                                      const char *param, const char *fmt, ...)
{
    e->status = status;
    snprintf(e->code, sizeof e->code, "%s", code);
    snprintf(e->param, sizeof e->param, "%s", param ? param : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* An integer field in [lo, hi] into *v: 0, 1 absent (or null), -1 with e. */
static int get_int(json_t *o, const char *k, long lo, long hi, long *v, ServeErr *e)
{
    json_t *x = json_object_get(o, k);
    if (!x || json_is_null(x))
        return 1;
    if (!json_is_integer(x))
        return fail(e, 400, "invalid_type", k, "%s must be an integer", k);
    json_int_t i = json_integer_value(x);
    if (i < lo || i > hi)
        return fail(e, 400, "invalid_value", k, "%s must be from %ld to %ld (got %lld)", k, lo, hi,
                    (long long)i);
    *v = (long)i;
    return 0;
}

/* A number field in [lo, hi] into *v (0, 1 absent or null, -1 with e). */
static int get_num(json_t *o, const char *k, double lo, double hi, double *v, ServeErr *e)
{
    json_t *x = json_object_get(o, k);
    if (!x || json_is_null(x))
        return 1;
    double d = json_number_value(x);
    if (!json_is_number(x) || !(d >= lo && d <= hi))
        return fail(e, 400, "invalid_value", k, "%s must be a number from %g to %g", k, lo, hi);
    *v = d;
    return 0;
}

/* The fields of each call: taken, accepted and ignored, or refused because the engine
 * cannot honour them (a neutral value, null, false, 0 or empty, is accepted: it asks
 * nothing). Anything else is refused, named. */
static const char *const k_common[] = {"model",  "max_tokens",     "temperature", "top_p", "top_k", "seed",
                                       "stream", "stream_options", "stop",        "n",     "user",  NULL};
static const char *const k_completions[] = {"prompt", NULL};
static const char *const k_chat[] = {"messages", "max_completion_tokens", "metadata", "store", NULL};
static const char *const k_cannot[] = {"logprobs",
                                       "top_logprobs",
                                       "presence_penalty",
                                       "frequency_penalty",
                                       "logit_bias",
                                       "tools",
                                       "tool_choice",
                                       "functions",
                                       "function_call",
                                       "response_format",
                                       "parallel_tool_calls",
                                       "best_of",
                                       "echo",
                                       "suffix",
                                       "audio",
                                       "modalities",
                                       "prediction",
                                       "reasoning_effort",
                                       NULL};

static int listed(const char *const *list, const char *k)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(list[i], k))
            return 1;
    return 0;
}

static int neutral(json_t *v)
{
    return json_is_null(v) || json_is_false(v) || (json_is_number(v) && json_number_value(v) == 0) ||
           (json_is_array(v) && !json_array_size(v)) || (json_is_object(v) && !json_object_size(v)) ||
           (json_is_string(v) && !json_string_length(v));
}

static int check_fields(json_t *o, ServeKind kind, ServeErr *e)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        if (listed(k_common, k) || listed(kind == SERVE_CHAT ? k_chat : k_completions, k))
            continue;
        if (listed(k_cannot, k) && neutral(v))
            continue;
        if (listed(k_cannot, k))
            return fail(e, 400, "unsupported_parameter", k,
                        "%.40s is not supported: this server's engine cannot honour it (docs/serve.md, "
                        "\"Fields\")",
                        k);
        return fail(e, 400, "unknown_parameter", k,
                    "unknown field \"%.60s\": a %s request has model, %s, max_tokens, temperature, top_p, "
                    "top_k, seed, stop, n, stream, stream_options, user",
                    k, kind == SERVE_CHAT ? "chat" : "completions",
                    kind == SERVE_CHAT ? "messages, max_completion_tokens" : "prompt");
    }
    return 0;
}

/* Appends n bytes of s to the prompt being built (-1: out of memory). */
static int put(ServeReq *r, size_t *cap, const char *s, size_t n)
{
    if (r->prompt_len + n + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < r->prompt_len + n + 1)
            c *= 2;
        char *p = realloc(r->prompt, c);
        if (!p)
            return -1;
        r->prompt = p, *cap = c;
    }
    memcpy(r->prompt + r->prompt_len, s, n);
    r->prompt_len += n;
    r->prompt[r->prompt_len] = 0;
    return 0;
}

/* A message's content: a string, or a list of {"type": "text", "text": ...} parts. */
static int put_content(ServeReq *r, size_t *cap, json_t *c, size_t i, ServeErr *e)
{
    if (json_is_string(c))
        return put(r, cap, json_string_value(c), json_string_length(c))
                   ? fail(e, 500, "", NULL, "out of memory")
                   : 0;
    if (!json_is_array(c))
        return fail(e, 400, "invalid_type", "messages",
                    "messages[%zu].content must be a string or a list of text parts", i);
    size_t k;
    json_t *part;
    json_array_foreach(c, k, part)
    {
        json_t *t = json_object_get(part, "text");
        if (!json_is_object(part) || !json_is_string(json_object_get(part, "type")) ||
            strcmp(json_string_value(json_object_get(part, "type")), "text") || !json_is_string(t))
            return fail(
                e, 400, "unsupported_parameter", "messages",
                "messages[%zu].content[%zu]: only {\"type\": \"text\", \"text\": ...} parts (the model "
                "reads text only)",
                i, k);
        if (put(r, cap, json_string_value(t), json_string_length(t)))
            return fail(e, 500, "", NULL, "out of memory");
    }
    return 0;
}

/* A speaker's line of the chat template: "NAME:\n" (-1: out of memory). */
static int put_speaker(ServeReq *r, size_t *cap, const char *name)
{
    return put(r, cap, name, strlen(name)) || put(r, cap, ":\n", 2) ? -1 : 0;
}

/* The chat template (serve_req.h) over the messages. */
static int get_messages(json_t *o, const ServeLimits *lim, ServeReq *r, ServeErr *e)
{
    const char *user = lim->chat_user ? lim->chat_user : SERVE_CHAT_USER;
    const char *assistant = lim->chat_assistant ? lim->chat_assistant : SERVE_CHAT_ASSISTANT;
    json_t *m = json_object_get(o, "messages"), *msg;
    if (!json_is_array(m) || !json_array_size(m))
        return fail(e, 400, m ? "invalid_type" : "missing_required_parameter", "messages",
                    "messages is required: a list of {\"role\": \"user\", \"content\": \"...\"}");
    size_t cap = 0, i;
    json_array_foreach(m, i, msg)
    {
        json_t *role = json_object_get(msg, "role");
        const char *ro = json_is_string(role) ? json_string_value(role) : "";
        int system = !strcmp(ro, "system") || !strcmp(ro, "developer"), is_user = !strcmp(ro, "user");
        if (!json_is_object(msg) || !(system || is_user || !strcmp(ro, "assistant")))
            return fail(e, 400, "invalid_value", "messages",
                        "messages[%zu].role must be system, developer, user or assistant (no tools here)", i);
        if (json_object_get(msg, "tool_calls") && !neutral(json_object_get(msg, "tool_calls")))
            return fail(e, 400, "unsupported_parameter", "messages",
                        "messages[%zu].tool_calls: this server has no tools", i);
        json_t *c = json_object_get(msg, "content");
        if ((!system && put_speaker(r, &cap, is_user ? user : assistant)) ||
            (c && !json_is_null(c) && put_content(r, &cap, c, i, e)) ||
            put(r, &cap, SERVE_CHAT_END, strlen(SERVE_CHAT_END)))
            return e->status ? -1 : fail(e, 500, "", NULL, "out of memory");
    }
    return put_speaker(r, &cap, assistant) ? fail(e, 500, "", NULL, "out of memory") : 0;
}

static int get_prompt(json_t *o, ServeReq *r, ServeErr *e)
{
    json_t *p = json_object_get(o, "prompt");
    if (json_is_array(p) && json_array_size(p) == 1 && json_is_string(json_array_get(p, 0)))
        p = json_array_get(p, 0); /* a list of one prompt, as clients may send */
    if (!p)
        return fail(e, 400, "missing_required_parameter", "prompt",
                    "prompt is required: {\"prompt\": \"text to continue\"}");
    if (!json_is_string(p))
        return fail(e, 400, "invalid_type", "prompt", "prompt must be a string (or a list of one string)");
    r->prompt_len = json_string_length(p);
    r->prompt = malloc(r->prompt_len + 1);
    if (!r->prompt)
        return fail(e, 500, "", NULL, "out of memory");
    memcpy(r->prompt, json_string_value(p), r->prompt_len + 1);
    return 0;
}

/* stop: a string or a list of up to 4, none empty. */
static int get_stop(json_t *o, ServeReq *r, ServeErr *e)
{
    json_t *s = json_object_get(o, "stop");
    if (!s || json_is_null(s))
        return 0;
    json_t *one[1] = {s};
    size_t n = json_is_array(s) ? json_array_size(s) : 1;
    if ((!json_is_string(s) && !json_is_array(s)) || n > SERVE_MAX_STOP)
        return fail(e, 400, "invalid_value", "stop", "stop must be a string or a list of up to %d strings",
                    SERVE_MAX_STOP);
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_is_array(s) ? json_array_get(s, i) : one[0];
        if (!json_is_string(x) || !json_string_length(x))
            return fail(e, 400, "invalid_value", "stop", "stop: each must be a string of one byte or more");
        r->stop_len[r->n_stop] = json_string_length(x);
        if (!(r->stop[r->n_stop] = malloc(r->stop_len[r->n_stop] + 1)))
            return fail(e, 500, "", NULL, "out of memory");
        memcpy(r->stop[r->n_stop++], json_string_value(x), json_string_length(x) + 1);
    }
    return 0;
}

static int get_model(json_t *o, const ServeLimits *lim, ServeErr *e)
{
    json_t *m = json_object_get(o, "model");
    if (!m || json_is_null(m))
        return 0; /* the served one */
    if (!json_is_string(m))
        return fail(e, 400, "invalid_type", "model", "model must be a string");
    if (lim->model && strcmp(json_string_value(m), lim->model))
        return fail(e, 404, "model_not_found", "model",
                    "the model \"%.80s\" does not exist here: this server serves \"%.80s\" (GET /v1/models)",
                    json_string_value(m), lim->model);
    return 0;
}

static int get_stream(json_t *o, ServeReq *r, ServeErr *e)
{
    json_t *st = json_object_get(o, "stream"), *so = json_object_get(o, "stream_options");
    if (st && !json_is_null(st)) {
        if (!json_is_boolean(st))
            return fail(e, 400, "invalid_type", "stream", "stream must be true or false");
        r->stream = json_is_true(st);
    }
    if (!so || json_is_null(so))
        return 0;
    json_t *u = json_object_get(so, "include_usage");
    if (!r->stream)
        return fail(e, 400, "invalid_value", "stream_options",
                    "stream_options is only allowed with stream true");
    if (!json_is_object(so) || json_object_size(so) > (u ? 1u : 0u) || (u && !json_is_boolean(u)))
        return fail(e, 400, "invalid_value", "stream_options",
                    "stream_options may hold only include_usage (true or false)");
    r->include_usage = u && json_is_true(u);
    return 0;
}

static int get_rest(json_t *o, const ServeLimits *lim, ServeReq *r, ServeErr *e)
{
    long n = 1;
    if (get_model(o, lim, e) || get_int(o, "max_tokens", 1, lim->max_tokens, &r->max_tokens, e) < 0 ||
        (r->kind == SERVE_CHAT &&
         get_int(o, "max_completion_tokens", 1, lim->max_tokens, &r->max_tokens, e) < 0) ||
        get_int(o, "top_k", 0, 1000000, &r->top_k, e) < 0 ||
        get_num(o, "temperature", 0, 100, &r->temperature, e) < 0 ||
        get_num(o, "top_p", 0, 1, &r->top_p, e) < 0 || get_int(o, "n", 1, 1000000, &n, e) < 0 ||
        get_stop(o, r, e) || get_stream(o, r, e))
        return -1;
    if (n != 1)
        return fail(e, 400, "unsupported_parameter", "n", "n must be 1: one answer per request here");
    json_t *u = json_object_get(o, "user");
    if (u && !json_is_null(u) && !json_is_string(u))
        return fail(e, 400, "invalid_type", "user", "user must be a string");
    json_t *s = json_object_get(o, "seed");
    if (s && !json_is_null(s)) {
        if (!json_is_integer(s) || json_integer_value(s) < 0)
            return fail(e, 400, "invalid_value", "seed", "seed must be an integer of 0 or more");
        r->seed = (uint64_t)json_integer_value(s), r->has_seed = 1;
    }
    return 0;
}

int serve_req_parse(const char *body, size_t len, ServeKind kind, const ServeLimits *lim, ServeReq *r,
                    ServeErr *e)
{
    *r = (ServeReq){
        .kind = kind, .max_tokens = lim->default_tokens, .temperature = 0.8, .top_p = 1, .top_k = 40};
    *e = (ServeErr){0};
    json_error_t je;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!o)
        return fail(e, 400, "invalid_json", NULL, "the body is not JSON (UTF-8): %s at byte %d", je.text,
                    je.position);
    int rc = -1;
    if (!json_is_object(o))
        fail(e, 400, "invalid_json", NULL, "the body must be a JSON object");
    else if (!check_fields(o, kind, e) &&
             !(kind == SERVE_CHAT ? get_messages(o, lim, r, e) : get_prompt(o, r, e)) &&
             !get_rest(o, lim, r, e))
        rc = 0;
    json_decref(o);
    if (rc)
        serve_req_free(r);
    return rc;
}

void serve_req_free(ServeReq *r)
{
    free(r->prompt);
    r->prompt = NULL;
    for (int i = 0; i < r->n_stop; i++)
        free(r->stop[i]), r->stop[i] = NULL;
    r->n_stop = 0;
}

/* Length of the UTF-8 sequence starting with byte c (0: not a lead byte). */
static int utf8_len(unsigned char c)
{
    return c < 0x80                ? 1
           : c >= 0xc2 && c < 0xe0 ? 2
           : c >= 0xe0 && c < 0xf0 ? 3
           : c >= 0xf0 && c < 0xf5 ? 4
                                   : 0;
}

/* 1 when s[0, n) is a whole valid sequence (no overlong form, no surrogate). */
static int utf8_ok(const unsigned char *s, int n)
{
    for (int i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    if (n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0)))
        return 0;
    if (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90)))
        return 0;
    return 1;
}

size_t serve_json_text(const char *text, size_t len, int final, char *out, size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)text;
    char *o = out + *outlen;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        int n = utf8_len(c);
        if (n > 1 && i + (size_t)n > len && !final) {
            int partial =
                1; /* a sequence cut by the end: keep it for the next call if it may still be whole */
            for (size_t j = i + 1; j < len; j++)
                partial &= (s[j] & 0xc0) == 0x80;
            if (partial)
                break;
        }
        if (n == 0 || i + (size_t)n > len || !utf8_ok(s + i, n)) {
            memcpy(o, "\\ufffd", 6), o += 6, i++;
            continue;
        }
        if (n > 1) {
            memcpy(o, s + i, (size_t)n), o += n, i += (size_t)n;
            continue;
        }
        i++;
        if (c == '"' || c == '\\')
            *o++ = '\\', *o++ = (char)c;
        else if (c == '\n')
            *o++ = '\\', *o++ = 'n';
        else if (c == '\t')
            *o++ = '\\', *o++ = 't';
        else if (c == '\r')
            *o++ = '\\', *o++ = 'r';
        else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&')
            o += sprintf(o, "\\u%04x", c); /* '<' too: the text is never markup, even in a <script> */
        else
            *o++ = (char)c;
    }
    *o = 0;
    *outlen = (size_t)(o - out);
    return i;
}
