#include "tree.h"

#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define TREE_MAX 256 /* processes of one run looked after at once */
#define TREE_NOTE_NAMES 6 /* named in the note; the rest counted */

void tree_init(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);
}

void tree_tag(const Run *r, char *out, size_t cap)
{
    snprintf(out, cap, "%s=%d:%s", TREE_ENV, (int)getpid(), r->dir);
}

/* What /proc/PID/stat says of a process. */
typedef struct Proc {
    pid_t pid, ppid, pgrp;
    char state;
    char comm[20];
} Proc;

static int read_stat(pid_t pid, Proc *p)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    int ppid = 0, pgrp = 0;
    if (!open || !close || close < open || sscanf(close + 1, " %c %d %d", &p->state, &ppid, &pgrp) != 3)
        return -1;
    size_t len = (size_t)(close - open - 1);
    len = len < sizeof p->comm - 1 ? len : sizeof p->comm - 1;
    memcpy(p->comm, open + 1, len);
    p->comm[len] = 0;
    p->pid = pid;
    p->ppid = (pid_t)ppid;
    p->pgrp = (pid_t)pgrp;
    return 0;
}

/* Whether the environment of pid holds the entry tag exactly. */
static int has_tag(pid_t pid, const char *tag)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t len = strlen(tag), at = 0;
    int c, found = 0, fits = 1;
    while (!found && (c = getc(f)) != EOF) {
        if (c == 0) {
            found = fits && at == len;
            at = 0;
            fits = 1;
            continue;
        }
        fits &= at < len && tag[at] == c;
        at++;
    }
    fclose(f);
    return found;
}

static int kept(pid_t pid, const pid_t *keep, int n_keep)
{
    for (int i = 0; i < n_keep; i++)
        if (keep[i] == pid)
            return 1;
    return 0;
}

/* One look at every process: reaps the soak's own dead children (not those in keep) and
 * puts the live processes of run r (its process group, its tag) into out. How many. */
static int scan(const Run *r, const char *tag, const pid_t *keep, int n_keep, Proc *out, int max)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    pid_t self = getpid();
    int n = 0;
    while (d && (e = readdir(d))) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        Proc p;
        pid_t pid = (pid_t)atoi(e->d_name);
        if (pid == self || read_stat(pid, &p) != 0)
            continue;
        if (p.state == 'Z') {
            if (p.ppid == self && !kept(pid, keep, n_keep))
                waitpid(pid, NULL, WNOHANG);
            continue;
        }
        if (n < max && (p.pgrp == r->pid || has_tag(pid, tag)))
            out[n++] = p;
    }
    if (d)
        closedir(d);
    return n;
}

static void signal_all(const Proc *p, int n, int sig)
{
    for (int i = 0; i < n; i++)
        kill(p[i].pid, sig);
}

/* "2 processes outlived the command and were stopped: sleep (pid 12), sh (pid 13)". */
static void note_outlived(const Run *r, const Proc *p, int n)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/notes.txt", r->dir);
    FILE *f = fopen(path, "a");
    if (!f)
        return;
    int one = n == 1;
    fprintf(f, "%d process%s outlived the command and %s stopped:", n, one ? "" : "es", one ? "was" : "were");
    for (int i = 0; i < n && i < TREE_NOTE_NAMES; i++)
        fprintf(f, "%s %s (pid %d)", i ? "," : "", p[i].comm, (int)p[i].pid);
    if (n > TREE_NOTE_NAMES)
        fprintf(f, " and %d more", n - TREE_NOTE_NAMES);
    fprintf(f, "\n");
    fclose(f);
}

int tree_end(const Run *r, const pid_t *keep, int n_keep)
{
    char tag[PATH_MAX + 64];
    tree_tag(r, tag, sizeof tag);
    Proc left[TREE_MAX], now[TREE_MAX];
    int n_left = scan(r, tag, keep, n_keep, left, TREE_MAX);
    if (n_left == 0)
        return 0;
    note_outlived(r, left, n_left);
    signal_all(left, n_left, SIGTERM);
    double t0 = now_s();
    int sig = SIGTERM;
    for (;;) {
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
        int n = scan(r, tag, keep, n_keep, now, TREE_MAX);
        if (n == 0 || now_s() - t0 > TREE_GRACE_S + 5.0)
            break; /* all gone, or what is left cannot be stopped (uninterruptible) */
        if (now_s() - t0 > TREE_GRACE_S)
            sig = SIGKILL;
        signal_all(now, n, sig); /* those started since are stopped too */
    }
    return n_left;
}
