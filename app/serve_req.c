#include "serve_req.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(char *why, size_t cap, const char *msg)
{
    snprintf(why, cap, "%s", msg);
    return -1;
}

/* An integer field in [lo, hi] into *v: 0, 1 absent, -1 with why. */
static int get_int(json_t *o, const char *k, long lo, long hi, long *v, char *why, size_t cap)
{
    json_t *x = json_object_get(o, k);
    if (!x)
        return 1;
    if (!json_is_integer(x)) {
        snprintf(why, cap, "%s must be an integer", k);
        return -1;
    }
    json_int_t i = json_integer_value(x);
    if (i < lo || i > hi) {
        snprintf(why, cap, "%s must be from %ld to %ld (got %lld)", k, lo, hi, (long long)i);
        return -1;
    }
    *v = (long)i;
    return 0;
}

static int check_fields(json_t *o, char *why, size_t cap)
{
    static const char *known[] = {"prompt", "max_tokens", "temperature", "top_k", "seed", "stream"};
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        int ok = 0;
        for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
            ok |= !strcmp(k, known[i]);
        if (!ok) {
            snprintf(why, cap, "unknown field \"%.60s\": a request has only " SERVE_REQ_FIELDS, k);
            return -1;
        }
    }
    return 0;
}

static int get_prompt(json_t *o, ServeReq *r, char *why, size_t cap)
{
    json_t *p = json_object_get(o, "prompt");
    if (!p)
        return bad(why, cap, "prompt is required: {\"prompt\": \"text to continue\"}");
    if (!json_is_string(p))
        return bad(why, cap, "prompt must be a string");
    r->prompt_len = json_string_length(p);
    r->prompt = malloc(r->prompt_len + 1);
    if (!r->prompt)
        return bad(why, cap, "out of memory");
    memcpy(r->prompt, json_string_value(p), r->prompt_len + 1);
    return 0;
}

static int get_rest(json_t *o, const ServeLimits *lim, ServeReq *r, char *why, size_t cap)
{
    if (get_int(o, "max_tokens", 1, lim->max_tokens, &r->max_tokens, why, cap) < 0 ||
        get_int(o, "top_k", 0, 1000000, &r->top_k, why, cap) < 0)
        return -1;
    json_t *t = json_object_get(o, "temperature");
    if (t) {
        if (!json_is_number(t))
            return bad(why, cap, "temperature must be a number");
        r->temperature = json_number_value(t);
        if (!(r->temperature >= 0 && r->temperature <= 100))
            return bad(why, cap, "temperature must be from 0 to 100");
    }
    json_t *s = json_object_get(o, "seed");
    if (s) {
        if (!json_is_integer(s) || json_integer_value(s) < 0)
            return bad(why, cap, "seed must be an integer of 0 or more");
        r->seed = (uint64_t)json_integer_value(s), r->has_seed = 1;
    }
    json_t *st = json_object_get(o, "stream");
    if (st) {
        if (!json_is_boolean(st))
            return bad(why, cap, "stream must be true or false");
        r->stream = json_is_true(st);
    }
    return 0;
}

int serve_req_parse(const char *body, size_t len, const ServeLimits *lim, ServeReq *r, char *why, size_t cap)
{
    *r = (ServeReq){.max_tokens = lim->default_tokens, .temperature = 0.8, .top_k = 40};
    json_error_t e;
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
    if (!o) {
        snprintf(why, cap, "the body is not JSON (UTF-8): %s at byte %d; send {\"prompt\": \"...\"}", e.text,
                 e.position);
        return -1;
    }
    int rc = -1;
    if (!json_is_object(o))
        bad(why, cap, "the body must be a JSON object: {\"prompt\": \"...\"}");
    else if (!check_fields(o, why, cap) && !get_prompt(o, r, why, cap) && !get_rest(o, lim, r, why, cap))
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
