#include "fdwatch.h"

#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outfile.h"
#include "util.h"

#define FDW_TARGETS 64 /* distinct targets kept per look */
#define FDW_LOOKS 16 /* early looks: 0.05 s x 2^k */
#define FDW_LAST_EVERY 0.1 /* seconds between last looks */

typedef struct Look {
    double t; /* seconds since the start; < 0: not taken */
    int total; /* descriptors open */
    int n;
    struct {
        char target[96];
        int count;
    } of[FDW_TARGETS];
} Look;

struct FdWatch {
    pid_t pid;
    double next_last;
    Look early[FDW_LOOKS];
    Look last;
};

FdWatch *fdwatch_start(pid_t pid)
{
    FdWatch *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->pid = pid;
    for (int k = 0; k < FDW_LOOKS; k++)
        w->early[k].t = -1;
    w->last.t = -1;
    return w;
}

/* "socket:[123]" -> "socket"; a path as it is. */
static void group_of(const char *link, char *out, size_t cap)
{
    static const char *const kinds[] = {"socket:", "pipe:", "anon_inode:"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strncmp(link, kinds[i], strlen(kinds[i]))) {
            snprintf(out, cap, "%.*s", (int)strlen(kinds[i]) - 1, link);
            return;
        }
    snprintf(out, cap, "%.*s", (int)cap - 1, link);
}

/* Reads the descriptors of w->pid into *l; 0, or -1 (*l untouched) when the process is
 * gone or exiting. */
static int look(const FdWatch *w, double t, Look *l)
{
    char dir[64], path[352], link[PATH_MAX], target[96];
    snprintf(dir, sizeof dir, "/proc/%d/fd", (int)w->pid);
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    Look fresh = {.t = t};
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ssize_t n = readlink(path, link, sizeof link - 1);
        if (n < 0)
            continue;
        link[n] = 0;
        group_of(link, target, sizeof target);
        fresh.total++;
        int k = 0;
        while (k < fresh.n && strcmp(fresh.of[k].target, target))
            k++;
        if (k == fresh.n && fresh.n < FDW_TARGETS)
            snprintf(fresh.of[fresh.n++].target, sizeof fresh.of[0].target, "%s", target);
        if (k < fresh.n)
            fresh.of[k].count++;
    }
    closedir(d);
    if (fresh.total == 0)
        return -1; /* exiting: its descriptors already closed */
    *l = fresh;
    return 0;
}

void fdwatch_tick(FdWatch *w, double t, int now)
{
    if (!w)
        return;
    for (int k = 0; k < FDW_LOOKS; k++)
        if (w->early[k].t < 0 && t >= 0.05 * (double)(1 << k)) {
            look(w, t, &w->early[k]);
            break;
        }
    /* a look reads every descriptor's target: with thousands open (a leak of one a request)
     * it takes tens of milliseconds, in which the samples wait; at most a tenth of the time */
    double t0 = now_s();
    if ((now || t >= w->next_last) && look(w, t, &w->last) == 0)
        w->next_last = t + fmax(FDW_LAST_EVERY, 10 * (now_s() - t0));
}

/* How many descriptors of l are open on target. */
static int count_in(const Look *l, const char *target)
{
    for (int k = 0; k < l->n; k++)
        if (!strcmp(l->of[k].target, target))
            return l->of[k].count;
    return 0;
}

/* The early look nearest the end of warm-up: the latest taken at or before a tenth of the
 * run, else the first taken. */
static const Look *warm_look(const FdWatch *w, double wall)
{
    const Look *best = NULL;
    for (int k = 0; k < FDW_LOOKS; k++)
        if (w->early[k].t >= 0 && (!best || w->early[k].t <= 0.1 * wall))
            best = &w->early[k];
    return best;
}

void fdwatch_finish(FdWatch *w, const char *dir, double wall)
{
    if (!w)
        return;
    const Look *a = warm_look(w, wall), *b = &w->last;
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/fds.txt", dir);
    OutFile of;
    FILE *f = a && b->t > a->t ? outfile_open(&of, path) : NULL;
    if (f) {
        fprintf(f, "# open descriptors: %d at %.2f s, %d at %.2f s (the last look)\n", a->total, a->t,
                b->total, b->t);
        int done[FDW_TARGETS] = {0};
        for (;;) { /* most grown first */
            int best = -1, grew = 0;
            for (int k = 0; k < b->n; k++) {
                int g = b->of[k].count - count_in(a, b->of[k].target);
                if (!done[k] && g > grew) {
                    best = k;
                    grew = g;
                }
            }
            if (best < 0)
                break;
            done[best] = 1;
            fprintf(f, "%d\t%s\n", grew, b->of[best].target);
        }
        if (outfile_commit(&of) != 0)
            fprintf(stderr, "%s: %s: cannot be written\n", program_invocation_short_name, path);
    }
    free(w);
}

int fdwatch_read(const char *dir, FdGrowth *out)
{
    char path[PATH_MAX + 16], line[512];
    snprintf(path, sizeof path, "%s/fds.txt", dir);
    FILE *f = fopen(path, "r");
    int found = 0;
    memset(out, 0, sizeof *out);
    while (f && !found && fgets(line, sizeof line, f)) {
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab)
            continue;
        line[strcspn(line, "\n")] = 0;
        out->count = atoi(line);
        snprintf(out->target, sizeof out->target, "%s", tab + 1);
        found = out->count > 0;
    }
    if (f)
        fclose(f);
    return found;
}
