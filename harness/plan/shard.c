#include "shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The integer in variable name into *v: 1, 0 when unset, -1 (with why) when not a number. */
static int num(ShardEnv env, const char *name, long *v, char *why, size_t cap)
{
    const char *s = env(name);
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    *v = strtol(s, &end, 10);
    if (errno || *end || *v < 0) {
        snprintf(why, cap, "reads %s=%s, which is not a whole number of 0 or more", name, s);
        return -1;
    }
    return 1;
}

static int in_range(Shard *s, char *why, size_t cap)
{
    if (s->n >= 1 && s->k >= 1 && s->k <= s->n)
        return 0;
    snprintf(why, cap, "gives shard %ld of %ld from %s, not 1 <= K <= N (%s)", s->k, s->n, s->source, s->how);
    return -1;
}

static int from_flatmem(ShardEnv env, Shard *s, char *why, size_t cap)
{
    const char *v = env("FLATMEM_SHARD");
    char extra;
    if (sscanf(v, "%ld/%ld%c", &s->k, &s->n, &extra) != 2) {
        snprintf(why, cap, "reads FLATMEM_SHARD=%s, which is not K/N (for example 2/3)", v);
        return -1;
    }
    snprintf(s->source, sizeof s->source, "FLATMEM_SHARD");
    snprintf(s->how, sizeof s->how, "FLATMEM_SHARD=%s", v);
    return in_range(s, why, cap);
}

/* A job array --array=MIN-MAX[:STEP]: task ID is slice (ID - MIN) / STEP + 1 of COUNT. */
static int from_slurm(ShardEnv env, Shard *s, char *why, size_t cap)
{
    long id = 0, min = 0, count = 0, max = 0, step = 1;
    int rc = num(env, "SLURM_ARRAY_TASK_ID", &id, why, cap),
        has_min = num(env, "SLURM_ARRAY_TASK_MIN", &min, why, cap),
        has_count = num(env, "SLURM_ARRAY_TASK_COUNT", &count, why, cap),
        has_max = num(env, "SLURM_ARRAY_TASK_MAX", &max, why, cap);
    if (rc < 0 || has_min < 0 || has_count < 0 || has_max < 0 ||
        num(env, "SLURM_ARRAY_TASK_STEP", &step, why, cap) < 0)
        return -1;
    if (!has_min || (!has_count && !has_max) || step < 1) {
        snprintf(why, cap,
                 "sees SLURM_ARRAY_TASK_ID but not SLURM_ARRAY_TASK_MIN and _COUNT (or _MAX): "
                 "is this an array job (sbatch --array=1-N)?");
        return -1;
    }
    s->n = has_count ? count : (max - min) / step + 1;
    s->k = (id - min) % step ? 0 : (id - min) / step + 1;
    snprintf(s->source, sizeof s->source, "slurm");
    snprintf(s->how, sizeof s->how, "SLURM_ARRAY_TASK_ID=%ld, SLURM_ARRAY_TASK_MIN=%ld, %s=%ld, step %ld", id,
             min, has_count ? "SLURM_ARRAY_TASK_COUNT" : "SLURM_ARRAY_TASK_MAX", has_count ? count : max,
             step);
    return in_range(s, why, cap);
}

/* index and count variables, the index 0-based: slice index + 1 of count. */
static int from_indexed(ShardEnv env, const char *src, const char *index, const char *count, const char *hint,
                        Shard *s, char *why, size_t cap)
{
    long i = 0, n = 0;
    int has_i = num(env, index, &i, why, cap), has_n = num(env, count, &n, why, cap);
    if (has_i < 0 || has_n < 0)
        return -1;
    if (!has_i || !has_n) {
        snprintf(why, cap, "needs %s and %s for %s: %s", index, count, src, hint);
        return -1;
    }
    s->k = i + 1, s->n = n;
    snprintf(s->source, sizeof s->source, "%s", src);
    snprintf(s->how, sizeof s->how, "%s=%ld, %s=%ld", index, i, count, n);
    return in_range(s, why, cap);
}

int shard_from_env(ShardEnv env, Shard *s, char *why, size_t cap)
{
    memset(s, 0, sizeof *s);
    if (env("FLATMEM_SHARD"))
        return from_flatmem(env, s, why, cap);
    if (env("SLURM_ARRAY_TASK_ID"))
        return from_slurm(env, s, why, cap);
    if (env("JOB_COMPLETION_INDEX"))
        return from_indexed(
            env, "kubernetes", "JOB_COMPLETION_INDEX", "JOB_COMPLETIONS",
            "give the Job's container env JOB_COMPLETIONS, its .spec.completions (docs/ci.md)", s, why, cap);
    const char *gh = env("GITHUB_ACTIONS");
    if (gh && !strcmp(gh, "true"))
        return from_indexed(env, "github", "FLATMEM_JOB_INDEX", "FLATMEM_JOB_TOTAL",
                            "the workflow passes them: env: { FLATMEM_JOB_INDEX: ${{ strategy.job-index }}, "
                            "FLATMEM_JOB_TOTAL: ${{ strategy.job-total }} } (docs/ci.md)",
                            s, why, cap);
    snprintf(
        why, cap,
        "finds no shard in the environment: not a Slurm array task, a Kubernetes indexed Job or a "
        "GitHub Actions matrix job with FLATMEM_JOB_INDEX/FLATMEM_JOB_TOTAL; set FLATMEM_SHARD=K/N or give "
        "--shard K/N");
    return -1;
}
