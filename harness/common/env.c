#include "env.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "outfile.h"

static const char *const k_variants[ENV_VARIANTS] = {"release", "asan", "valgrind", "jemalloc", "coverage"};

const char *env_variant(int i)
{
    return i >= 0 && i < ENV_VARIANTS ? k_variants[i] : "?";
}

/* First line of a command's output (run with /bin/sh: fixed strings only). */
static void first_line(const char *cmd, char *out, size_t cap)
{
    out[0] = 0;
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    if (!fgets(out, (int)cap, p))
        out[0] = 0;
    pclose(p);
    out[strcspn(out, "\n")] = 0;
}

/* The value of `key: ` in build/<variant>/flags.txt, or "". */
static void flags_value(const char *build, const char *variant, const char *key, char *out, size_t cap)
{
    char path[PATH_MAX + 64], line[2048];
    snprintf(path, sizeof path, "%s/%s/flags.txt", build, variant);
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t k = strlen(key);
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, k) && line[k] == ':') {
            snprintf(out, cap, "%s", line + k + 1 + (line[k + 1] == ' '));
            out[strcspn(out, "\n")] = 0;
        }
    fclose(f);
}

void env_capture(SoakEnv *e, const char *build)
{
    memset(e, 0, sizeof *e);
    first_line("git rev-parse HEAD 2>/dev/null", e->commit, sizeof e->commit);
    char v[64];
    first_line("git status --porcelain --untracked-files=no 2>/dev/null | wc -l", v, sizeof v);
    e->dirty = atoi(v) != 0;
    for (int i = 0; i < ENV_VARIANTS; i++)
        flags_value(build, k_variants[i], "cflags", e->flags[i], sizeof e->flags[i]);
    if (e->commit[0]) {
        first_line("git rev-parse -q --verify HEAD^1 2>/dev/null", e->parent, sizeof e->parent);
        first_line("git symbolic-ref -q --short HEAD 2>/dev/null", e->branch, sizeof e->branch);
        first_line("git log -1 --format=%cI HEAD 2>/dev/null", e->commit_date, sizeof e->commit_date);
        first_line("git log -1 --format=%s HEAD 2>/dev/null", e->subject, sizeof e->subject);
    }
    first_line("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'", e->cpu, sizeof e->cpu);
    first_line("uname -r", e->kernel, sizeof e->kernel);
    e->cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
}

int env_write_txt(const SoakEnv *e, const char *dir, const char *build)
{
    char path[PATH_MAX + 16], v[512];
    snprintf(path, sizeof path, "%s/env.txt", dir);
    OutFile of;
    FILE *f = outfile_open(&of, path);
    if (!f)
        return -1;
    fprintf(f, "git commit: %s\ngit tree: %s\n", e->commit[0] ? e->commit : "(not a git checkout)",
            e->dirty ? "dirty (uncommitted changes)" : "clean");
    first_line("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'", v, sizeof v);
    fprintf(f, "cpu: %s (%ld cores)\n", v, sysconf(_SC_NPROCESSORS_ONLN));
    static const char *const libs[][2] = {
        {"openblas", "dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null"},
        {"jemalloc", "dpkg-query -W -f='${Version}' libjemalloc2 2>/dev/null"},
        {"valgrind", "valgrind --version 2>/dev/null"},
    };
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        first_line(libs[i][1], v, sizeof v);
        fprintf(f, "%s: %s\n", libs[i][0], v[0] ? v : "unknown");
    }
    /* the matmul kernels the engine's programs run here, and why (app/blas_select.h) */
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "'%s/release/train_full' --kernels 2>&1", build);
    first_line(cmd, v, sizeof v);
    fprintf(f, "matmul kernels: %s\n", v[0] ? v : "unknown");
    time_t t = time(NULL);
    strftime(v, sizeof v, "%Y-%m-%d %H:%M:%S %Z", localtime(&t));
    fprintf(f, "date: %s\n", v);
    static const char *const keys[] = {"cc_version", "cflags", "libs", "matmul"};
    for (int i = 0; i < ENV_VARIANTS; i++)
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            char value[2048];
            flags_value(build, k_variants[i], keys[k], value, sizeof value);
            if (value[0])
                fprintf(f, "%s %s: %s\n", k_variants[i], keys[k], value);
        }
    return outfile_commit(&of);
}

json_t *env_to_json(const SoakEnv *e)
{
    json_t *flags = json_object();
    for (int i = 0; i < ENV_VARIANTS; i++)
        if (e->flags[i][0])
            json_object_set_new(flags, k_variants[i], json_string(e->flags[i]));
    return json_pack("{s:s, s:b, s:o, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:i}}", "commit", e->commit,
                     "tree_dirty", e->dirty, "build_flags", flags, "git", "parent", e->parent, "branch",
                     e->branch, "date", e->commit_date, "subject", e->subject, "machine", "cpu", e->cpu,
                     "kernel", e->kernel, "cores", e->cores);
}

/* o[key] as a string into out ("" when absent). */
static void copy_str(json_t *o, const char *key, char *out, size_t cap)
{
    const char *v = json_string_value(json_object_get(o, key));
    snprintf(out, cap, "%s", v ? v : "");
}

void env_from_json(SoakEnv *e, json_t *summary)
{
    memset(e, 0, sizeof *e);
    const char *commit = json_string_value(json_object_get(summary, "commit"));
    snprintf(e->commit, sizeof e->commit, "%s", commit ? commit : "");
    e->dirty = json_is_true(json_object_get(summary, "tree_dirty"));
    json_t *git = json_object_get(summary, "git"), *machine = json_object_get(summary, "machine");
    copy_str(git, "parent", e->parent, sizeof e->parent);
    copy_str(git, "branch", e->branch, sizeof e->branch);
    copy_str(git, "date", e->commit_date, sizeof e->commit_date);
    copy_str(git, "subject", e->subject, sizeof e->subject);
    copy_str(machine, "cpu", e->cpu, sizeof e->cpu);
    copy_str(machine, "kernel", e->kernel, sizeof e->kernel);
    e->cores = (int)json_integer_value(json_object_get(machine, "cores"));
    json_t *flags = json_object_get(summary, "build_flags");
    for (int i = 0; i < ENV_VARIANTS; i++) {
        const char *v = json_string_value(json_object_get(flags, k_variants[i]));
        snprintf(e->flags[i], sizeof e->flags[i], "%s", v ? v : "");
    }
}

int env_on_github_actions(void)
{
    const char *v = getenv("GITHUB_ACTIONS");
    return v && !strcmp(v, "true");
}
