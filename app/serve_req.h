/* serve_req.h - the body of `POST /v1/completions` and `POST /v1/chat/completions` (the
 * OpenAI API's schema, docs/serve.md), read and checked, and generated text written as a
 * JSON string. Kept apart from the server so that tests and the fuzzer
 * (fuzz/fuzz_serve_req.c) drive them directly; nothing here touches the model.
 *
 *     ServeReq r;
 *     ServeErr e;
 *     if (serve_req_parse(body, len, SERVE_CHAT, &lim, &r, &e)) -> e.status with e's error
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
    const char *model; /* the served model's name (--model-name): a request's "model" */
    const char *chat_user, *chat_assistant; /* the chat template's speakers (NULL: USER, ASSISTANT) */
} ServeLimits;

/* The two calls of the API clients speak (docs/serve.md). */
typedef enum ServeKind { SERVE_COMPLETIONS, SERVE_CHAT } ServeKind;

#define SERVE_MAX_STOP 4

typedef struct ServeReq {
    ServeKind kind;
    char *prompt; /* owned (malloc), NUL-terminated; may hold NUL bytes (prompt_len); a
                     chat's messages through the chat template (serve_chat_prompt) */
    size_t prompt_len;
    long max_tokens;
    double temperature;
    double top_p; /* 1: off */
    long top_k; /* our extension: 0 all */
    uint64_t seed;
    int has_seed; /* 0: the server picks one */
    int stream;
    int include_usage; /* stream_options.include_usage: a last chunk with usage */
    char *stop[SERVE_MAX_STOP]; /* owned: generation ends before any of these */
    size_t stop_len[SERVE_MAX_STOP];
    int n_stop;
} ServeReq;

/* What is wrong with a request, in the API's error form: {"error": {"message", "type",
 * "param", "code"}} with an HTTP status. */
typedef struct ServeErr {
    int status; /* 400, or 404 for a model that is not served */
    char message[300];
    char param[64]; /* the field at fault, "" when none */
    char code[40]; /* "unknown_parameter", "unsupported_parameter", "invalid_value",
                      "model_not_found", "invalid_json", "missing_required_parameter" */
} ServeErr;

/* Parses a request body of kind. 0 and *r filled (release with serve_req_free), or -1
 * with e saying what is wrong and what is accepted; nothing is left allocated then. */
int serve_req_parse(const char *body, size_t len, ServeKind kind, const ServeLimits *lim, ServeReq *r,
                    ServeErr *e);

void serve_req_free(ServeReq *r);

/* The chat template: a conversation written as the scene of a play, the form the model was
 * trained on: a system message as it is, then each message as a speech (its speaker's name
 * and ":\n", its content, a blank line), ending "ASSISTANT:\n" for the answer. The
 * speakers are USER and ASSISTANT unless ServeLimits names others. */
#define SERVE_CHAT_USER "USER"
#define SERVE_CHAT_ASSISTANT "ASSISTANT"
#define SERVE_CHAT_END "\n\n" /* a speech ends at a blank line: a chat answer stops there */

/* Appends text[0, len) to out as the inside of a JSON string (no quotes), escaping what
 * JSON needs and replacing bytes that are not UTF-8 by U+FFFD. An incomplete sequence at
 * the very end is not written unless `final`: the number of bytes consumed is returned,
 * so the rest can be sent with the next token's bytes. out must have room for 6 * len + 1;
 * *outlen grows by what was written. */
size_t serve_json_text(const char *text, size_t len, int final, char *out, size_t *outlen);

#endif
