/* serve_req.h - the body of `POST /v1/completions`, read and checked (docs/serve.md), and
 * generated text written as a JSON string. Kept apart from the server so that tests and
 * the fuzzer (fuzz/fuzz_serve_req.c) drive them directly; nothing here touches the model.
 *
 *     ServeReq r;
 *     char why[300];
 *     if (serve_req_parse(body, len, &lim, &r, why, sizeof why)) -> 400 with why
 *     ... serve_req_free(&r);
 */
#ifndef APP_SERVE_REQ_H
#define APP_SERVE_REQ_H

#include <stddef.h>
#include <stdint.h>

typedef struct ServeLimits {
    long max_tokens; /* the most a request may ask for (--max-tokens) */
    long default_tokens; /* max_tokens when the request gives none */
    long vocab; /* the model's tokens (top_k from it up: all of them) */
} ServeLimits;

typedef struct ServeReq {
    char *prompt; /* owned (malloc), NUL-terminated; may hold NUL bytes (prompt_len) */
    size_t prompt_len;
    long max_tokens;
    double temperature;
    long top_k;
    uint64_t seed;
    int has_seed; /* 0: the server picks one */
    int stream;
} ServeReq;

/* The fields a request may have, as the error for an unknown one says. */
#define SERVE_REQ_FIELDS "prompt, max_tokens, temperature, top_k, seed, stream"

/* Parses a request body. 0 and *r filled (release with serve_req_free), or -1 with why
 * saying what is wrong and what is accepted; nothing is left allocated then. */
int serve_req_parse(const char *body, size_t len, const ServeLimits *lim, ServeReq *r, char *why, size_t cap);

void serve_req_free(ServeReq *r);

/* Appends text[0, len) to out as the inside of a JSON string (no quotes), escaping what
 * JSON needs and replacing bytes that are not UTF-8 by U+FFFD. An incomplete sequence at
 * the very end is not written unless `final`: the number of bytes consumed is returned,
 * so the rest can be sent with the next token's bytes. out must have room for 6 * len + 1;
 * *outlen grows by what was written. */
size_t serve_json_text(const char *text, size_t len, int final, char *out, size_t *outlen);

#endif
