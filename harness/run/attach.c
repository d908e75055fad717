#include "attach.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysmem.h"
#include "util.h"

/* Its command line, arguments joined by blanks ("" when unreadable). */
static void cmdline_of(long pid, char *out, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(out, 1, cap - 1, f) : 0;
    if (f)
        fclose(f);
    out[n] = 0;
    for (size_t i = 0; i + 1 < n; i++)
        out[i] = out[i] ? out[i] : ' ';
}

int attach_check(const Options *o)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/fd", o->attach_pid);
    if (kill((pid_t)o->attach_pid, 0) != 0 && errno == ESRCH) {
        fprintf(stderr, "%s: --attach %ld: no such process\n", program_invocation_short_name, o->attach_pid);
        return 2;
    }
    if (access(path, R_OK) != 0 || sysmem_fds_of((int)o->attach_pid) < 0) {
        fprintf(stderr,
                "%s: --attach %ld: its /proc cannot be read (%s): attach to a process of your own user, "
                "or run the soak as root\n",
                program_invocation_short_name, o->attach_pid, strerror(errno));
        return 2;
    }
    return 0;
}

static int write_text(const Run *r, const char *name, const char *text)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        fprintf(stderr, "%s: %s: cannot be written: %s\n", program_invocation_short_name, path,
                strerror(errno));
        return -1;
    }
    return 0;
}

int attach_start(const Options *o, Run *r)
{
    if (mkdir_p(r->dir) != 0) {
        fprintf(stderr, "%s: %s: cannot create: %s\n", program_invocation_short_name, r->dir,
                strerror(errno));
        return -1;
    }
    char cmdline[2048], line[2200], note[800];
    cmdline_of(o->attach_pid, cmdline, sizeof cmdline);
    snprintf(line, sizeof line, "# attached to pid %ld: %s\n", o->attach_pid, cmdline);
    snprintf(
        note, sizeof note,
        "attached to a running process (pid %ld): only what /proc shows is measured (resident and "
        "proportional memory, descriptors, threads, mappings), per second; no leak checker, allocator "
        "statistics, heap profiles or step marks (they need the program started under the soak), nothing "
        "of its children, nothing from before the soak attached\n",
        o->attach_pid);
    if (write_text(r, "command.txt", line) || write_text(r, "stdout.txt", "") ||
        write_text(r, "stderr.txt", "") || write_text(r, "notes.txt", note))
        return -1;
    r->pid = (pid_t)o->attach_pid;
    r->attached = 1;
    r->state = RUN_RUNNING;
    r->t_start = now_s();
    r->peak_rss_bytes = 0;
    return 0;
}

int attach_alive(const Run *r)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)r->pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    const char *close = strrchr(buf, ')');
    return close && close[1] == ' ' && close[2] != 'Z' && close[2] != 'X';
}
