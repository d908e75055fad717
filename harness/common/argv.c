#include "argv.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

Argv *argv_new(void)
{
    Argv *a = calloc(1, sizeof *a);
    if (!a) {
        fprintf(stderr, "%s: out of memory\n", program_invocation_short_name);
        exit(1);
    }
    return a;
}

void argv_free(Argv *a)
{
    free(a);
}

void argv_add(Argv *a, const char *fmt, ...)
{
    if (a->n == 0)
        a->used = 0;
    if (a->n >= ARGV_MAX || a->used >= ARGV_BYTES)
        return;
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(a->buf + a->used, ARGV_BYTES - a->used, fmt, ap);
    va_end(ap);
    if (len < 0 || (size_t)len >= ARGV_BYTES - a->used)
        return; /* does not fit: dropped */
    a->v[a->n] = a->buf + a->used;
    a->used += (size_t)len + 1;
    a->v[++a->n] = NULL;
}

/* Appends s to out, quoted for a POSIX shell when needed, after a space. */
static void append_quoted(char *out, size_t cap, const char *s)
{
    size_t len = strlen(out);
    int plain = *s != 0;
    for (const char *p = s; *p; p++)
        plain &= isalnum((unsigned char)*p) || strchr("-_./=:,+@%{}", *p) != NULL;
    if (len && len + 1 < cap)
        out[len++] = ' ';
    if (plain) {
        snprintf(out + len, cap - len, "%s", s);
        return;
    }
    if (len + 1 < cap)
        out[len++] = '\'';
    for (const char *p = s; *p && len + 5 < cap; p++) {
        if (*p == '\'') {
            memcpy(out + len, "'\\''", 4);
            len += 4;
        } else {
            out[len++] = *p;
        }
    }
    if (len + 1 < cap)
        out[len++] = '\'';
    out[len] = 0;
}

void argv_line(const Argv *a, const char *const *env, int n_env, char *out, size_t cap)
{
    out[0] = 0;
    for (int i = 0; i < n_env; i++)
        append_quoted(out, cap, env[i]);
    for (int i = 0; i < a->n; i++)
        append_quoted(out, cap, a->v[i]);
}

/* Opens path for the child's output (truncated, or appended to); /dev/null when NULL. */
static int open_out(const char *path, int append)
{
    if (!path)
        return open("/dev/null", O_WRONLY | O_CLOEXEC);
    return open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
}

int argv_start(const Argv *a, const char *const *env, int n_env, int out, int err, int flags)
{
    pid_t pid = fork();
    if (pid != 0)
        return (int)pid;
    if (flags & ARGV_OWN_GROUP)
        setpgid(0, 0);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    int in = open("/dev/null", O_RDONLY);
    if (in >= 0)
        dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    for (int i = 0; i < n_env; i++)
        putenv((char *)env[i]);
    if (flags & ARGV_FLATMEM_PID) {
        char pid_s[32];
        snprintf(pid_s, sizeof pid_s, "%d", (int)getpid());
        setenv("FLATMEM_PID", pid_s, 1);
    }
    execvp(a->v[0], a->v);
    fprintf(stderr, "%s: cannot run %s: %s\n", program_invocation_short_name, a->v[0], strerror(errno));
    _exit(127);
}

int argv_run(const Argv *a, const char *out, const char *err, int append)
{
    if (a->n == 0)
        return -1;
    int fo = open_out(out, append);
    int fe = err && out && !strcmp(err, out) ? fcntl(fo, F_DUPFD_CLOEXEC, 3) : open_out(err, append);
    int pid = fo < 0 || fe < 0 ? -1 : argv_start(a, NULL, 0, fo, fe, 0);
    if (fo >= 0)
        close(fo);
    if (fe >= 0)
        close(fe);
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}
