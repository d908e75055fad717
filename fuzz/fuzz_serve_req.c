/* libFuzzer target: serve's request parser (app/serve_req.c) and its JSON text writer.
 * The input is a request body. Checks, beyond memory safety: a parsed request keeps the
 * limits; the text writer's output, in quotes, is always a JSON string jansson reads back,
 * whatever bytes it was given, cut anywhere (generated text split between tokens). */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_text(const char *s, size_t n, int final)
{
    char *out = malloc(6 * n + 3);
    if (!out)
        return;
    size_t len = 1;
    out[0] = '"';
    size_t used = serve_json_text(s, n, final, out, &len);
    if (used > n || (final && used != n))
        abort();
    out[len++] = '"';
    out[len] = 0;
    json_t *j = json_loadb(out, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!j || !json_is_string(j))
        abort(); /* what went out was not a JSON string */
    json_decref(j);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    ServeLimits lim = {.max_tokens = 1024, .default_tokens = 128, .vocab = 65, .model = "tiny.ckpt"};
    for (int kind = SERVE_COMPLETIONS; kind <= SERVE_CHAT; kind++) {
        ServeReq r;
        ServeErr e;
        if (!serve_req_parse((const char *)data, size, (ServeKind)kind, &lim, &r, &e)) {
            if (r.max_tokens < 1 || r.max_tokens > lim.max_tokens || r.top_k < 0 || r.top_k > 1000000 ||
                !(r.temperature >= 0 && r.temperature <= 100) || !(r.top_p >= 0 && r.top_p <= 1) ||
                !r.prompt || r.prompt[r.prompt_len] != 0 || r.n_stop < 0 || r.n_stop > SERVE_MAX_STOP ||
                (r.include_usage && !r.stream))
                abort();
            for (int i = 0; i < r.n_stop; i++)
                if (!r.stop[i] || !r.stop_len[i])
                    abort();
            serve_req_free(&r);
        } else if (!e.message[0] || (e.status != 400 && e.status != 404 && e.status != 500)) {
            abort(); /* refused without saying why, or with a status that is not the API's */
        }
    }
    check_text((const char *)data, size, 1);
    check_text((const char *)data, size, 0);
    return 0;
}
