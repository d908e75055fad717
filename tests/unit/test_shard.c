/* --shard auto (harness/plan/shard.c): K and N from each engine that runs shards, and a
 * clear refusal, saying what to set, when the environment does not name one. The
 * environment is a table here: each case is what that engine sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "shard.h"
#include "testutil.h"

static const char *const *g_env; /* NAME, VALUE, NAME, VALUE, ..., NULL */

static const char *fake_env(const char *name)
{
    for (int i = 0; g_env[i]; i += 2)
        if (!strcmp(g_env[i], name))
            return g_env[i + 1];
    return NULL;
}

static void expect_shard(const char *const *env, long k, long n, const char *source)
{
    g_env = env;
    Shard s;
    char why[400] = "";
    if (shard_from_env(fake_env, &s, why, sizeof why))
        fail_msg("%s: refused: %s", source, why);
    if (s.k != k || s.n != n || strcmp(s.source, source))
        fail_msg("got shard %ld/%ld from %s, expected %ld/%ld from %s", s.k, s.n, s.source, k, n, source);
    assert_true(s.how[0] != 0); /* it says which variables it read */
}

static void expect_refused(const char *const *env, const char *says)
{
    g_env = env;
    Shard s;
    char why[400] = "";
    assert_int_equal(shard_from_env(fake_env, &s, why, sizeof why), -1);
    if (!strstr(why, says))
        fail_msg("refused saying '%s'; expected it to say '%s'", why, says);
}

static void test_each_source(void **state)
{
    (void)state;
    expect_shard((const char *[]){"FLATMEM_SHARD", "2/3", NULL}, 2, 3, "FLATMEM_SHARD");
    /* sbatch --array=4-6: task 5 is the second of three */
    expect_shard((const char *[]){"SLURM_ARRAY_TASK_ID", "5", "SLURM_ARRAY_TASK_MIN", "4",
                                  "SLURM_ARRAY_TASK_COUNT", "3", "SLURM_ARRAY_TASK_MAX", "6", NULL},
                 2, 3, "slurm");
    /* --array=1-9:4 (tasks 1, 5, 9), older Slurm without _COUNT: task 9 is the third of three */
    expect_shard((const char *[]){"SLURM_ARRAY_TASK_ID", "9", "SLURM_ARRAY_TASK_MIN", "1",
                                  "SLURM_ARRAY_TASK_MAX", "9", "SLURM_ARRAY_TASK_STEP", "4", NULL},
                 3, 3, "slurm");
    expect_shard((const char *[]){"JOB_COMPLETION_INDEX", "0", "JOB_COMPLETIONS", "4", NULL}, 1, 4,
                 "kubernetes");
    expect_shard(
        (const char *[]){"GITHUB_ACTIONS", "true", "FLATMEM_JOB_INDEX", "2", "FLATMEM_JOB_TOTAL", "3", NULL},
        3, 3, "github");
    /* FLATMEM_SHARD, set by hand, wins over what a scheduler set */
    expect_shard((const char *[]){"FLATMEM_SHARD", "1/2", "SLURM_ARRAY_TASK_ID", "5", NULL}, 1, 2,
                 "FLATMEM_SHARD");
}

static void test_refusals_say_what_to_set(void **state)
{
    (void)state;
    expect_refused((const char *[]){"PATH", "/bin", NULL}, "set FLATMEM_SHARD=K/N");
    expect_refused((const char *[]){"FLATMEM_SHARD", "3", NULL}, "is not K/N");
    expect_refused((const char *[]){"FLATMEM_SHARD", "4/3", NULL}, "not 1 <= K <= N");
    expect_refused((const char *[]){"SLURM_ARRAY_TASK_ID", "5", NULL}, "sbatch --array=1-N");
    expect_refused((const char *[]){"SLURM_ARRAY_TASK_ID", "x5", "SLURM_ARRAY_TASK_MIN", "1", NULL},
                   "SLURM_ARRAY_TASK_ID=x5, which is not a whole number");
    expect_refused((const char *[]){"JOB_COMPLETION_INDEX", "1", NULL}, "JOB_COMPLETIONS");
    expect_refused((const char *[]){"GITHUB_ACTIONS", "true", NULL}, "strategy.job-index");
    expect_refused((const char *[]){"JOB_COMPLETION_INDEX", "3", "JOB_COMPLETIONS", "3", NULL},
                   "shard 4 of 3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_source),
        cmocka_unit_test(test_refusals_say_what_to_set),
    };
    test_filter_from_env();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
