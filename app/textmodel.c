#include "textmodel.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fail(char *why, size_t cap, int rc, const char *flag, const char *v, const char *what)
{
    snprintf(why, cap, "%s %s: %s", flag, v, what);
    return rc;
}

static int load_tokenizer(TextModel *tm, const char *checkpoint, const char *file, char *why, size_t cap)
{
    const char *w = "";
    if (tm->meta.tokenizer == CKPT_TOKENIZER_BPE) {
        if (!file)
            return fail(why, cap, TM_EUSAGE, "--checkpoint", checkpoint,
                        "was trained on BPE tokens: give its --tokenizer-file");
        FILE *f = fopen(file, "rb");
        if (!f)
            return fail(why, cap, TM_EUSAGE, "--tokenizer-file", file, strerror(errno));
        EngErr e = bpe_load(f, &tm->bpe, &w);
        fclose(f);
        if (e)
            return fail(why, cap, e == ENG_ENOMEM ? TM_ENOMEM : TM_EUSAGE, "--tokenizer-file", file, w);
        if (bpe_hash(&tm->bpe) != tm->meta.tokenizer_hash || tm->bpe.vocab != tm->m.cfg.vocab) {
            bpe_free(&tm->bpe);
            return fail(why, cap, TM_EUSAGE, "--tokenizer-file", file,
                        "is not the tokenizer the checkpoint was trained with");
        }
    } else if (file) {
        return fail(why, cap, TM_EUSAGE, "--tokenizer-file", file,
                    "the checkpoint was trained on characters: leave it out");
    }
    return TM_OK;
}

int tm_load(TextModel *tm, const char *checkpoint, const char *tokenizer_file, char *why, size_t cap)
{
    memset(tm, 0, sizeof *tm);
    const char *w = "";
    FILE *f = fopen(checkpoint, "rb");
    if (!f)
        return fail(why, cap, TM_EUSAGE, "--checkpoint", checkpoint, strerror(errno));
    EngErr e = ckpt_load(f, &tm->m, &tm->meta, &w);
    fclose(f);
    if (e)
        return e == ENG_ENOMEM ? fail(why, cap, TM_ENOMEM, "--checkpoint", checkpoint, "out of memory")
                               : fail(why, cap, TM_EUSAGE, "--checkpoint", checkpoint, w);
    int rc = load_tokenizer(tm, checkpoint, tokenizer_file, why, cap);
    if (rc) {
        gpt_destroy(&tm->m);
        return rc;
    }
    for (int b = 0; b < 256; b++)
        tm->stoi[b] = -1;
    for (int t = 0; t < tm->meta.vocab && tm->meta.tokenizer == CKPT_TOKENIZER_CHAR; t++)
        tm->stoi[tm->meta.itos[t]] = (int16_t)t;
    return TM_OK;
}

long tm_encode(const TextModel *tm, const char *text, size_t len, int32_t *ids, size_t cap, char *why,
               size_t whycap)
{
    const uint8_t *s = (const uint8_t *)text;
    size_t n = 0;
    if (tm->meta.tokenizer == CKPT_TOKENIZER_BPE) {
        int32_t piece[256];
        for (size_t pos = 0; pos < len;) { /* piece by piece: a fixed buffer whatever the text */
            size_t p = bpe_piece(s + pos, len - pos);
            if (p > 256)
                p = 256;
            size_t k = bpe_encode(&tm->bpe, s + pos, p, piece, 256);
            for (size_t i = 0; i < k; i++, n++)
                if (n < cap)
                    ids[n] = piece[i];
            pos += p;
        }
        return (long)n;
    }
    for (size_t i = 0; i < len; i++, n++) {
        int t = tm->stoi[s[i]];
        if (t < 0) {
            snprintf(why, whycap,
                     "the prompt has a byte the model never saw in training: 0x%02x ('%c'); "
                     "use only characters of its training text",
                     s[i], s[i] >= 32 && s[i] < 127 ? s[i] : '?');
            return -1;
        }
        if (n < cap)
            ids[n] = t;
    }
    return (long)n;
}

const char *tm_token(const TextModel *tm, int32_t t, size_t *len)
{
    if (tm->meta.tokenizer == CKPT_TOKENIZER_BPE)
        return (const char *)bpe_token(&tm->bpe, t, len);
    *len = 1;
    return (const char *)&tm->meta.itos[t];
}

size_t tm_max_token_bytes(const TextModel *tm)
{
    size_t most = 1;
    for (int t = 0; tm->meta.tokenizer == CKPT_TOKENIZER_BPE && t < tm->bpe.vocab; t++) {
        size_t n = 0;
        if (bpe_token(&tm->bpe, t, &n) && n > most)
            most = n;
    }
    return most;
}

void tm_free(TextModel *tm)
{
    if (tm->meta.tokenizer == CKPT_TOKENIZER_BPE)
        bpe_free(&tm->bpe);
    gpt_destroy(&tm->m);
    memset(tm, 0, sizeof *tm);
}
