/* bpe.h - a byte-level BPE tokenizer (docs/tokenizer.md): trained on a corpus to a
 * vocabulary of N tokens (the 256 bytes, then N - 256 merges), saved and loaded in a
 * versioned file, and encode/decode that round-trip every byte sequence exactly.
 *
 * Text is first cut into pieces that merges never cross (bpe_piece: a run of letters, of
 * digits, of other visible bytes, each with at most one space before it; or a run of
 * white space), the way GPT-2 pre-tokenises, so training counts the pairs of each distinct
 * piece once and encoding works piece by piece. Training repeatedly merges the most
 * frequent adjacent pair (ties: the smaller pair of ids), and encoding applies merges in
 * the order they were learned: the lowest-ranked pair present first.
 *
 * Owns: its merge table, token bytes and lookup table (mem_alloc, sites "bpe.*"), freed by
 * bpe_free. Encoding allocates nothing but its output (the caller's buffer). */
#ifndef ENGINE_BPE_H
#define ENGINE_BPE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

#define BPE_MIN_VOCAB 256
#define BPE_MAX_VOCAB 65536
#define BPE_MAGIC "FMBPE01"
#define BPE_VERSION 1u

typedef struct Bpe {
    int vocab; /* 256 + merges */
    int32_t (*merge)[2]; /* [vocab - 256]: token 256 + k is merge[k][0] then merge[k][1] */
    uint32_t *off; /* [vocab + 1]: token t's bytes are bytes[off[t], off[t + 1]) */
    uint8_t *bytes;
    uint32_t *slot_key; /* open-addressed pair -> rank table: key (a << 16 | b) + 1, 0 empty */
    int32_t *slot_rank;
    uint32_t slots; /* a power of two */
} Bpe;

/* Trains on text[0, len) to `vocab` tokens (256..BPE_MAX_VOCAB). Stops early, with fewer
 * tokens, when no pair occurs twice. ENG_EINVAL with *why for a vocabulary out of range,
 * ENG_EDATA for empty text, ENG_ENOMEM. */
EngErr bpe_train(Bpe *b, const uint8_t *text, size_t len, int vocab, const char **why);

/* bpe_train, calling on_merge(k, ctx) after the k-th merge (1, 2, ...): progress, or a
 * step mark for the soak (app/tokenize.c). */
EngErr bpe_train_steps(Bpe *b, const uint8_t *text, size_t len, int vocab, const char **why,
                       void (*on_merge)(long merge, void *ctx), void *ctx);

/* Length of the piece starting at text[0] (at least 1 when len > 0). */
size_t bpe_piece(const uint8_t *text, size_t len);

/* Encodes text[0, len) into out (room for cap ids: len is always enough). Returns the
 * number of ids, or (size_t)-1 when cap is too small. */
size_t bpe_encode(const Bpe *b, const uint8_t *text, size_t len, int32_t *out, size_t cap);

/* Decodes ids into out (room for cap bytes). Returns the number of bytes the text has
 * (which may exceed cap: then only cap are written), or (size_t)-1 when an id is not a
 * token of b. */
size_t bpe_decode(const Bpe *b, const int32_t *ids, size_t n, uint8_t *out, size_t cap);

/* The bytes of token t and their number (NULL when t is not a token). */
const uint8_t *bpe_token(const Bpe *b, int32_t t, size_t *len);

/* Writes the tokenizer to f (docs/tokenizer.md; the caller writes to a temporary file
 * and renames). ENG_EIO on a write error. */
EngErr bpe_save(FILE *f, const Bpe *b);

/* Reads a tokenizer. On any error nothing is left allocated and *why says what is wrong
 * (not a tokenizer file, another version, truncated, a merge of unknown tokens, ...).
 * Safe on arbitrary bytes (fuzzed). ENG_EDATA, ENG_ENOMEM or ENG_EIO. */
EngErr bpe_load(FILE *f, Bpe *b, const char **why);

/* A 64-bit digest of the merges: what a checkpoint records of the tokenizer it was
 * trained with. */
uint64_t bpe_hash(const Bpe *b);

void bpe_free(Bpe *b);

#endif
