/* test_heapgrowth: the soak's own reading of jemalloc's heap profiles (no jeprof): short
 * names as jeprof gives them, and a growth between two profiles folded, charged to the
 * function that allocated past the allocator's frames, at its file:line. The profiles are
 * written here in jemalloc's heap_v2 format, their addresses those of this program's own
 * functions and of malloc, their maps this process's, so addr2line names them for real. */
#include "testutil.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attrib.h"
#include "heapgrowth.h"
#include "util.h"

static void test_short_names(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"reach_step", "reach_step"},
        {"void std::vector<int, std::allocator<int> "
         ">::_M_realloc_insert<int>(__gnu_cxx::__normal_iterator<int*, "
         "std::vector<int, std::allocator<int> > >, int&&)",
         "std::vector::_M_realloc_insert"},
        {"trainer::History::remember_step(double) const", "trainer::History::remember_step"},
        {"Cache<std::string>::put(std::string const&)", "Cache::put"},
        {"operator new(unsigned long)", "operator new"},
        {"(anonymous namespace)::helper(int)", "::helper"},
        {"libfoo.so+0x1a2b", "libfoo.so+0x1a2b"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[512];
        heap_short_name(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
}

/* Functions of this program whose addresses the profiles hold: grow_here allocates (its
 * caller outer_loop), shrink_here held memory early on. */
__attribute__((noinline, used)) void grow_here(void);
__attribute__((noinline, used)) void outer_loop(void);
__attribute__((noinline, used)) void shrink_here(void);
volatile int g_sink;
void grow_here(void)
{
    g_sink++;
}
void outer_loop(void)
{
    g_sink += 2;
}
void shrink_here(void)
{
    g_sink += 3;
}

/* An address inside f (the resolver looks at the byte before a return address). */
static uint64_t in(void (*f)(void))
{
    return (uint64_t)(uintptr_t)f + 2;
}

/* A heap_v2 profile at path, sampled every period bytes: stacks (addresses, innermost
 * first, 0-ended) with objects and bytes as sampled; this process's maps. */
static void write_profile(const char *path, long period, const uint64_t (*stacks)[5],
                          const double (*counts)[2], int n)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "heap_v2/%ld\n  t*: 1: 1 [0: 0]\n", period);
    for (int i = 0; i < n; i++) {
        fprintf(f, "@");
        for (int k = 0; stacks[i][k]; k++)
            fprintf(f, " 0x%llx", (unsigned long long)stacks[i][k]);
        fprintf(f, "\n  t*: %.0f: %.0f [0: 0]\n  t0: %.0f: %.0f [0: 0]\n", counts[i][0], counts[i][1],
                counts[i][0], counts[i][1]);
    }
    fprintf(f, "\nMAPPED_LIBRARIES:\n");
    char *maps = read_file("/proc/self/maps", 1 << 20, NULL);
    assert_non_null(maps);
    fputs(maps, f);
    free(maps);
    fclose(f);
}

static void test_growth_folded_and_charged(void **state)
{
    (void)state;
    uint64_t m = (uint64_t)(uintptr_t)&malloc + 2;
    const uint64_t stacks[2][5] = {{m, in(grow_here), in(outer_loop), 0},
                                   {m, in(shrink_here), in(outer_loop), 0}};
    /* 100-byte blocks: with a period of 1 byte the counts are as written (unsampled x1) */
    const double early[2][2] = {{10, 1000}, {40, 4000}}, late[2][2] = {{60, 6000}, {10, 1000}};
    char pe[PATH_MAX], pl[PATH_MAX], err[512];
    snprintf(pe, sizeof pe, "%s/early.heap", test_tmpdir());
    snprintf(pl, sizeof pl, "%s/late.heap", test_tmpdir());
    write_profile(pe, 1, stacks, early, 2);
    write_profile(pl, 1, stacks, late, 2);
    HeapProf p[2];
    assert_int_equal(heapprof_load(pl, &p[0], err, sizeof err), 0);
    assert_int_equal(heapprof_load(pe, &p[1], err, sizeof err), 0);
    const HeapProf *both[2] = {&p[0], &p[1]};
    HeapSyms s;
    HeapNames *names = heapnames_new();
    if (heapsyms_resolve(&s, both, 2, names, err, sizeof err) != 0)
        fail_msg("%s", err);
    FoldedSet set;
    heap_fold(&s, &p[0], &p[1], &set);
    assert_int_equal(set.n, 2);
    int g = strstr(set.f[0].text, "grow_here") ? 0 : 1;
    assert_string_equal(set.f[g].text, "outer_loop;grow_here"); /* malloc left out, the root first */
    ASSERT_CLOSE(set.f[g].bytes, 5000, 1e-6, 1e-9, "grown");
    ASSERT_CLOSE(set.f[1 - g].bytes, -3000, 1e-6, 1e-9, "shrunk");
    StackGrowth all[8];
    double total;
    assert_int_equal(heap_charge(&set, all, 8, &total), 1); /* what shrank is not charged */
    assert_string_equal(all[0].function, "grow_here");
    assert_int_equal(all[0].n_callers, 1);
    assert_string_equal(all[0].callers[0].function, "outer_loop");
    assert_non_null(strstr(all[0].where, "test_heapgrowth.c:"));
    ASSERT_CLOSE(total, 5000, 1e-6, 1e-9, "total");
    char out[PATH_MAX];
    snprintf(out, sizeof out, "%s/growth.collapsed", test_tmpdir());
    FILE *f = fopen(out, "w");
    assert_int_equal(heap_folded_write(&set, f), 0);
    fclose(f);
    char *text = read_file(out, 4096, NULL);
    assert_string_equal(text, "outer_loop;grow_here 5000\n");
    free(text);
    heap_folded_free(&set);
    heapsyms_free(&s);
    /* the same profiles again (another run of the program): named as before, from what
     * addr2line said the first time, without starting it again */
    long runs = heapnames_addr2line_runs(names);
    assert_true(runs >= 1);
    if (heapsyms_resolve(&s, both, 2, names, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(heapnames_addr2line_runs(names), runs);
    const HeapSym *y = heapsyms_find(&s, in(grow_here));
    assert_non_null(y);
    assert_string_equal(y->lines[y->n_lines - 1].function, "grow_here");
    assert_non_null(strstr(y->lines[y->n_lines - 1].file, "test_heapgrowth.c"));
    assert_int_equal(heapprof_first_frame(&s, &p[0].stacks[0]), 1); /* malloc: the allocator's, again */
    heapsyms_free(&s);
    heapnames_free(names);
    heapprof_free(&p[0]);
    heapprof_free(&p[1]);
}

/* A child's growth named from the profile it wrote at its exit: a sampled count is an
 * estimate, so a stack that holds the growth is named when its samples came out at half
 * their mean (2 MiB of 1 KiB blocks at a period of 128 KiB: 16 samples expected, 8 drawn,
 * which happened in 1 soak of 12 under load), and one far below it is not. */
static void test_child_final_sampling_error(void **state)
{
    (void)state;
    uint64_t m = (uint64_t)(uintptr_t)&malloc + 2;
    const uint64_t stacks[1][5] = {{m, in(grow_here), in(outer_loop), 0}};
    const double half[1][2] = {{8, 8 * 1024}}, few[1][2] = {{2, 2 * 1024}};
    double least = 0.5 * 2000 * 1100.0; /* half of a tree's growth of 1100 B an iteration */
    char path[PATH_MAX], why[512];
    snprintf(path, sizeof path, "%s/jeprof.4242.0.f.heap", test_tmpdir());
    write_profile(path, 131072, stacks, half, 1);
    StackGrowth out[4];
    int n = attrib_child_final(test_tmpdir(), 4242, 0, 2000, least, NULL, out, 4, why, sizeof why);
    if (n != 1)
        fail_msg("8 samples of 16 expected: not named (%d): %s", n, why);
    assert_string_equal(out[0].function, "grow_here");
    ASSERT_CLOSE(out[0].bytes, 8 * 1024 / (1 - exp(-1024.0 / 131072)), 1e-6, 1e-9, "unsampled");
    write_profile(path, 131072, stacks, few, 1);
    assert_int_equal(attrib_child_final(test_tmpdir(), 4242, 0, 2000, least, NULL, out, 4, why, sizeof why),
                     0);
    assert_non_null(strstr(why, "sampling error"));
    assert_false(attrib_could_hold(0, 131072, 1)); /* nothing held is nothing */
    assert_true(attrib_could_hold(least, 1, least)); /* unsampled: as held */
    assert_false(attrib_could_hold(least * 0.99, 1, least));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_names),
        cmocka_unit_test(test_growth_folded_and_charged),
        cmocka_unit_test(test_child_final_sampling_error),
    };
    test_filter_from_env();
    return cmocka_run_group_tests(tests, tmpdir_setup, tmpdir_teardown);
}
