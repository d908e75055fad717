#include "bpe.h"

#include <string.h>

#include "fault.h"
#include "mem.h"

#define PIECE_MAX 256 /* a longer run is cut: no token is longer */

/* ---- pieces ----------------------------------------------------------------------------- */

static int byte_class(uint8_t c)
{
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f')
        return 0;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80 || c == '\'')
        return 1; /* letters (UTF-8 sequences with them), and the apostrophe of "o'er" */
    if (c >= '0' && c <= '9')
        return 2;
    return 3;
}

size_t bpe_piece(const uint8_t *t, size_t len)
{
    if (!len)
        return 0;
    size_t i = 0;
    if (t[0] == ' ' && len > 1 && byte_class(t[1]) != 0)
        i = 1; /* " word": the space belongs to the word after it */
    int cls = byte_class(t[i]);
    size_t j = i + 1;
    while (j < len && j < PIECE_MAX && byte_class(t[j]) == cls)
        j++;
    if (cls == 0 && j < len && t[j - 1] == ' ' && j - 1 > i && byte_class(t[j]) != 0)
        j--; /* white space before a word: its last space goes with the word */
    return j;
}

/* ---- the pair -> rank table --------------------------------------------------------------- */

static uint32_t pair_key(int32_t a, int32_t b)
{
    return ((uint32_t)a << 16 | (uint32_t)b) + 1u; /* ids < 65536, and a key is never 0 ... */
}

static uint32_t hash32(uint32_t k)
{
    k ^= k >> 16;
    k *= 0x7feb352du;
    k ^= k >> 15;
    k *= 0x846ca68bu;
    return k ^ (k >> 16);
}

/* The rank of pair (a, b), or -1. */
static int32_t pair_rank(const Bpe *b, int32_t x, int32_t y)
{
    if (!b->slots || x > 65535 || y > 65535)
        return -1;
    uint32_t key = pair_key(x, y); /* ... except for (65535, 65535), which no vocabulary has */
    for (uint32_t i = hash32(key) & (b->slots - 1);; i = (i + 1) & (b->slots - 1)) {
        if (b->slot_key[i] == key)
            return b->slot_rank[i];
        if (!b->slot_key[i])
            return -1;
    }
}

/* Builds the token bytes and the rank table from b->merge (vocab set). 0, -1 on ENOMEM,
 * -2 when a token would exceed PIECE_MAX bytes, -3 when a pair repeats. */
static int build_tables(Bpe *b)
{
    int n = b->vocab - 256;
    size_t total = 256;
    b->off =
        mem_calloc((size_t)b->vocab + 1, sizeof(uint32_t), "bpe.offsets"); /* off[vocab] 0: no bytes yet */
    uint32_t *len = mem_alloc(sizeof(uint32_t) * (size_t)b->vocab, "bpe.scratch");
    if (!b->off || !len)
        return mem_free(len, sizeof(uint32_t) * (size_t)b->vocab, "bpe.scratch"), -1;
    for (int t = 0; t < b->vocab; t++) {
        len[t] = t < 256 ? 1 : len[b->merge[t - 256][0]] + len[b->merge[t - 256][1]];
        if (len[t] > PIECE_MAX)
            return mem_free(len, sizeof(uint32_t) * (size_t)b->vocab, "bpe.scratch"), -2;
        b->off[t] = (uint32_t)(t ? b->off[t - 1] + len[t - 1] : 0);
        total = b->off[t] + len[t];
    }
    b->off[b->vocab] = (uint32_t)total;
    mem_free(len, sizeof(uint32_t) * (size_t)b->vocab, "bpe.scratch");
    b->bytes = mem_alloc(total, "bpe.bytes");
    b->slots = 16;
    while (b->slots < (uint32_t)n * 2u)
        b->slots *= 2;
    b->slot_key = mem_calloc(b->slots, sizeof(uint32_t), "bpe.table");
    b->slot_rank = mem_alloc(sizeof(int32_t) * b->slots, "bpe.table");
    if (!b->bytes || !b->slot_key || !b->slot_rank)
        return -1;
    for (int t = 0; t < b->vocab; t++) {
        if (t < 256) {
            b->bytes[t] = (uint8_t)t;
            continue;
        }
        int32_t x = b->merge[t - 256][0], y = b->merge[t - 256][1];
        uint32_t lx = b->off[x + 1] - b->off[x];
        memcpy(b->bytes + b->off[t], b->bytes + b->off[x], lx);
        memcpy(b->bytes + b->off[t] + lx, b->bytes + b->off[y], b->off[y + 1] - b->off[y]);
        if (pair_rank(b, x, y) >= 0)
            return -3;
        uint32_t key = pair_key(x, y), i = hash32(key) & (b->slots - 1);
        while (b->slot_key[i])
            i = (i + 1) & (b->slots - 1);
        b->slot_key[i] = key;
        b->slot_rank[i] = t - 256;
    }
    return 0;
}

void bpe_free(Bpe *b)
{
    if (b->vocab > 256)
        mem_free(b->merge, sizeof(int32_t[2]) * (size_t)(b->vocab - 256), "bpe.merges");
    if (b->off) {
        mem_free(b->bytes, b->off[b->vocab], "bpe.bytes");
        mem_free(b->off, sizeof(uint32_t) * (size_t)(b->vocab + 1), "bpe.offsets");
    }
    mem_free(b->slot_key, sizeof(uint32_t) * b->slots, "bpe.table");
    mem_free(b->slot_rank, sizeof(int32_t) * b->slots, "bpe.table");
    memset(b, 0, sizeof *b);
}

/* ---- encode, decode --------------------------------------------------------------------- */

/* Merges ids[0, n) in place, lowest-ranked pair first; returns the new length. */
static size_t merge_piece(const Bpe *b, int32_t *ids, size_t n)
{
    while (n > 1) {
        int32_t best = -1;
        for (size_t i = 0; i + 1 < n; i++) {
            int32_t r = pair_rank(b, ids[i], ids[i + 1]);
            if (r >= 0 && (best < 0 || r < best))
                best = r;
        }
        if (best < 0)
            break;
        int32_t x = b->merge[best][0], y = b->merge[best][1];
        size_t w = 0;
        for (size_t i = 0; i < n; i++) {
            if (i + 1 < n && ids[i] == x && ids[i + 1] == y) {
                ids[w++] = 256 + best;
                i++;
            } else {
                ids[w++] = ids[i];
            }
        }
        n = w;
    }
    return n;
}

size_t bpe_encode(const Bpe *b, const uint8_t *text, size_t len, int32_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t pos = 0; pos < len;) {
        size_t p = bpe_piece(text + pos, len - pos);
        if (n + p > cap)
            return (size_t)-1;
        for (size_t i = 0; i < p; i++)
            out[n + i] = text[pos + i];
        n += merge_piece(b, out + n, p);
        pos += p;
    }
    return n;
}

const uint8_t *bpe_token(const Bpe *b, int32_t t, size_t *len)
{
    if (t < 0 || t >= b->vocab)
        return NULL;
    *len = b->off[t + 1] - b->off[t];
    return b->bytes + b->off[t];
}

size_t bpe_decode(const Bpe *b, const int32_t *ids, size_t n, uint8_t *out, size_t cap)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l;
        const uint8_t *p = bpe_token(b, ids[i], &l);
        if (!p)
            return (size_t)-1;
        for (size_t k = 0; k < l; k++, total++)
            if (total < cap)
                out[total] = p[k];
    }
    return total;
}

/* ---- training ---------------------------------------------------------------------------- */

/* The distinct pieces of the text, each as token ids, with how often it occurs. */
typedef struct Words {
    int32_t *ids; /* every word's ids, word w at start[w], len[w] of them (shrinking) */
    uint32_t *start, *len;
    uint64_t *count;
    size_t n, cap_ids, cap_words;
} Words;

/* Pair counts: open addressing, key (a << 16 | b) + 1 (ids < 65536), sized once from the
 * text: no more pairs can be alive at once than adjacent positions in the distinct pieces,
 * and the table has four slots for each. Dead pairs (count 0) are dropped by rebuilding
 * into the spare table of the same size when half the slots are used. So training holds
 * the same memory from the first merge to the last, whatever the vocabulary (a table that
 * doubled as new pairs appeared grew with the merges on text of many distinct words). */
typedef struct Pairs {
    uint32_t *key, *key2;
    int32_t *count, *count2;
    size_t slots, used;
} Pairs;

static int pairs_init(Pairs *p, size_t positions)
{
    p->slots = 1024;
    while (p->slots < 4 * positions)
        p->slots *= 2;
    p->used = 0;
    p->key = mem_calloc(p->slots, sizeof(uint32_t), "bpe.train.pairs");
    p->key2 = mem_calloc(p->slots, sizeof(uint32_t), "bpe.train.pairs");
    p->count = mem_calloc(p->slots, sizeof(int32_t), "bpe.train.pairs");
    p->count2 = mem_calloc(p->slots, sizeof(int32_t), "bpe.train.pairs");
    return p->key && p->key2 && p->count && p->count2 ? 0 : -1;
}

static void pairs_free(Pairs *p)
{
    mem_free(p->key, p->slots * sizeof(uint32_t), "bpe.train.pairs");
    mem_free(p->key2, p->slots * sizeof(uint32_t), "bpe.train.pairs");
    mem_free(p->count, p->slots * sizeof(int32_t), "bpe.train.pairs");
    mem_free(p->count2, p->slots * sizeof(int32_t), "bpe.train.pairs");
}

static size_t pairs_slot(const uint32_t *keys, size_t slots, uint32_t key)
{
    size_t i = hash32(key) & (slots - 1);
    while (keys[i] && keys[i] != key)
        i = (i + 1) & (slots - 1);
    return i;
}

/* Rebuilds the live pairs into the spare table and swaps the two. */
static void pairs_compact(Pairs *p)
{
    memset(p->key2, 0, p->slots * sizeof(uint32_t));
    size_t live = 0;
    for (size_t i = 0; i < p->slots; i++)
        if (p->key[i] && p->count[i] > 0) {
            size_t j = pairs_slot(p->key2, p->slots, p->key[i]);
            p->key2[j] = p->key[i];
            p->count2[j] = p->count[i];
            live++;
        }
    uint32_t *k = p->key;
    int32_t *c = p->count;
    p->key = p->key2, p->count = p->count2;
    p->key2 = k, p->count2 = c;
    p->used = live;
}

static void pairs_add(Pairs *p, int32_t a, int32_t b, int32_t c)
{
    if (2 * (p->used + 1) > p->slots)
        pairs_compact(p);
    uint32_t key = pair_key(a, b);
    size_t i = pairs_slot(p->key, p->slots, key);
    if (!p->key[i])
        p->key[i] = key, p->count[i] = 0, p->used++;
    p->count[i] += c;
}

/* Grows a block from `old` to `new` bytes (the engine's heap has no realloc): the new
 * block, or NULL with the old one freed. */
static void *grow(void *p, size_t old, size_t new, const char *site)
{
    void *q = mem_alloc(new, site);
    if (q)
        memcpy(q, p, old);
    mem_free(p, old, site);
    return q;
}

/* 1 when word k is the bytes p[0, n). */
static int word_is(const Words *w, uint32_t k, const uint8_t *p, size_t n)
{
    if (w->len[k] != n)
        return 0;
    for (size_t j = 0; j < n; j++)
        if (w->ids[w->start[k] + j] != p[j])
            return 0;
    return 1;
}

/* Collects the distinct pieces of text (hash of their bytes -> word). */
static int words_collect(Words *w, const uint8_t *text, size_t len)
{
    size_t slots = 1024;
    while (slots < len / 2)
        slots *= 2;
    uint32_t *table = mem_calloc(slots, sizeof(uint32_t), "bpe.train.index"); /* word + 1 */
    w->cap_words = 1024;
    w->cap_ids = 4096;
    w->ids = mem_alloc(sizeof(int32_t) * w->cap_ids, "bpe.train.words");
    w->start = mem_alloc(sizeof(uint32_t) * w->cap_words, "bpe.train.words");
    w->len = mem_alloc(sizeof(uint32_t) * w->cap_words, "bpe.train.words");
    w->count = mem_alloc(sizeof(uint64_t) * w->cap_words, "bpe.train.words");
    int ok = table && w->ids && w->start && w->len && w->count;
    for (size_t pos = 0; ok && pos < len;) {
        size_t pl = bpe_piece(text + pos, len - pos);
        uint64_t h = 1469598103934665603ull;
        for (size_t i = 0; i < pl; i++)
            h = (h ^ text[pos + i]) * 1099511628211ull;
        size_t i = h & (slots - 1);
        while (table[i] && !word_is(w, table[i] - 1, text + pos, pl))
            i = (i + 1) & (slots - 1);
        if (table[i]) {
            w->count[table[i] - 1]++;
        } else {
            if (w->n == w->cap_words) {
                size_t c = w->cap_words;
                w->start = grow(w->start, c * 4, c * 8, "bpe.train.words");
                w->len = grow(w->len, c * 4, c * 8, "bpe.train.words");
                w->count = grow(w->count, c * 8, c * 16, "bpe.train.words");
                w->cap_words = c * 2;
                ok = w->start && w->len && w->count;
            }
            size_t at = w->n ? w->start[w->n - 1] + w->len[w->n - 1] : 0;
            while (ok && at + pl > w->cap_ids) {
                w->ids = grow(w->ids, w->cap_ids * 4, w->cap_ids * 8, "bpe.train.words");
                w->cap_ids *= 2;
                ok = w->ids != NULL;
            }
            if (!ok)
                break;
            w->start[w->n] = (uint32_t)at;
            w->len[w->n] = (uint32_t)pl;
            w->count[w->n] = 1;
            for (size_t j = 0; j < pl; j++)
                w->ids[at + j] = text[pos + j];
            table[i] = (uint32_t)++w->n;
        }
        pos += pl;
    }
    mem_free(table, slots * sizeof(uint32_t), "bpe.train.index");
    return ok ? 0 : -1;
}

static void words_free(Words *w)
{
    mem_free(w->ids, w->cap_ids * 4, "bpe.train.words");
    mem_free(w->start, w->cap_words * 4, "bpe.train.words");
    mem_free(w->len, w->cap_words * 4, "bpe.train.words");
    mem_free(w->count, w->cap_words * 8, "bpe.train.words");
}

/* The most frequent pair (ties: the smallest key); count 0 when none occurs twice. */
static int32_t best_pair(const Pairs *p, int32_t *a, int32_t *b)
{
    int32_t best = 1;
    uint32_t best_key = 0;
    for (size_t i = 0; i < p->slots; i++)
        if (p->key[i] && (p->count[i] > best || (p->count[i] == best && best > 1 && p->key[i] < best_key)))
            best = p->count[i], best_key = p->key[i];
    if (!best_key)
        return 0;
    *a = (int32_t)((best_key - 1) >> 16);
    *b = (int32_t)((best_key - 1) & 0xffffu);
    return best;
}

/* Replaces every (a, b) in the words by t, keeping the pair counts up to date. */
static void apply_merge(Words *w, Pairs *p, int32_t a, int32_t b, int32_t t)
{
    fault_bpe_merge(); /* bpe_leak */
    for (size_t k = 0; k < w->n; k++) {
        int32_t *ids = w->ids + w->start[k];
        uint32_t n = w->len[k], out = 0;
        int32_t c = (int32_t)w->count[k];
        for (uint32_t i = 0; i < n; i++) {
            if (i + 1 < n && ids[i] == a && ids[i + 1] == b) {
                pairs_add(p, a, b, -c);
                if (out) {
                    pairs_add(p, ids[out - 1], a, -c);
                    pairs_add(p, ids[out - 1], t, c);
                }
                if (i + 2 < n) {
                    pairs_add(p, b, ids[i + 2], -c);
                    pairs_add(p, t, ids[i + 2], c);
                }
                ids[out++] = t;
                i++;
            } else {
                ids[out++] = ids[i];
            }
        }
        w->len[k] = out;
    }
}

EngErr bpe_train(Bpe *b, const uint8_t *text, size_t len, int vocab, const char **why)
{
    return bpe_train_steps(b, text, len, vocab, why, NULL, NULL);
}

EngErr bpe_train_steps(Bpe *b, const uint8_t *text, size_t len, int vocab, const char **why,
                       void (*on_merge)(long merge, void *ctx), void *ctx)
{
    memset(b, 0, sizeof *b);
    if (vocab < BPE_MIN_VOCAB || vocab > BPE_MAX_VOCAB - 1)
        return *why = "the vocabulary must be 256 to 65535 tokens", ENG_EINVAL;
    if (!len)
        return *why = "the text is empty", ENG_EDATA;
    if (len > INT32_MAX)
        return *why = "the text is larger than 2 GiB", ENG_EINVAL;
    Words w = {0};
    Pairs p = {0};
    int n = vocab - 256, made = 0, ok = words_collect(&w, text, len) == 0;
    size_t positions = 0;
    for (size_t k = 0; ok && k < w.n; k++)
        positions += w.len[k] ? w.len[k] - 1 : 0;
    ok = ok && pairs_init(&p, positions) == 0;
    b->merge = n ? mem_alloc(sizeof(int32_t[2]) * (size_t)n, "bpe.merges") : NULL;
    ok = ok && (b->merge || !n);
    for (size_t k = 0; ok && k < w.n; k++)
        for (uint32_t i = 0; i + 1 < w.len[k]; i++)
            pairs_add(&p, w.ids[w.start[k] + i], w.ids[w.start[k] + i + 1], (int32_t)w.count[k]);
    int32_t x, y;
    while (ok && made < n && best_pair(&p, &x, &y)) {
        b->merge[made][0] = x;
        b->merge[made][1] = y;
        apply_merge(&w, &p, x, y, 256 + made);
        made++;
        if (on_merge)
            on_merge(made, ctx);
    }
    words_free(&w);
    pairs_free(&p);
    if (ok && made < n) { /* fewer pairs than asked for: keep what was learned */
        int32_t(*m)[2] = made ? mem_alloc(sizeof(int32_t[2]) * (size_t)made, "bpe.merges") : NULL;
        ok = m || !made;
        if (m)
            memcpy(m, b->merge, sizeof(int32_t[2]) * (size_t)made);
        mem_free(b->merge, sizeof(int32_t[2]) * (size_t)n, "bpe.merges");
        b->merge = m;
        n = made;
    }
    if (!ok) {
        mem_free(b->merge, sizeof(int32_t[2]) * (size_t)n, "bpe.merges");
        b->merge = NULL;
        return *why = "out of memory", ENG_ENOMEM;
    }
    b->vocab = 256 + made;
    if (build_tables(b) != 0) {
        bpe_free(b);
        return *why = "out of memory", ENG_ENOMEM;
    }
    return ENG_OK;
}

/* ---- the file ------------------------------------------------------------------------------ */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ ((const uint8_t *)p)[i]) * 1099511628211ull;
    return h;
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

EngErr bpe_save(FILE *f, const Bpe *b)
{
    uint8_t head[16], m[8], sum[8];
    memcpy(head, BPE_MAGIC, 8);
    put32(head + 8, BPE_VERSION);
    put32(head + 12, (uint32_t)b->vocab);
    uint64_t h = fnv(1469598103934665603ull, head, sizeof head);
    int ok = fwrite(head, 1, sizeof head, f) == sizeof head;
    for (int k = 0; ok && k < b->vocab - 256; k++) {
        put32(m, (uint32_t)b->merge[k][0]);
        put32(m + 4, (uint32_t)b->merge[k][1]);
        h = fnv(h, m, sizeof m);
        ok = fwrite(m, 1, sizeof m, f) == sizeof m;
    }
    put32(sum, (uint32_t)h);
    put32(sum + 4, (uint32_t)(h >> 32));
    ok = ok && fwrite(sum, 1, sizeof sum, f) == sizeof sum;
    return ok ? ENG_OK : ENG_EIO;
}

EngErr bpe_load(FILE *f, Bpe *b, const char **why)
{
    memset(b, 0, sizeof *b);
    uint8_t head[16], m[8], sum[8];
    if (fread(head, 1, sizeof head, f) != sizeof head || memcmp(head, BPE_MAGIC, 8))
        return *why = "not a tokenizer file (no FMBPE01 header)", ENG_EDATA;
    if (get32(head + 8) != BPE_VERSION)
        return *why = "tokenizer file of another version", ENG_EDATA;
    uint32_t vocab = get32(head + 12);
    if (vocab < BPE_MIN_VOCAB || vocab > BPE_MAX_VOCAB - 1)
        return *why = "vocabulary size out of range (256 to 65535)", ENG_EDATA;
    int n = (int)vocab - 256;
    b->merge = n ? mem_alloc(sizeof(int32_t[2]) * (size_t)n, "bpe.merges") : NULL;
    if (n && !b->merge)
        return *why = "out of memory", ENG_ENOMEM;
    b->vocab = (int)vocab;
    uint64_t h = fnv(1469598103934665603ull, head, sizeof head);
    for (int k = 0; k < n; k++) {
        if (fread(m, 1, sizeof m, f) != sizeof m)
            return bpe_free(b), *why = "truncated: fewer merges than the header says", ENG_EDATA;
        h = fnv(h, m, sizeof m);
        uint32_t x = get32(m), y = get32(m + 4);
        if (x >= 256u + (uint32_t)k || y >= 256u + (uint32_t)k)
            return bpe_free(b), *why = "a merge names a token not made before it", ENG_EDATA;
        b->merge[k][0] = (int32_t)x;
        b->merge[k][1] = (int32_t)y;
    }
    if (fread(sum, 1, sizeof sum, f) != sizeof sum)
        return bpe_free(b), *why = "truncated: no checksum", ENG_EDATA;
    if (get32(sum) != (uint32_t)h || get32(sum + 4) != (uint32_t)(h >> 32))
        return bpe_free(b), *why = "corrupt: the checksum does not match", ENG_EDATA;
    if (fgetc(f) != EOF)
        return bpe_free(b), *why = "trailing bytes after the checksum", ENG_EDATA;
    int rc = build_tables(b);
    if (rc) {
        bpe_free(b);
        *why = rc == -1   ? "out of memory"
               : rc == -2 ? "a token longer than 256 bytes"
                          : "a merge repeats an earlier one";
        return rc == -1 ? ENG_ENOMEM : ENG_EDATA;
    }
    return ENG_OK;
}

uint64_t bpe_hash(const Bpe *b)
{
    uint8_t v[4];
    put32(v, (uint32_t)b->vocab);
    uint64_t h = fnv(1469598103934665603ull, v, 4);
    for (int k = 0; k < b->vocab - 256; k++) {
        uint8_t m[8];
        put32(m, (uint32_t)b->merge[k][0]);
        put32(m + 4, (uint32_t)b->merge[k][1]);
        h = fnv(h, m, 8);
    }
    return h;
}
