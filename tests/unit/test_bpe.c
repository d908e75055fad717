/* test_bpe: the byte-level BPE tokenizer (engine/bpe.c): merges learned on a tiny text,
 * checked by hand; encode/decode round-trip random bytes and a corpus exactly; a
 * save/load round-trip; damaged files refused with the reason; bad sizes refused. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "bpe.h"
#include "data.h"

static Bpe g_bpe; /* trained on the built-in corpus to 512 tokens */
static uint8_t *g_text;
static size_t g_len;

static int setup(void **state)
{
    const char *why;
    g_len = data_builtin_text(NULL, 0);
    g_text = malloc(g_len);
    data_builtin_text((char *)g_text, g_len);
    return tmpdir_setup(state) || bpe_train(&g_bpe, g_text, g_len, 512, &why) != ENG_OK;
}

static int teardown(void **state)
{
    bpe_free(&g_bpe);
    free(g_text);
    return tmpdir_teardown(state);
}

/* decode(encode(text)) == text; returns the number of ids. */
static size_t round_trip(const Bpe *b, const uint8_t *text, size_t len)
{
    int32_t *ids = malloc((len + 1) * sizeof *ids);
    uint8_t *back = malloc(len + 1);
    size_t n = bpe_encode(b, text, len, ids, len);
    assert_true(n <= len);
    for (size_t i = 0; i < n; i++)
        assert_true(ids[i] >= 0 && ids[i] < b->vocab);
    assert_int_equal(bpe_decode(b, ids, n, back, len + 1), len);
    assert_memory_equal(back, text, len);
    free(ids);
    free(back);
    return n;
}

/* "aaabdaaabac" (one piece): (a,a) occurs 4 times and is merged first, into 256:
 * Z a b d Z a b a c. Then (Z,a) and (a,b) both occur twice: the smaller pair of ids,
 * (a,b) = (97,98), becomes 257: Z Y d Z Y a c. Then (Z,Y) twice: 258. */
static void test_merges_by_hand(void **state)
{
    (void)state;
    Bpe b;
    const char *why;
    const uint8_t text[] = "aaabdaaabac";
    assert_int_equal(bpe_train(&b, text, 11, 300, &why), ENG_OK);
    assert_int_equal(b.vocab, 259); /* then no pair occurs twice: it stops early */
    assert_int_equal(b.merge[0][0], 'a');
    assert_int_equal(b.merge[0][1], 'a');
    assert_int_equal(b.merge[1][0], 'a');
    assert_int_equal(b.merge[1][1], 'b');
    assert_int_equal(b.merge[2][0], 256);
    assert_int_equal(b.merge[2][1], 257);
    int32_t ids[11];
    assert_int_equal(bpe_encode(&b, text, 11, ids, 11), 5);
    int32_t want[] = {258, 'd', 258, 'a', 'c'};
    assert_memory_equal(ids, want, sizeof want);
    size_t len;
    const uint8_t *t = bpe_token(&b, 258, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(t, "aaab", 4);
    bpe_free(&b);
}

/* Pieces: a word takes the one space before it; merges never cross pieces. */
static void test_pieces(void **state)
{
    (void)state;
    const uint8_t *t = (const uint8_t *)"To be,  or not\n\n42!";
    size_t lens[16], n = 0;
    for (size_t pos = 0, len = strlen((const char *)t); pos < len; pos += lens[n - 1])
        lens[n++] = bpe_piece(t + pos, len - pos);
    size_t want[] = {2, 3, 1, 1, 3, 4, 2, 2, 1}; /* To| be|,| | or| not|\n\n|42|! */
    assert_int_equal(n, sizeof want / sizeof want[0]);
    assert_memory_equal(lens, want, sizeof want);
}

static void test_round_trip_random_bytes(void **state)
{
    (void)state;
    uint64_t s = 12345;
    uint8_t buf[4096];
    for (int k = 0; k < 200; k++) {
        size_t len = (size_t)(k * 37 % 4096);
        for (size_t i = 0; i < len; i++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            buf[i] = k % 3 ? (uint8_t)(s >> 56)
                           : (uint8_t) " etaoin\n"[(s >> 60) & 7]; /* raw bytes, and text-like runs */
        }
        round_trip(&g_bpe, buf, len);
    }
}

static void test_round_trip_corpus(void **state)
{
    (void)state;
    size_t n = round_trip(&g_bpe, g_text, g_len);
    assert_true(n * 2 < g_len); /* 512 tokens: fewer than half as many ids as bytes */
}

static void test_save_load(void **state)
{
    (void)state;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/tok.bin", test_tmpdir());
    FILE *f = fopen(path, "wb");
    assert_int_equal(bpe_save(f, &g_bpe), ENG_OK);
    fclose(f);
    Bpe b;
    const char *why = "";
    f = fopen(path, "rb");
    assert_int_equal(bpe_load(f, &b, &why), ENG_OK);
    fclose(f);
    assert_int_equal(b.vocab, g_bpe.vocab);
    int32_t *x = malloc(g_len * sizeof *x), *y = malloc(g_len * sizeof *y);
    size_t nx = bpe_encode(&g_bpe, g_text, g_len, x, g_len), ny = bpe_encode(&b, g_text, g_len, y, g_len);
    assert_int_equal(nx, ny);
    assert_memory_equal(x, y, nx * sizeof *x);
    free(x);
    free(y);
    bpe_free(&b);
}

/* The file of g_bpe with one change, loaded: the reason it is refused. */
static const char *load_damaged(long at, int value, long truncate_to, int append)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/bad.bin", test_tmpdir());
    FILE *f = fopen(path, "w+b");
    bpe_save(f, &g_bpe);
    if (at >= 0) {
        fseek(f, at, SEEK_SET);
        fputc(value, f);
    }
    if (append)
        fseek(f, 0, SEEK_END), fputc(0, f);
    fflush(f);
    if (truncate_to >= 0)
        assert_int_equal(ftruncate(fileno(f), truncate_to), 0);
    rewind(f);
    Bpe b;
    const char *why = NULL;
    EngErr e = bpe_load(f, &b, &why);
    fclose(f);
    assert_int_equal(e, ENG_EDATA);
    return why;
}

static void test_damaged_files(void **state)
{
    (void)state;
    assert_non_null(strstr(load_damaged(0, 'X', -1, 0), "not a tokenizer file"));
    assert_non_null(strstr(load_damaged(8, 9, -1, 0), "another version"));
    assert_non_null(strstr(load_damaged(14, 0xff, -1, 0), "out of range")); /* vocab 16M */
    assert_non_null(strstr(load_damaged(-1, 0, 100, 0), "truncated"));
    assert_non_null(strstr(load_damaged(19, 0x7f, -1, 0), "not made before")); /* merge 0 names 2^31.. */
    assert_non_null(strstr(load_damaged(16, 'q', -1, 0), "checksum")); /* a valid but other merge */
    assert_non_null(strstr(load_damaged(-1, 0, -1, 1), "trailing"));
}

static void test_bad_sizes(void **state)
{
    (void)state;
    Bpe b;
    const char *why = NULL;
    assert_int_equal(bpe_train(&b, g_text, g_len, 255, &why), ENG_EINVAL);
    assert_non_null(strstr(why, "256 to 65535"));
    assert_int_equal(bpe_train(&b, g_text, g_len, 65536, &why), ENG_EINVAL);
    assert_int_equal(bpe_train(&b, g_text, 0, 512, &why), ENG_EDATA);
    assert_int_equal(bpe_train(&b, g_text, g_len, 256, &why), ENG_OK); /* bytes only */
    assert_int_equal(b.vocab, 256);
    round_trip(&b, g_text, 1000);
    bpe_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merges_by_hand),
        cmocka_unit_test(test_pieces),
        cmocka_unit_test(test_round_trip_random_bytes),
        cmocka_unit_test(test_round_trip_corpus),
        cmocka_unit_test(test_save_load),
        cmocka_unit_test(test_damaged_files),
        cmocka_unit_test(test_bad_sizes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
