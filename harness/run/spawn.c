#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "facts.h"
#include "tree.h"
#include "util.h"

/* Opens DIR/name for the child's output; -1 after a message. */
static int open_output(const Run *r, const char *name)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/%s", r->dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        fprintf(stderr, "%s: %s: cannot be created: %s\n", program_invocation_short_name, path,
                strerror(errno));
    return fd;
}

int spawn_run(Run *r, const Argv *a, const char *const *env, int n_env)
{
    if (mkdir_p(r->dir) != 0) {
        fprintf(stderr, "%s: %s: cannot create: %s\n", program_invocation_short_name, r->dir,
                strerror(errno));
        return -1;
    }
    char line[16384], path[PATH_MAX + 32];
    argv_line(a, env, n_env, line, sizeof line);
    snprintf(path, sizeof path, "%s/command.txt", r->dir);
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%s\n", line) < 0 || fclose(f) != 0) {
        fprintf(stderr, "%s: %s: cannot be written: %s\n", program_invocation_short_name, path,
                strerror(errno));
        return -1;
    }
    int fo = open_output(r, "stdout.txt"), fe = fo < 0 ? -1 : open_output(r, "stderr.txt");
    /* the environment, and the run's tag, by which what it starts is found (tree.h) */
    char tag[PATH_MAX + 64];
    const char *all[ARGV_MAX + 1];
    int n_all = 0;
    for (int i = 0; i < n_env && n_all < ARGV_MAX; i++)
        all[n_all++] = env[i];
    tree_tag(r, tag, sizeof tag);
    all[n_all++] = tag;
    /* its own group: the watchdog kills it and anything it started */
    pid_t pid = fe < 0 ? -1 : argv_start(a, all, n_all, fo, fe, ARGV_OWN_GROUP | ARGV_FLATMEM_PID);
    if (fe >= 0 && pid < 0)
        fprintf(stderr, "%s: fork: %s\n", program_invocation_short_name, strerror(errno));
    if (fo >= 0)
        close(fo);
    if (fe >= 0)
        close(fe);
    if (pid < 0)
        return -1;
    setpgid(pid, pid);
    r->pid = pid;
    r->state = RUN_RUNNING;
    r->t_start = now_s();
    r->peak_rss_bytes = 0;
    return 0;
}

void spawn_kill(Run *r, Kill why)
{
    if (r->killed == KILL_NONE)
        r->killed = why;
    kill(-r->pid, SIGKILL);
}

void spawn_finished(Run *r, int status, const struct rusage *ru)
{
    r->wall_s = now_s() - r->t_start;
    r->state = RUN_DONE;
    r->exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r->signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    uint64_t maxrss = (uint64_t)ru->ru_maxrss * 1024;
    if (maxrss > r->peak_rss_bytes)
        r->peak_rss_bytes = maxrss;
    if (run_write_facts(r) != 0)
        fprintf(stderr, "%s: %s/run.txt: cannot be written: %s\n", program_invocation_short_name, r->dir,
                strerror(errno));
}
