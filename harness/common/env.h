/* env.h - what a soak ran on: the git commit and state of the tree, the CPU, library
 * versions, and each build variant's compiler flags (build/<variant>/flags.txt).
 *
 * Captured once when a soak starts; written to OUT/env.txt for people and into
 * summary.json ("commit", "tree_dirty", "build_flags") so that `soak merge` can refuse to
 * mix soaks of different commits or builds. */
#ifndef HARNESS_ENV_H
#define HARNESS_ENV_H

#include <jansson.h>

#define ENV_VARIANTS 5 /* release, asan, valgrind, jemalloc, coverage */

typedef struct SoakEnv {
    char commit[64]; /* "" when not a git checkout */
    int dirty; /* uncommitted changes to tracked files */
    char flags[ENV_VARIANTS][1024]; /* each variant's cflags; "" when not built */
    /* the commit's place (a soak history records it: docs/history.md): its first parent,
     * the branch checked out ("" when detached), its committer date (ISO 8601), subject */
    char parent[64];
    char branch[128];
    char commit_date[40];
    char subject[200];
    /* the machine: CPU model, kernel release, cores online */
    char cpu[128];
    char kernel[128];
    int cores;
} SoakEnv;

/* Reads the commit and each variant's flags below build (the folder of the variants). */
void env_capture(SoakEnv *e, const char *build);

/* Writes DIR/env.txt: the above plus CPU, library versions, date. 0, or -1 (errno). */
int env_write_txt(const SoakEnv *e, const char *dir, const char *build);

/* As a JSON object {"commit", "tree_dirty", "build_flags": {variant: cflags}, "git": {"parent",
 * "branch", "date", "subject"}, "machine": {"cpu", "kernel", "cores"}} (new ref). */
json_t *env_to_json(const SoakEnv *e);

/* Fills e from such an object (absent keys stay empty). */
void env_from_json(SoakEnv *e, json_t *summary);

/* The name of variant i (0 .. ENV_VARIANTS-1). */
const char *env_variant(int i);

/* 1 when GITHUB_ACTIONS is "true" (set by GitHub's runners): --annotate github's default. */
int env_on_github_actions(void);

#endif
