/* test_data: vocabulary, split, batches, the built-in corpus, bad text. */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "mem.h"

static void test_vocab_and_split(void **state)
{
    (void)state;
    const char *text = "abracadabra, abracadabra!\n";
    Dataset d;
    const char *why = NULL;
    assert_int_equal(data_from_text(&d, (const uint8_t *)text, strlen(text), &why), ENG_OK);
    assert_int_equal(d.vocab, 9); /* \n ' ' ! , a b c d r */
    assert_int_equal(d.itos[0], '\n');
    assert_int_equal(d.stoi['a'], 4);
    assert_int_equal(d.stoi['z'], -1);
    assert_int_equal(d.n, strlen(text));
    assert_int_equal(d.n_train, strlen(text) - strlen(text) / 10);
    for (size_t i = 0; i < d.n; i++)
        assert_int_equal(d.itos[d.tokens[i]], (uint8_t)text[i]);
    data_free(&d);
}

static void test_batches_are_shifted_windows_of_their_split(void **state)
{
    (void)state;
    char text[1000];
    for (int i = 0; i < 1000; i++)
        text[i] = (char)('a' + i % 26);
    Dataset d;
    const char *why;
    assert_int_equal(data_from_text(&d, (const uint8_t *)text, sizeof text, &why), ENG_OK);
    assert_int_equal(data_check_context(&d, 8), ENG_OK);
    assert_int_equal(data_check_context(&d, 100), ENG_EDATA); /* validation has 100 tokens */
    Rng r;
    rng_seed(&r, 1);
    int32_t x[4 * 8], y[4 * 8];
    for (int rep = 0; rep < 50; rep++) {
        data_batch(&d, SPLIT_VAL, &r, 4, 8, x, y);
        for (int i = 0; i < 32; i++) {
            assert_int_equal((x[i] + 1) % 26, y[i]); /* the next character */
            if (i % 8)
                assert_int_equal(x[i], y[i - 1]);
        }
    }
    data_free(&d);
}

static void test_builtin_corpus_is_deterministic_text(void **state)
{
    (void)state;
    size_t n = data_builtin_text(NULL, 0);
    assert_true(n > 100000);
    char *a = malloc(n), *b = malloc(n);
    assert_int_equal(data_builtin_text(a, n), n);
    assert_int_equal(data_builtin_text(b, n), n);
    assert_memory_equal(a, b, n);
    assert_null(memchr(a, 0, n));
    Dataset d;
    assert_int_equal(data_builtin(&d), ENG_OK);
    assert_true(d.vocab > 20 && d.vocab < 80);
    assert_int_equal(data_check_context(&d, 256), ENG_OK);
    data_free(&d);
    free(a), free(b);
}

static void test_bad_text_is_refused(void **state)
{
    (void)state;
    Dataset d;
    const char *why = NULL;
    assert_int_equal(data_from_text(&d, (const uint8_t *)"", 0, &why), ENG_EDATA);
    assert_string_equal(why, "is empty");
    assert_int_equal(data_from_text(&d, (const uint8_t *)"ab\0cd", 5, &why), ENG_EDATA);
    assert_non_null(strstr(why, "NUL"));
    assert_int_equal(data_load_file(&d, "/nonexistent/file.txt", &why), ENG_EIO);
    assert_string_equal(why, "no such file");
    assert_int_equal(data_load_file(&d, "/", &why), ENG_EIO);
    assert_non_null(strstr(why, "directory"));
    assert_int_equal(mem_stats().live_bytes, 0); /* nothing left behind on any path */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocab_and_split),
        cmocka_unit_test(test_batches_are_shifted_windows_of_their_split),
        cmocka_unit_test(test_builtin_corpus_is_deterministic_text),
        cmocka_unit_test(test_bad_text_is_refused),
    };
    return cmocka_run_group_tests_name("data", tests, NULL, NULL);
}
