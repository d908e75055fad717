#include "procs.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sysmem.h"

/* The descendants of pid appended to out[*n..max): every thread's children file. */
static void descendants(int pid, int *out, int *n, int max)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d)) && *n < max) {
        if (e->d_name[0] == '.')
            continue;
        char file[300];
        snprintf(file, sizeof file, "/proc/%d/task/%s/children", pid, e->d_name);
        FILE *f = fopen(file, "r");
        int child;
        while (f && *n < max && fscanf(f, "%d", &child) == 1) {
            out[(*n)++] = child;
            descendants(child, out, n, max);
        }
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
}

/* Private (Private_Clean + Private_Dirty) and proportional memory of pid, in bytes. */
static void private_of(int pid, uint64_t *uss, uint64_t *pss)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
    FILE *f = fopen(path, "r");
    uint64_t priv = 0, prop = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (!strncmp(line, "Private_Clean:", 14) || !strncmp(line, "Private_Dirty:", 14))
            priv += strtoull(line + 14, NULL, 10);
        else if (!strncmp(line, "Pss:", 4))
            prop = strtoull(line + 4, NULL, 10);
    }
    if (f)
        fclose(f);
    *uss = priv * 1024;
    *pss = prop * 1024;
}

/* Its parent and name from /proc/PID/stat. */
static void identity(int pid, int *ppid, char *comm, size_t cap)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    char *open = strchr(buf, '('), *close = strrchr(buf, ')');
    *ppid = 0;
    comm[0] = 0;
    if (!open || !close || close < open)
        return;
    snprintf(comm, cap, "%.*s", (int)(close - open - 1), open + 1);
    for (char *c = comm; *c; c++)
        *c = *c == ' ' || *c == ',' ? '_' : *c; /* one word: the names file is split on blanks */
    sscanf(close + 1, " %*c %d", ppid);
}

static FILE *open_in(const char *dir, const char *name)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return fopen(path, "w");
}

static void name_once(ProcWatch *w, int pid)
{
    for (int i = 0; i < w->n_seen; i++)
        if (w->seen[i] == pid)
            return;
    if (w->n_seen < (int)(sizeof w->seen / sizeof w->seen[0]))
        w->seen[w->n_seen++] = pid;
    int ppid;
    char comm[64];
    identity(pid, &ppid, comm, sizeof comm);
    fprintf(w->names, "%d %d %s\n", pid, ppid, comm[0] ? comm : "?");
    fflush(w->names);
}

int procs_tick(ProcWatch *w, const char *dir, int root, uint64_t t_ns)
{
    int tree[PROCS_MAX], n = 0;
    tree[n++] = root;
    descendants(root, tree, &n, PROCS_MAX);
    if (n == 1 && !w->had_children)
        return 0;
    if (!w->had_children) {
        w->had_children = 1;
        w->rows = open_in(dir, "procs.csv");
        w->names = open_in(dir, "procs-names.txt");
    }
    for (int i = 0; w->rows && w->names && i < n; i++) {
        uint64_t uss, pss, rss = sysmem_rss_of(tree[i]);
        if (!rss)
            continue; /* gone, or a zombie */
        private_of(tree[i], &uss, &pss);
        name_once(w, tree[i]);
        fprintf(w->rows, "%llu,%d,%llu,%llu,%llu,%ld,%ld\n", (unsigned long long)t_ns, tree[i],
                (unsigned long long)rss, (unsigned long long)uss, (unsigned long long)pss,
                sysmem_fds_of(tree[i]), sysmem_threads_of(tree[i]));
    }
    if (w->rows)
        fflush(w->rows);
    return n - 1;
}

void procs_close(ProcWatch *w)
{
    if (w->rows)
        fclose(w->rows);
    if (w->names)
        fclose(w->names);
    memset(w, 0, sizeof *w);
}
