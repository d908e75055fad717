/* shard.h - which slice of the matrix this machine runs: `--shard K/N`, or `--shard auto`,
 * K and N from the engine that started it (docs/ci.md, "Shards from the engine that runs
 * them"). Looked for in this order:
 *
 *   FLATMEM_SHARD=K/N                      set by hand, or by any scheduler
 *   SLURM_ARRAY_TASK_ID, _MIN, _COUNT      a Slurm job array (_STEP, _MAX when given)
 *   JOB_COMPLETION_INDEX, JOB_COMPLETIONS  a Kubernetes indexed Job (the index is set by
 *                                          Kubernetes, the count by the Job's env)
 *   GITHUB_ACTIONS=true with FLATMEM_JOB_INDEX, FLATMEM_JOB_TOTAL
 *                                          a GitHub Actions matrix job (the workflow passes
 *                                          strategy.job-index and strategy.job-total)
 *
 * The environment is read through a function, so that tests give their own. */
#ifndef HARNESS_SHARD_H
#define HARNESS_SHARD_H

#include <stddef.h>

typedef const char *(*ShardEnv)(const char *name);

typedef struct Shard {
    long k, n; /* this machine runs the k-th (1-based) of n slices */
    char source[16]; /* "FLATMEM_SHARD", "slurm", "kubernetes", "github" */
    char how[200]; /* the variables it came from, as a line for the user */
} Shard;

/* The shard the environment names. 0 and *s filled, or -1 with why saying what is missing
 * or wrong and what to set. */
int shard_from_env(ShardEnv env, Shard *s, char *why, size_t cap);

#endif
