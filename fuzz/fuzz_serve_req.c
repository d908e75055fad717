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
    ServeLimits lim = {1024, 128, 65};
    ServeReq r;
    char why[300];
    if (!serve_req_parse((const char *)data, size, &lim, &r, why, sizeof why)) {
        if (r.max_tokens < 1 || r.max_tokens > lim.max_tokens || r.top_k < 0 || r.top_k > 1000000 ||
            !(r.temperature >= 0 && r.temperature <= 100) || !r.prompt || r.prompt[r.prompt_len] != 0)
            abort();
        serve_req_free(&r);
    } else if (!why[0]) {
        abort(); /* refused without saying why */
    }
    check_text((const char *)data, size, 1);
    check_text((const char *)data, size, 0);
    return 0;
}
