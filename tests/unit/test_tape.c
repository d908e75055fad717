/* test_tape: entries own copies of their inputs, capacity is reused and bounded. */
#include "testutil.h"

#include <string.h>

#include "mem.h"
#include "tape.h"

static TapeEntry entry_from(Tensor **inputs, int n)
{
    TapeEntry e;
    memset(&e, 0, sizeof e);
    for (int i = 0; i < n; i++)
        e.in[i] = inputs[i];
    e.n_in = n;
    e.op = "test";
    return e;
}

/* The seed engine stored a pointer to the caller's stack array: overwrite the caller's
 * array after the push and the entry must still name the original inputs. */
static void test_entry_owns_its_inputs(void **state)
{
    (void)state;
    Tape t;
    tape_init(&t, 0);
    Tensor a, b, c;
    Tensor *inputs[2] = {&a, &b};
    TapeEntry e = entry_from(inputs, 2);
    assert_int_equal(tape_push(&t, &e), ENG_OK);
    inputs[0] = inputs[1] = &c;
    memset(&e, 0, sizeof e);
    assert_ptr_equal(t.entries[0].in[0], &a);
    assert_ptr_equal(t.entries[0].in[1], &b);
    assert_int_equal(t.entries[0].n_in, 2);
    tape_free(&t);
}

static void test_clear_keeps_capacity(void **state)
{
    (void)state;
    Tape t;
    tape_init(&t, 0);
    Tensor a;
    Tensor *in[1] = {&a};
    TapeEntry e = entry_from(in, 1);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(tape_push(&t, &e), ENG_OK);
    size_t cap = t.cap;
    tape_clear(&t);
    MemStats before = mem_stats();
    for (int step = 0; step < 50; step++) {
        for (int i = 0; i < 1000; i++)
            assert_int_equal(tape_push(&t, &e), ENG_OK);
        tape_clear(&t);
    }
    assert_int_equal(t.cap, cap);
    assert_int_equal(mem_stats().allocs, before.allocs);
    tape_free(&t);
}

static void test_limit_is_an_error(void **state)
{
    (void)state;
    Tape t;
    tape_init(&t, 300);
    Tensor a;
    Tensor *in[1] = {&a};
    TapeEntry e = entry_from(in, 1);
    for (int i = 0; i < 300; i++)
        assert_int_equal(tape_push(&t, &e), ENG_OK);
    assert_int_equal(tape_push(&t, &e), ENG_ETAPE);
    assert_int_equal(t.len, 300);
    assert_true(t.cap <= 300);
    tape_free(&t);
    assert_int_equal(t.cap, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entry_owns_its_inputs),
        cmocka_unit_test(test_clear_keeps_capacity),
        cmocka_unit_test(test_limit_is_an_error),
    };
    return cmocka_run_group_tests_name("tape", tests, NULL, NULL);
}
