#include "target.h"

#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "util.h"
#include "workload.h"

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#else
#define MULTIARCH ""
#endif

/* The preload libraries of modes.h's Preload (PRELOAD_NONE has none), and the Debian
 * package of each. */
static const struct {
    const char *file, *package;
} k_libs[] = {{NULL, NULL}, {"libjemalloc.so.2", "libjemalloc2"}, {"liblsan.so.0", "liblsan0"}};

/* What mode m preloads into this soak's target. */
static Preload preload_of(const Options *o, Mode m)
{
    return target_is_cmd(o) ? mode_spec(m)->preload_cmd : mode_spec(m)->preload_builtin;
}

int target_is_cmd(const Options *o)
{
    return o->cmd != NULL || o->attach_pid;
}

/* The file of a system library (its multiarch folder first; FLATMEM_LIBDIR instead when
 * set, for packagers and tests), "" when not installed. */
static void system_lib(const char *file, char *out, size_t cap)
{
    const char *dirs[] = {"/usr/lib/" MULTIARCH, "/lib/" MULTIARCH, "/usr/lib64", "/usr/lib"};
    const char *only = getenv("FLATMEM_LIBDIR");
    out[0] = 0;
    for (size_t i = 0; i < (only ? 1 : sizeof dirs / sizeof dirs[0]) && !out[0]; i++) {
        if (only)
            dirs[0] = only;
        snprintf(out, cap, "%s/%s", dirs[i], file);
        if (access(out, R_OK) != 0)
            out[0] = 0;
    }
}

/* ---- commands ---------------------------------------------------------------------------- */

/* The words of a command template, as a shell would split them (blanks, '...', "...",
 * backslash), {iters} replaced by iters and {port} by port. Returns how many, or -1 when a
 * quote is open. */
static int cmd_words(const char *t, long iters, int port, Argv *a)
{
    a->n = 0;
    while (*t) {
        while (*t == ' ' || *t == '\t' || *t == '\n')
            t++;
        if (!*t)
            break;
        char word[PATH_MAX + 64];
        size_t n = 0;
        for (char q = 0; *t && (q || (*t != ' ' && *t != '\t' && *t != '\n')); t++) {
            if (q ? *t == q : (*t == '\'' || *t == '"')) {
                q = q ? 0 : *t;
            } else if (*t == '\\' && q != '\'' && t[1]) {
                word[n < sizeof word - 1 ? n++ : n] = *++t;
            } else if (!strncmp(t, "{iters}", 7) || !strncmp(t, "{port}", 6)) {
                int is_port = t[1] == 'p';
                n += (size_t)snprintf(word + n, sizeof word - n, "%ld", is_port ? (long)port : iters);
                n = n < sizeof word ? n : sizeof word - 1;
                t += is_port ? 5 : 6;
            } else {
                word[n < sizeof word - 1 ? n++ : n] = *t;
            }
            if (!t[1] && q)
                return -1;
        }
        word[n] = 0;
        argv_add(a, "%s", word);
    }
    return a->n;
}

/* The file a program name runs: as given when it has a '/', else the first on PATH. */
static void find_program(const char *name, char *out, size_t cap)
{
    out[0] = 0;
    if (strchr(name, '/')) {
        if (access(name, X_OK) == 0 && !realpath(name, out))
            snprintf(out, cap, "%s", name);
        return;
    }
    const char *path = getenv("PATH");
    for (const char *p = path ? path : "/usr/bin:/bin"; *p && !out[0];) {
        size_t len = strcspn(p, ":");
        snprintf(out, cap, "%.*s/%s", (int)len, p, name);
        if (access(out, X_OK) != 0)
            out[0] = 0;
        p += len + (p[len] == ':');
    }
}

/* 1 when a program file is a Python interpreter (python3, python3.11, pypy3) or a script
 * whose first line runs one ("#!/usr/bin/env python3", a pyenv shim is named python3). */
static int is_python_file(const char *path)
{
    const char *base = path_last(path);
    if (!strncmp(base, "python", 6) || !strncmp(base, "pypy", 4))
        return 1;
    char line[256] = "";
    FILE *f = fopen(path, "r");
    if (f && fgets(line, sizeof line, f) && strncmp(line, "#!", 2))
        line[0] = 0;
    if (f)
        fclose(f);
    line[strcspn(line, "\n")] = 0;
    return strstr(line, "python") != NULL;
}

/* 1 when word is NAME=VALUE, NAME a shell variable's name. */
static int is_assignment(const char *word)
{
    const char *eq = strchr(word, '=');
    if (!eq || eq == word || !(isalpha((unsigned char)word[0]) || word[0] == '_'))
        return 0;
    for (const char *c = word; c < eq; c++)
        if (!isalnum((unsigned char)*c) && *c != '_')
            return 0;
    return 1;
}

/* 1 when a command's first word is `env` (env [-flags] [NAME=VALUE]... PROGRAM). */
static int runs_env(const Argv *a)
{
    return a->n && !strcmp(path_last(a->v[0]), "env");
}

/* How many NAME=VALUE words a command starts with (a shell's assignments: `LD_PRELOAD=x
 * ./prog`), 0 for most. */
static int leading_assignments(const Argv *a)
{
    int k = 0;
    while (k < a->n - 1 && is_assignment(a->v[k]))
        k++;
    return k;
}

/* Which word of a command is its program: after a shell's leading assignments, and after
 * `env`, its flags and its assignments. */
static int program_word(const Argv *a)
{
    int k = leading_assignments(a);
    if (!k && runs_env(a))
        for (k = 1; k < a->n && (a->v[k][0] == '-' || is_assignment(a->v[k])); k++)
            ;
    return k;
}

int target_is_python(const Options *o)
{
    Argv a;
    if (!o->cmd || cmd_words(o->cmd, 1, 0, &a) <= 0)
        return 0;
    int k = program_word(&a);
    char prog[PATH_MAX];
    find_program(k < a.n ? a.v[k] : "", prog, sizeof prog);
    return prog[0] && is_python_file(prog);
}

/* 1 when path is an ELF program without an interpreter (statically linked). */
static int statically_linked(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    Elf64_Ehdr h;
    int is_static = 0;
    if (fd >= 0 && read(fd, &h, sizeof h) == (ssize_t)sizeof h && !memcmp(h.e_ident, ELFMAG, SELFMAG) &&
        h.e_ident[EI_CLASS] == ELFCLASS64) {
        is_static = 1;
        for (int i = 0; i < h.e_phnum; i++) {
            Elf64_Phdr ph;
            if (pread(fd, &ph, sizeof ph, (off_t)(h.e_phoff + (Elf64_Off)i * h.e_phentsize)) !=
                (ssize_t)sizeof ph)
                break;
            is_static &= ph.p_type != PT_INTERP;
        }
    }
    if (fd >= 0)
        close(fd);
    return is_static;
}

/* ---- the built-in program ----------------------------------------------------------------- */

/* BUILD/<variant>[-fault-NAME]/train_full: native and lsan run the plain build. */
static void builtin_path(const Options *o, const char *variant, const char *fault, char *out, size_t cap)
{
    if (o->program)
        snprintf(out, cap, "%s", o->program);
    else if (!strcmp(fault, "none"))
        snprintf(out, cap, "%s/%s/train_full", o->build, variant);
    else
        snprintf(out, cap, "%s/%s-fault-%s/train_full", o->build, variant, fault);
}

/* train_full's arguments: the workload, the count, threads, checkpoints, probes, data. */
static void builtin_args(const Options *o, const Run *r, Argv *a)
{
    for (int i = 0; o->wl->args[i]; i++)
        argv_add(a, "%s", o->wl->args[i]);
    argv_add(a, "%ld", r->iters);
    /* the workload's threads; for the presets, with several runs at once the cores are
     * shared out so the runs' own threads never oversubscribe them */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (o->wl->threads || o->jobs > 1) {
        argv_add(a, "--threads");
        argv_add(a, "%ld", o->wl->threads ? o->wl->threads : cores > o->jobs ? cores / o->jobs : 1L);
    }
    if (o->wl->checkpoints) {
        argv_add(a, "--save");
        argv_add(a, "%s/checkpoint.bin", r->dir);
    }
    if (r->resume_from) {
        argv_add(a, "--resume");
        argv_add(a, "%s/resume-from.ckpt", o->out);
    }
    argv_add(a, "--print-every");
    argv_add(a, "%ld", r->iters >= 10 ? r->iters / 10 : 1);
    argv_add(a, "--samples");
    argv_add(a, "%s/samples.csv", r->dir);
    argv_add(a, "--sample-every");
    argv_add(a, "%ld", r->iters >= 200 ? r->iters / 200 : 1);
    argv_add(a, "--summary");
    argv_add(a, "%s/train.json", r->dir);
    if (!o->no_events && mode_spec(r->mode)->events) {
        argv_add(a, "--events");
        argv_add(a, "%s/events.bin", r->dir);
    }
    if (o->data) {
        argv_add(a, "--data");
        argv_add(a, "%s", o->data);
    }
}

void target_load(const Options *o, const Run *r, Argv *a)
{
    cmd_words(o->load ? o->load : "", r->iters, r->port, a);
}

void target_plain_program(const Options *o, char *out, size_t cap)
{
    builtin_path(o, o->native_variant, "none", out, cap);
}

void target_program(const Options *o, const Run *r, char *out, size_t cap)
{
    if (o->attach_pid) { /* what the running process executes */
        char exe[64];
        snprintf(exe, sizeof exe, "/proc/%ld/exe", o->attach_pid);
        ssize_t n = readlink(exe, out, cap - 1);
        out[n > 0 ? n : 0] = 0;
        return;
    }
    if (!target_is_cmd(o)) {
        builtin_path(o, mode_variant(r->mode, o->native_variant), r->fault, out, cap);
    } else {
        Argv a;
        cmd_words(mode_spec(r->mode)->own_build && o->asan_cmd ? o->asan_cmd : o->cmd, r->iters, r->port, &a);
        int k = program_word(&a);
        find_program(k < a.n ? a.v[k] : "", out, cap);
    }
    char abs[PATH_MAX]; /* a report re-rendered from another folder reads the same binary */
    if (out[0] && realpath(out, abs) && strlen(abs) < cap)
        memcpy(out, abs, strlen(abs) + 1);
}

/* ---- the launch ---------------------------------------------------------------------------- */

/* Entry t of a mode's environment or of its tool's command line with its placeholders
 * filled in (modes.h), into env; an entry starting "?" only when the suppressions it
 * names were given. */
static void env_entry(const Options *o, const Run *r, const char *t, Argv *env)
{
    const char *supp = o->lsan_suppressions, *tun = getenv("GLIBC_TUNABLES");
    if (*t == '?') {
        if (strstr(t, "{valgrind_supp}") ? !o->valgrind_suppressions : !supp)
            return;
        t++;
    }
    char out[PATH_MAX * 2];
    size_t n = 0;
    while (*t && n < sizeof out - 1) {
        const char *v = NULL, *close = *t == '{' ? strchr(t, '}') : NULL;
        char num[32], opt[PATH_MAX + 16];
        if (close && !strncmp(t, "{dir}", 5))
            v = r->dir;
        else if (close && !strncmp(t, "{prof_sample}", 13)) {
            snprintf(num, sizeof num, "%ld", r->prof_sample ? r->prof_sample : o->prof_sample);
            v = num;
        } else if (close && !strncmp(t, "{py_frames}", 11)) {
            snprintf(num, sizeof num, "%ld", o->py_frames);
            v = num;
        } else if (close && !strncmp(t, "{lsan_supp}", 11))
            v = supp ? supp : "";
        else if (close && !strncmp(t, "{valgrind_supp}", 15))
            v = o->valgrind_suppressions ? o->valgrind_suppressions : "";
        else if (close && !strncmp(t, "{log}", 5)) {
            snprintf(opt, sizeof opt, "%s/%s", r->dir, mode_spec(r->mode)->log);
            v = opt;
        } else if (close && !strncmp(t, "{lsan_supp_opt}", 15)) {
            snprintf(opt, sizeof opt, "%s%s", supp ? ":suppressions=" : "", supp ? supp : "");
            v = opt;
        } else if (close && !strncmp(t, "{tunables}", 10)) {
            snprintf(opt, sizeof opt, "%s%s", tun && *tun ? tun : "", tun && *tun ? ":" : "");
            v = opt;
        }
        if (!v) {
            out[n++] = *t++;
            continue;
        }
        n += (size_t)snprintf(out + n, sizeof out - n, "%s", v);
        n = n < sizeof out ? n : sizeof out - 1;
        t = close + 1;
    }
    out[n] = 0;
    argv_add(env, "%s", out);
}

/* The PYTHONPATH of run r's program, the caller's `was` after the soak's folders, into out:
 * `import flatmem` marks steps (python/flatmem.py) in the modes that preload the probe, and
 * a mode that traces Python puts its start-up hook first (python/hook/sitecustomize.py).
 * 0 when the mode adds nothing. */
static int python_path(const Options *o, const Run *r, const char *was, char *out, size_t cap)
{
    const ModeSpec *m = mode_spec(r->mode);
    char py[PATH_MAX];
    target_python_dir(py, sizeof py);
    if (!target_is_cmd(o) || !m->probe || !py[0])
        return 0;
    int trace = m->traces_python && target_is_python(o);
    snprintf(out, cap, "%s%s%s%s%s", trace ? py : "", trace ? "/hook:" : "", py, was && *was ? ":" : "",
             was && *was ? was : "");
    return 1;
}

/* What run r preloads: its mode's library, then the soak's probe ("" when nothing). */
static void soak_preload(const Options *o, const Run *r, char *out, size_t cap)
{
    char probe[PATH_MAX], lib[PATH_MAX] = "";
    target_probe_library(probe, sizeof probe);
    Preload pre = preload_of(o, r->mode);
    if (pre != PRELOAD_NONE)
        system_lib(k_libs[pre].file, lib, sizeof lib);
    if (!mode_spec(r->mode)->probe)
        probe[0] = 0;
    snprintf(out, cap, "%s%s%s", lib, lib[0] && probe[0] ? ":" : "", probe);
}

/* The environment mode r->mode sets: its preloads (its library, then the soak's probe, then
 * an LD_PRELOAD of the user's environment), its own entries (modes.h), and where the probe
 * writes. */
static void tool_env(const Options *o, const Run *r, Launch *l)
{
    const ModeSpec *m = mode_spec(r->mode);
    char pre[2 * PATH_MAX + 8];
    soak_preload(o, r, pre, sizeof pre);
    const char *own = getenv("LD_PRELOAD");
    if (pre[0])
        argv_add(&l->env, "LD_PRELOAD=%s%s%s", pre, own && *own ? ":" : "", own && *own ? own : "");
    for (int i = 0; i < MODE_MAX_ENV && m->env[i]; i++)
        env_entry(o, r, m->env[i], &l->env);
    for (int i = 0; target_is_cmd(o) && i < MODE_MAX_ENV && m->env_cmd[i]; i++)
        env_entry(o, r, m->env_cmd[i], &l->env);
    if (m->probe) {
        argv_add(&l->env, "FLATMEM_DIR=%s", r->dir);
        if (r->control) /* the control's planted growth (preload/flatmem_probe.c) */
            argv_add(&l->env, "FLATMEM_CONTROL=%ld,%ld,%ld,%ld", r->control_keep, r->control_lose,
                     r->control_ms, r->control_until_ms);
        if (target_is_cmd(o)) /* heap profiles and snapshots at steps (its marks) N/8, 2N/8, ..., N */
            argv_add(&l->env, "FLATMEM_ITERS=%ld", r->iters);
    }
    for (int i = 0; target_is_python(o) && i < MODE_MAX_ENV && m->env_python[i]; i++)
        env_entry(o, r, m->env_python[i], &l->env);
    char path[PATH_MAX * 2 + 16];
    const char *was = getenv("PYTHONPATH");
    if (python_path(o, r, was, path, sizeof path))
        argv_add(&l->env, "PYTHONPATH=%s", path);
}

/* The tool in front of the program (its row's wrapper), word by word. */
static void wrapper_prefix(const Options *o, const Run *r, Argv *a)
{
    const ModeSpec *m = mode_spec(r->mode);
    for (int i = 0; i < MODE_MAX_WRAP && m->wrapper[i]; i++)
        env_entry(o, r, m->wrapper[i], a);
}

void target_launch(const Options *o, const Run *r, Launch *l)
{
    memset(l, 0, sizeof *l);
    if (!o->program)
        wrapper_prefix(o, r, &l->argv);
    if (target_is_cmd(o)) {
        Argv words;
        cmd_words(mode_spec(r->mode)->own_build ? o->asan_cmd : o->cmd, r->iters, r->port, &words);
        int env = runs_env(&words), assigns = leading_assignments(&words);
        char pre[2 * PATH_MAX + 8];
        soak_preload(o, r, pre, sizeof pre);
        if (assigns) /* `NAME=VALUE ... PROG`, as a shell runs it: through env */
            argv_add(&l->argv, "env"), env = 1;
        for (int i = 0; i < words.n; i++) {
            char path[PATH_MAX * 2 + 16]; /* `env PYTHONPATH=src python3 ...`: the soak's folders first */
            int assignment = env && (i > 0 || assigns) && strchr(words.v[i], '=') && words.v[i][0] != '-';
            if (assignment && !strncmp(words.v[i], "PYTHONPATH=", 11) &&
                python_path(o, r, words.v[i] + 11, path, sizeof path))
                argv_add(&l->argv, "PYTHONPATH=%s", path);
            else if (assignment && pre[0] &&
                     !strncmp(words.v[i], "LD_PRELOAD=", 11)) /* theirs after the soak's */
                argv_add(&l->argv, "LD_PRELOAD=%s%s%s", pre, words.v[i][11] ? ":" : "", words.v[i] + 11);
            else
                argv_add(&l->argv, "%s", words.v[i]);
        }
    } else {
        char prog[PATH_MAX];
        builtin_path(o, mode_variant(r->mode, o->native_variant), r->fault, prog, sizeof prog);
        argv_add(&l->argv, "%s", prog);
        builtin_args(o, r, &l->argv);
    }
    if (!o->program)
        tool_env(o, r, l);
}

void target_limits(const Options *o, const Run *r, char *out, size_t cap)
{
    char prog[PATH_MAX];
    out[0] = 0;
    target_program(o, r, prog, sizeof prog);
    Preload pre = preload_of(o, r->mode);
    if (target_is_cmd(o) && prog[0] && statically_linked(prog) && !mode_spec(r->mode)->memcheck)
        snprintf(out, cap,
                 "%s is statically linked: nothing can be preloaded into it (no %s, no step marks "
                 "from include/flatmem.h); RSS is all this run measures",
                 prog,
                 pre == PRELOAD_JEMALLOC ? "jemalloc statistics or heap profiles"
                 : pre == PRELOAD_LSAN   ? "LeakSanitizer"
                                         : "allocator statistics");
}

/* ---- checks before anything runs ---------------------------------------------------------- */

/* A command template: its program runs, and it has {iters} where one is needed (the
 * server of a service takes none: its load does). */
static int check_template(const char *flag, const char *t, int need_iters)
{
    Argv a;
    char prog[PATH_MAX];
    if (need_iters && !strstr(t, "{iters}")) {
        fprintf(stderr, "%s: %s '%s': no {iters} in it: where should the %s go? e.g. %s\n",
                program_invocation_short_name, flag, t,
                strcmp(flag, "--load") ? "iteration count" : "number of requests",
                strcmp(flag, "--load") ? "--cmd './train {iters}'" : "--load 'redis-benchmark -n {iters}'");
        return 2;
    }
    if (cmd_words(t, 1, 0, &a) <= 0) {
        fprintf(stderr, "%s: %s '%s': %s\n", program_invocation_short_name, flag, t,
                a.n ? "a quote is not closed" : "empty command");
        return 2;
    }
    int k = program_word(&a);
    const char *word = k < a.n ? a.v[k] : "";
    find_program(word, prog, sizeof prog);
    if (!prog[0]) {
        fprintf(stderr, "%s: %s: '%s' is not a program that can be run (not found%s, or not executable)\n",
                program_invocation_short_name, flag, word, strchr(word, '/') ? "" : " on PATH");
        return 2;
    }
    return 0;
}

/* The libraries the modes in use preload. 0, or 2 naming the missing package. */
static int check_libraries(const Options *o)
{
    char path[PATH_MAX];
    for (int m = 0; m < o->n_modes; m++) {
        Preload need = preload_of(o, o->modes[m]);
        if (need == PRELOAD_NONE)
            continue;
        system_lib(k_libs[need].file, path, sizeof path);
        if (!path[0]) {
            fprintf(stderr, "%s: mode %s needs %s, which is not installed: apt-get install %s\n",
                    program_invocation_short_name, mode_name(o->modes[m]), k_libs[need].file,
                    k_libs[need].package);
            return 2;
        }
    }
    return 0;
}

int target_check(const Options *o, const Run *runs, int n)
{
    if (o->attach_pid)
        return attach_check(o);
    if (target_is_cmd(o)) {
        int service = o->load != NULL;
        int rc = check_template("--cmd", o->cmd, !service);
        if (!rc && o->asan_cmd)
            rc = check_template("--asan-cmd", o->asan_cmd, !service);
        if (!rc && service)
            rc = check_template("--load", o->load, 1);
        return rc ? rc : check_libraries(o);
    }
    for (int i = 0; i < n && !o->program; i++) {
        char path[PATH_MAX];
        builtin_path(o, mode_variant(runs[i].mode, o->native_variant), runs[i].fault, path, sizeof path);
        if (access(path, X_OK) != 0) {
            const char *variant = mode_variant(runs[i].mode, o->native_variant);
            fprintf(stderr, "%s: %s is missing: build it first (make train VARIANT=%s%s%s)\n",
                    program_invocation_short_name, path, variant,
                    strcmp(runs[i].fault, "none") ? " FAULT=" : "",
                    strcmp(runs[i].fault, "none") ? runs[i].fault : "");
            return 2;
        }
    }
    return check_libraries(o);
}
