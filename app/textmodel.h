/* textmodel.h - a checkpoint with its tokenizer, ready to generate: what `generate` and
 * `serve` load at start (docs/generate.md, docs/serve.md).
 *
 *     TextModel tm;
 *     char why[300];
 *     if (tm_load(&tm, "shk.ckpt", NULL, why, sizeof why)) { puts(why); exit(2); }
 *     ... tm_encode(&tm, text, len, ids, cap, why, sizeof why) ... tm_token(&tm, id, &n) ...
 *     tm_free(&tm);
 *
 * Owns the model's weights (ckpt_load) and the BPE tokenizer; encoding and the token's
 * text allocate nothing and only read the model, so several threads may encode at once. */
#ifndef APP_TEXTMODEL_H
#define APP_TEXTMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "bpe.h"
#include "checkpoint.h"
#include "gpt.h"

typedef struct TextModel {
    GPT m;
    CkptMeta meta;
    Bpe bpe; /* BPE checkpoints only */
    int16_t stoi[256]; /* characters: byte -> token (-1: never seen in training) */
} TextModel;

enum { TM_OK = 0, TM_EUSAGE = 2, TM_ENOMEM = 1 };

/* Loads the checkpoint and, for a BPE one, its tokenizer (refused when it is not the one
 * the checkpoint was trained with). TM_OK; TM_EUSAGE or TM_ENOMEM with why saying what is
 * wrong ("--checkpoint FILE: ..."); nothing is left allocated on error. */
int tm_load(TextModel *tm, const char *checkpoint, const char *tokenizer_file, char *why, size_t cap);

/* Encodes text[0, len) into ids (room for cap). Returns the number of tokens (those past
 * cap are counted, not written), or -1 with why naming a byte the character model never
 * saw in training. */
long tm_encode(const TextModel *tm, const char *text, size_t len, int32_t *ids, size_t cap, char *why,
               size_t whycap);

/* The bytes of token t and their number. */
const char *tm_token(const TextModel *tm, int32_t t, size_t *len);

/* The longest token's length in bytes (1 for characters). */
size_t tm_max_token_bytes(const TextModel *tm);

void tm_free(TextModel *tm);

#endif
