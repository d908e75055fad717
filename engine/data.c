#include "data.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mem.h"

EngErr data_from_text(Dataset *d, const uint8_t *text, size_t len, const char **why)
{
    memset(d, 0, sizeof *d);
    if (len == 0) {
        *why = "is empty";
        return ENG_EDATA;
    }
    if (memchr(text, 0, len)) {
        *why = "contains NUL bytes (a binary file? give a text file)";
        return ENG_EDATA;
    }
    int seen[256] = {0};
    for (size_t i = 0; i < len; i++)
        seen[text[i]] = 1;
    for (int b = 0; b < 256; b++) {
        d->stoi[b] = -1;
        if (seen[b]) {
            d->stoi[b] = (int16_t)d->vocab;
            d->itos[d->vocab++] = (uint8_t)b;
        }
    }
    d->tokens = mem_alloc(len * sizeof *d->tokens, "data.tokens");
    if (!d->tokens) {
        *why = "out of memory";
        return ENG_ENOMEM;
    }
    for (size_t i = 0; i < len; i++)
        d->tokens[i] = (uint16_t)d->stoi[text[i]];
    d->n = len;
    d->n_train = len - len / 10;
    d->train_bytes = d->n_train;
    d->val_bytes = len - d->n_train;
    return ENG_OK;
}

size_t data_split_bytes(size_t len)
{
    return len - len / 10;
}

EngErr data_from_text_bpe(Dataset *d, const Bpe *b, const uint8_t *text, size_t len, const char **why)
{
    memset(d, 0, sizeof *d);
    if (len == 0)
        return *why = "is empty", ENG_EDATA;
    if (memchr(text, 0, len))
        return *why = "contains NUL bytes (a binary file? give a text file)", ENG_EDATA;
    int32_t *ids = mem_alloc(len * sizeof *ids, "data.encode");
    if (!ids)
        return *why = "out of memory", ENG_ENOMEM;
    /* each split encoded on its own: the validation text is the same bytes as with the
     * character tokenizer, so losses per byte compare */
    size_t cut = data_split_bytes(len);
    size_t nt = bpe_encode(b, text, cut, ids, len);
    size_t nv = bpe_encode(b, text + cut, len - cut, ids + nt, len - nt);
    d->tokens = mem_alloc((nt + nv) * sizeof *d->tokens, "data.tokens");
    if (!d->tokens) {
        mem_free(ids, len * sizeof *ids, "data.encode");
        return *why = "out of memory", ENG_ENOMEM;
    }
    for (size_t i = 0; i < nt + nv; i++)
        d->tokens[i] = (uint16_t)ids[i];
    mem_free(ids, len * sizeof *ids, "data.encode");
    d->n = nt + nv;
    d->n_train = nt;
    d->vocab = b->vocab;
    d->bpe = b;
    d->train_bytes = cut;
    d->val_bytes = len - cut;
    return ENG_OK;
}

size_t data_token_bytes(const Dataset *d, int32_t tok, uint8_t *out, size_t cap)
{
    if (d->bpe) {
        size_t len = 0;
        const uint8_t *p = bpe_token(d->bpe, tok, &len);
        if (!p)
            return 0;
        memcpy(out, p, len < cap ? len : cap);
        return len < cap ? len : cap;
    }
    if (tok < 0 || tok >= d->vocab || !cap)
        return 0;
    out[0] = d->itos[tok];
    return 1;
}

int32_t data_newline_token(const Dataset *d)
{
    return d->bpe ? '\n' : d->stoi['\n'] >= 0 ? d->stoi['\n'] : 0;
}

EngErr data_read_text(const char *path, uint8_t **text, size_t *len_out, const char **why)
{
    *text = NULL;
    *len_out = 0;
    if (!path) {
        size_t len = data_builtin_text(NULL, 0);
        char *buf = mem_alloc(len, "data.file");
        if (!buf)
            return *why = "out of memory", ENG_ENOMEM;
        data_builtin_text(buf, len);
        *text = (uint8_t *)buf;
        *len_out = len;
        return ENG_OK;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *why = errno == ENOENT ? "no such file" : errno == EACCES ? "permission denied" : "cannot be opened";
        return ENG_EIO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        *why = S_ISDIR(st.st_mode) ? "is a directory, not a text file" : "is not a regular file";
        close(fd);
        return ENG_EIO;
    }
    size_t len = (size_t)st.st_size;
    if (len == 0) {
        close(fd);
        *why = "is empty";
        return ENG_EDATA;
    }
    uint8_t *buf = mem_alloc(len, "data.file");
    if (!buf) {
        close(fd);
        *why = "out of memory";
        return ENG_ENOMEM;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, buf + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (got != len) {
        mem_free(buf, len, "data.file");
        *why = "could not be read completely";
        return ENG_EIO;
    }
    *text = buf;
    *len_out = len;
    return ENG_OK;
}

void data_text_free(uint8_t *text, size_t len)
{
    mem_free(text, len, "data.file");
}

EngErr data_load_file(Dataset *d, const char *path, const char **why)
{
    memset(d, 0, sizeof *d);
    uint8_t *text;
    size_t len;
    EngErr err = data_read_text(path, &text, &len, why);
    if (err)
        return err;
    err = data_from_text(d, text, len, why);
    data_text_free(text, len);
    return err;
}

/* ---- the built-in corpus ---------------------------------------------------------------- */

static const char *const k_names[] = {"ANTONIO", "BEATRICE", "CLAUDIO",  "DOGBERRY",
                                      "HERO",    "LEONATO",  "MARGARET", "URSULA"};
static const char *const k_words[] = {
    "the",     "and",    "my",    "lord",  "thou",   "thee",   "good",   "sweet",   "love",   "night",
    "day",     "heart",  "king",  "queen", "honour", "fair",   "what",   "is",      "not",    "a",
    "of",      "to",     "in",    "shall", "will",   "would",  "make",   "come",    "go",     "speak",
    "hear",    "see",    "time",  "world", "grace",  "noble",  "gentle", "sir",     "madam",  "now",
    "then",    "here",   "there", "so",    "as",     "with",   "for",    "by",      "upon",   "this",
    "that",    "these",  "those", "your",  "our",    "his",    "her",    "their",   "me",     "him",
    "them",    "no",     "yes",   "true",  "false",  "death",  "life",   "eyes",    "hand",   "blood",
    "fortune", "heaven", "earth", "word",  "name",   "father", "mother", "brother", "friend", "enemy",
    "crown",   "sword",  "peace", "war"};
#define N_NAMES (sizeof k_names / sizeof k_names[0])
#define N_WORDS (sizeof k_words / sizeof k_words[0])
#define BUILTIN_TARGET_BYTES 200000

static size_t put(char *buf, size_t cap, size_t at, const char *s)
{
    size_t n = strlen(s);
    if (buf && at < cap)
        memcpy(buf + at, s, at + n <= cap ? n : cap - at);
    return at + n;
}

size_t data_builtin_text(char *buf, size_t cap)
{
    Rng r;
    rng_seed(&r, 1606);
    size_t at = 0;
    while (at < BUILTIN_TARGET_BYTES) {
        at = put(buf, cap, at, k_names[rng_below(&r, N_NAMES)]);
        at = put(buf, cap, at, ":\n");
        int lines = 1 + (int)rng_below(&r, 3);
        for (int l = 0; l < lines; l++) {
            int words = 4 + (int)rng_below(&r, 7);
            for (int w = 0; w < words; w++) {
                const char *word = k_words[rng_below(&r, N_WORDS)];
                char first[2] = {(char)(w == 0 ? word[0] - 'a' + 'A' : word[0]), 0};
                at = put(buf, cap, at, first);
                at = put(buf, cap, at, word + 1);
                if (w + 1 < words)
                    at = put(buf, cap, at, rng_below(&r, 9) == 0 ? ", " : " ");
            }
            at = put(buf, cap, at, rng_below(&r, 4) == 0 ? "?\n" : l + 1 < lines ? ",\n" : ".\n");
        }
        at = put(buf, cap, at, "\n");
    }
    return at;
}

EngErr data_builtin(Dataset *d)
{
    const char *why = NULL;
    memset(d, 0, sizeof *d);
    uint8_t *text;
    size_t len;
    EngErr err = data_read_text(NULL, &text, &len, &why);
    if (err)
        return err;
    err = data_from_text(d, text, len, &why);
    data_text_free(text, len);
    return err;
}

EngErr data_check_context(const Dataset *d, int T)
{
    size_t need = (size_t)T + 1;
    return (d->n_train >= need && d->n - d->n_train >= need) ? ENG_OK : ENG_EDATA;
}

void data_batch(const Dataset *d, int split, Rng *r, int B, int T, int32_t *x, int32_t *y)
{
    size_t start = split == SPLIT_TRAIN ? 0 : d->n_train;
    size_t len = split == SPLIT_TRAIN ? d->n_train : d->n - d->n_train;
    size_t windows = len - (size_t)T; /* starts with T+1 tokens available */
    for (int b = 0; b < B; b++) {
        size_t off = start + (size_t)rng_below(r, windows);
        for (int t = 0; t < T; t++) {
            x[b * T + t] = d->tokens[off + t];
            y[b * T + t] = d->tokens[off + t + 1];
        }
    }
}

void data_free(Dataset *d)
{
    mem_free(d->tokens, d->n * sizeof *d->tokens, "data.tokens");
    d->tokens = NULL;
    d->n = 0;
}
