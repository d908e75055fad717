#include "mapattrib.h"

#include <elf.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "findings.h"

#define MA_STACKS 256 /* distinct stacks kept */
#define MA_LIVE 8192 /* mappings live at once */
#define MA_MODULES 256
#define MA_FRAMES 12
#define MA_PAGE 4096.0

typedef struct Module {
    uint64_t start, end, offset;
    char path[256];
} Module;

typedef struct Mapped {
    uint64_t addr, len;
    int stack;
} Mapped;

typedef struct Replay {
    char stacks[MA_STACKS][200]; /* "ret;ret;..." as the probe wrote them */
    int n_stacks;
    double warm[MA_STACKS], end[MA_STACKS]; /* bytes held mapped */
    Mapped live[MA_LIVE];
    int n_live;
} Replay;

static int stack_id(Replay *p, const char *frames)
{
    for (int i = 0; i < p->n_stacks; i++)
        if (!strcmp(p->stacks[i], frames))
            return i;
    if (p->n_stacks == MA_STACKS)
        return -1;
    snprintf(p->stacks[p->n_stacks], sizeof p->stacks[0], "%s", frames);
    return p->n_stacks++;
}

/* munmap of [a, a+len): what it covers is no longer mapped (an overlap trims a mapping). */
static void unmap(Replay *p, uint64_t a, uint64_t len)
{
    uint64_t z = a + len;
    for (int i = 0; i < p->n_live; i++) {
        Mapped *m = &p->live[i];
        uint64_t mz = m->addr + m->len;
        if (mz <= a || m->addr >= z)
            continue;
        if (m->addr >= a && mz <= z) { /* all of it */
            p->live[i--] = p->live[--p->n_live];
        } else if (m->addr < a) { /* its head stays */
            m->len = a - m->addr;
        } else { /* its tail stays */
            m->len = mz - z;
            m->addr = z;
        }
    }
}

static void held(const Replay *p, double *out)
{
    for (int s = 0; s < p->n_stacks; s++)
        out[s] = 0;
    for (int i = 0; i < p->n_live; i++)
        out[p->live[i].stack] += (double)p->live[i].len;
}

/* Replays RUN/<file> (mappings.csv): what each stack held (bytes mapped) at warm_iter and
 * at the end. */
static int replay(const char *dir, const char *file, double warm_iter, Replay *p)
{
    char path[PATH_MAX + 32];
    char line[2048];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int warm_taken = 0;
    while (fgets(line, sizeof line, f)) {
        double iter;
        int made;
        unsigned long long addr, len;
        int used = 0;
        if (sscanf(line, "%lf,%d,%llu,%llu%n", &iter, &made, &addr, &len, &used) != 4)
            continue;
        if (!warm_taken && iter >= warm_iter) {
            held(p, p->warm);
            warm_taken = 1;
        }
        if (!made) {
            unmap(p, addr, len);
            continue;
        }
        char *frames = line + used + (line[used] == ',');
        frames[strcspn(frames, "\n")] = 0;
        int s = stack_id(p, frames);
        if (s >= 0 && p->n_live < MA_LIVE)
            p->live[p->n_live++] = (Mapped){addr, len, s};
    }
    fclose(f);
    if (!warm_taken)
        held(p, p->warm);
    held(p, p->end);
    return 0;
}

static int read_modules(const char *dir, Module *m, int max)
{
    char path[PATH_MAX + 32], line[512];
    snprintf(path, sizeof path, "%s/maps.txt", dir);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f && n < max && fgets(line, sizeof line, f)) {
        unsigned long long a, z, off;
        char file[256] = "";
        if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %255s", &a, &z, &off, file) != 4 || file[0] != '/')
            continue;
        m[n] = (Module){a, z, off, ""};
        snprintf(m[n++].path, sizeof m[0].path, "%s", file);
    }
    if (f)
        fclose(f);
    return n;
}

/* The module of address a and the address addr2line wants (ET_DYN: from its load base). */
static const Module *module_of(const Module *m, int n, uint64_t a, uint64_t *rel)
{
    for (int i = 0; i < n; i++) {
        if (a < m[i].start || a >= m[i].end)
            continue;
        FILE *f = fopen(m[i].path, "rb");
        Elf64_Ehdr h = {0};
        int dyn = f && fread(&h, sizeof h, 1, f) == 1 && h.e_type == ET_DYN;
        if (f)
            fclose(f);
        *rel = dyn ? a - (m[i].start - m[i].offset) : a;
        return &m[i];
    }
    return NULL;
}

/* The library an allocator or a sanitizer runtime lives in: its mappings are its heap's. */
static int allocator_module(const char *path)
{
    static const char *const libs[] = {"libjemalloc", "libtcmalloc", "liblsan",
                                       "libasan",     "libtsan",     "vgpreload"};
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++)
        if (strstr(path, libs[i]))
            return 1;
    return 0;
}

/* Names the frames of a stack ("ret;ret;..."): "function file:line" each, into fr; -1 when
 * the stack is an allocator's (it is left out). How many. */
static int name_frames(const char *dir, const Module *mods, int n_mods, const char *stack, char fr[][200])
{
    char copy[200], *save = NULL;
    snprintf(copy, sizeof copy, "%s", stack);
    int n = 0;
    for (char *tok = strtok_r(copy, ";", &save); tok && n < MA_FRAMES; tok = strtok_r(NULL, ";", &save)) {
        uint64_t ret = strtoull(tok, NULL, 16), rel = 0;
        const Module *m = module_of(mods, n_mods, ret ? ret - 1 : 0, &rel); /* the call, not the return */
        if (m && allocator_module(m->path))
            return -1;
        if (!m || strstr(m->path, "libflatmem-probe")) {
            snprintf(fr[n++], sizeof fr[0], "?? %s", m ? "probe" : "?");
            continue;
        }
        Argv a = {.n = 0};
        char out[PATH_MAX + 32], line[2][400] = {"", ""};
        argv_add(&a, "addr2line");
        argv_add(&a, "-f");
        argv_add(&a, "-C");
        argv_add(&a, "-e");
        argv_add(&a, "%s", m->path);
        argv_add(&a, "%llx", (unsigned long long)rel);
        snprintf(out, sizeof out, "%s/.addr2line.txt", dir);
        FILE *f = argv_run(&a, out, NULL, 0) == 0 ? fopen(out, "r") : NULL;
        for (int k = 0; f && k < 2 && fgets(line[k], sizeof line[k], f); k++)
            line[k][strcspn(line[k], "\n")] = 0;
        if (f)
            fclose(f);
        unlink(out);
        char *disc = strstr(line[1], " (discriminator");
        if (disc)
            *disc = 0;
        char cwd[PATH_MAX];
        size_t c = getcwd(cwd, sizeof cwd) ? strlen(cwd) : 0; /* relative to where the soak runs */
        const char *where = c && !strncmp(line[1], cwd, c) && line[1][c] == '/' ? line[1] + c + 1 : line[1];
        snprintf(fr[n++], sizeof fr[0], "%.96s %.96s", line[0][0] ? line[0] : "??", where);
    }
    return n;
}

static int cmp_growth(const void *a, const void *b)
{
    double x = ((const StackGrowth *)a)->bytes, y = ((const StackGrowth *)b)->bytes;
    return (x < y) - (x > y);
}

/* One grown stack into g: its first frame that is the program's own, and two callers. */
static int charge(const char fr[][200], int n, StackGrowth *g)
{
    int k = 0;
    while (k < n && (!strncmp(fr[k], "??", 2) || frame_is_allocator(fr[k])))
        k++;
    if (k == n)
        return 0;
    const char *sp = strchr(fr[k], ' ');
    snprintf(g->function, sizeof g->function, "%.*s", (int)(sp ? sp - fr[k] : (long)strlen(fr[k])), fr[k]);
    snprintf(g->where, sizeof g->where, "%s", sp && !strstr(sp, "??") ? sp + 1 : "");
    char a[96] = "", b[96] = "";
    if (k + 1 < n)
        sscanf(fr[k + 1], "%95s", a);
    if (k + 2 < n)
        sscanf(fr[k + 2], "%95s", b);
    g->n_callers = 0;
    stack_add_caller(g, a, "");
    if (a[0])
        stack_add_caller(g, b, "");
    return 1;
}

/* The stacks of RUN/file whose holdings grew by least or more (mapattrib, fdattrib). */
static int replay_attrib(const char *dir, const char *file, double least, double warm_iter, double end_iter,
                         StackGrowth *out, int max, char *why, size_t whylen)
{
    Replay *rp = calloc(1, sizeof *rp);
    Module *mods = calloc(MA_MODULES, sizeof *mods);
    if (!rp || !mods || replay(dir, file, warm_iter, rp) != 0) {
        snprintf(why, whylen, "no record of the program's %s (the probe library was not in it)",
                 least >= MA_PAGE ? "mappings" : "descriptors");
        free(rp);
        free(mods);
        return 0;
    }
    int n_mods = read_modules(dir, mods, MA_MODULES), n = 0;
    double total = 0, span = fmax(1.0, end_iter - warm_iter);
    for (int s = 0; s < rp->n_stacks; s++)
        total += fmax(0, rp->end[s] - rp->warm[s]);
    for (int s = 0; s < rp->n_stacks && n < max; s++) {
        double grew = rp->end[s] - rp->warm[s];
        char fr[MA_FRAMES][200];
        int k = grew >= least ? name_frames(dir, mods, n_mods, rp->stacks[s], fr) : -1;
        StackGrowth g = {.bytes = grew, .bytes_per_iter = grew / span, .share = total > 0 ? grew / total : 0};
        if (k > 0 && charge((const char(*)[200])fr, k, &g))
            out[n++] = g;
    }
    free(rp);
    free(mods);
    qsort(out, (size_t)n, sizeof *out, cmp_growth);
    if (!n)
        snprintf(why, whylen,
                 least >= MA_PAGE ? "no mapping of the program's own grew by a page after warm-up"
                                  : "no descriptor the program opened itself was left open");
    return n;
}

int mapattrib(const char *dir, long iters, double warmup_frac, StackGrowth *out, int max, char *why,
              size_t whylen)
{
    double warm = fmax(2.0, warmup_frac * (double)iters);
    return replay_attrib(dir, "mappings.csv", MA_PAGE, warm, (double)iters, out, max, why, whylen);
}

int fdattrib(const char *dir, long iters, double warmup_frac, StackGrowth *out, int max, char *why,
             size_t whylen)
{
    char path[PATH_MAX + 32], line[2048];
    snprintf(path, sizeof path, "%s/descriptors.csv", dir);
    if (access(path, R_OK) == 0) {
        double warm = fmax(2.0, warmup_frac * (double)iters);
        return replay_attrib(dir, "descriptors.csv", 2, warm, (double)iters, out, max, why, whylen);
    }
    /* the built-in program's runs: the probe's own record, by time (warm-up: that share of
     * the time its records span) */
    snprintf(path, sizeof path, "%s/fdops.csv", dir);
    FILE *f = fopen(path, "r");
    double t0 = INFINITY, t1 = -INFINITY, t;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "%lf,", &t) == 1)
            t0 = fmin(t0, t), t1 = fmax(t1, t);
    if (f)
        fclose(f);
    double warm = isinf(t0) ? 0 : t0 + warmup_frac * (t1 - t0);
    return replay_attrib(dir, "fdops.csv", 2, warm, isinf(t1) ? 1 : t1, out, max, why, whylen);
}
