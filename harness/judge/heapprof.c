#include "heapprof.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "findings.h"
#include "util.h"

/* p, or the program stops: out of memory reading heap profiles. */
static void *need(void *p)
{
    if (!p) {
        fprintf(stderr, "%s: out of memory reading a heap profile\n", program_invocation_short_name);
        exit(1);
    }
    return p;
}

static char *dupstr(const char *s)
{
    return need(strdup(s));
}

/* "@ 0x7f.. 0x56.." into a new stack of p. */
static void add_stack(HeapProf *p, const char *line)
{
    p->stacks = grow_array(p->stacks, &p->cap, p->n + 1, sizeof *p->stacks);
    HeapStack *st = &p->stacks[p->n++];
    memset(st, 0, sizeof *st);
    int cap = 0;
    for (const char *q = line + 1; *q;) {
        char *end;
        uint64_t a = strtoull(q, &end, 16);
        if (end == q)
            break;
        st->addr = grow_array(st->addr, &cap, st->n + 1, sizeof *st->addr);
        st->addr[st->n++] = a;
        q = end;
    }
}

/* A line of MAPPED_LIBRARIES ("start-end perms offset dev inode path"). */
static void add_map(HeapProf *p, const char *line)
{
    uint64_t start, end, offset;
    int used = 0;
    if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %*s %n", &start, &end, &offset, &used) !=
            3 ||
        !used)
        return;
    p->maps = grow_array(p->maps, &p->cap_maps, p->n_maps + 1, sizeof *p->maps);
    HeapMap *m = &p->maps[p->n_maps++];
    m->start = start;
    m->end = end;
    m->offset = offset;
    char path[4096];
    snprintf(path, sizeof path, "%s", line + used);
    path[strcspn(path, "\n")] = 0;
    m->path = dupstr(path);
}

/* Scales a stack's sampled counts to what the program allocated (heapprof.h). */
static void unsample(HeapStack *st, double period)
{
    if (st->objects <= 0 || period <= 0)
        return;
    double scale = 1.0 / (1.0 - exp(-(st->bytes / st->objects) / period));
    st->objects *= scale;
    st->bytes *= scale;
}

int heapprof_load(const char *path, HeapProf *p, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    enum { LINE = 65536 };
    char *line = malloc(LINE);
    if (!line) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int maps = 0, ok = fgets(line, LINE, f) && sscanf(line, "heap_v2/%lf", &p->period) == 1;
    while (ok && fgets(line, LINE, f)) {
        double objects, bytes;
        if (maps)
            add_map(p, line);
        else if (!strncmp(line, "MAPPED_LIBRARIES:", 17))
            maps = 1;
        else if (line[0] == '@')
            add_stack(p, line);
        else if (p->n && sscanf(line, " t*: %lf: %lf", &objects, &bytes) == 2) {
            p->stacks[p->n - 1].objects = objects;
            p->stacks[p->n - 1].bytes = bytes;
            unsample(&p->stacks[p->n - 1], p->period);
        }
    }
    fclose(f);
    free(line);
    if (!ok) {
        snprintf(err, errlen, "%s: not a jemalloc heap profile (its first line is not heap_v2/PERIOD)", path);
        heapprof_free(p);
        return -1;
    }
    return 0;
}

void heapprof_free(HeapProf *p)
{
    for (int i = 0; i < p->n; i++)
        free(p->stacks[i].addr);
    for (int i = 0; i < p->n_maps; i++)
        free(p->maps[i].path);
    free(p->stacks);
    free(p->maps);
    memset(p, 0, sizeof *p);
}

static int cmp_sym(const void *a, const void *b)
{
    uint64_t x = ((const HeapSym *)a)->addr, y = ((const HeapSym *)b)->addr;
    return (x > y) - (x < y);
}

const HeapSym *heapsyms_find(const HeapSyms *s, uint64_t addr)
{
    HeapSym key = {.addr = addr};
    return s->n ? bsearch(&key, s->s, (size_t)s->n, sizeof key, cmp_sym) : NULL;
}

static void free_lines(HeapLine *l, int n)
{
    for (int k = 0; k < n; k++) {
        free(l[k].function);
        free(l[k].file);
    }
    free(l);
}

void heapsyms_free(HeapSyms *s)
{
    for (int i = 0; i < s->n; i++)
        free_lines(s->s[i].lines, s->s[i].n_lines);
    free(s->s);
    memset(s, 0, sizeof *s);
}

/* The address in module m's file that a runtime address is at, as addr2line takes it: the
 * virtual address of its ELF load segment (a position-dependent executable: the address
 * itself). 0, or -1 when the file is not a 64-bit ELF file that holds it. */
static int file_address(const HeapMap *m, uint64_t addr, uint64_t *out)
{
    FILE *f = fopen(m->path, "rb");
    Elf64_Ehdr eh;
    int ok = f && fread(&eh, sizeof eh, 1, f) == 1 && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
             eh.e_ident[EI_CLASS] == ELFCLASS64;
    uint64_t off = addr - m->start + m->offset;
    int found = -1;
    if (ok && eh.e_type == ET_EXEC) {
        *out = addr;
        found = 0;
    }
    for (int i = 0; ok && found && i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (fseek(f, (long)(eh.e_phoff + (uint64_t)i * eh.e_phentsize), SEEK_SET) != 0 ||
            fread(&ph, sizeof ph, 1, f) != 1)
            break;
        if (ph.p_type == PT_LOAD && off >= ph.p_offset && off < ph.p_offset + ph.p_filesz) {
            *out = off - ph.p_offset + ph.p_vaddr;
            found = 0;
        }
    }
    if (f)
        fclose(f);
    return found;
}

static int map_of(const HeapProf *p, uint64_t addr)
{
    for (int i = 0; i < p->n_maps; i++)
        if (addr >= p->maps[i].start && addr < p->maps[i].end)
            return i;
    return -1;
}

/* ---- names already found, kept by the caller (a soak) ----------------------------------------
 * A soak reads the profiles of several runs of one program (each count, each mode): their
 * addresses are mostly the same. What addr2line said of an address of a module is kept,
 * by the module's file (device, inode, size and time: a rebuilt file is another), so that
 * each address is asked once a soak. */
typedef struct Named {
    uint64_t fa; /* the address in the file */
    HeapLine *lines;
    int n_lines;
} Named;

typedef struct ModuleNames {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
    Named *v; /* sorted by fa */
    int n, cap;
} ModuleNames;

struct HeapNames {
    ModuleNames *m;
    int n, cap;
    long runs; /* addr2line processes started */
};

HeapNames *heapnames_new(void)
{
    return need(calloc(1, sizeof(HeapNames)));
}

void heapnames_free(HeapNames *h)
{
    for (int i = 0; h && i < h->n; i++) {
        for (int k = 0; k < h->m[i].n; k++)
            free_lines(h->m[i].v[k].lines, h->m[i].v[k].n_lines);
        free(h->m[i].v);
    }
    if (h)
        free(h->m);
    free(h);
}

long heapnames_addr2line_runs(const HeapNames *h)
{
    return h ? h->runs : 0;
}

/* The names h keeps for the file at path (a new, empty set the first time); NULL without
 * h, or when the file cannot be looked at. */
static ModuleNames *names_of(HeapNames *h, const char *path)
{
    struct stat st;
    if (!h || stat(path, &st) != 0)
        return NULL;
    for (int i = 0; i < h->n; i++) {
        ModuleNames *m = &h->m[i];
        if (m->dev == st.st_dev && m->ino == st.st_ino && m->size == st.st_size &&
            m->mtime.tv_sec == st.st_mtim.tv_sec && m->mtime.tv_nsec == st.st_mtim.tv_nsec)
            return m;
    }
    h->m = grow_array(h->m, &h->cap, h->n + 1, sizeof *h->m);
    ModuleNames *m = &h->m[h->n++];
    *m = (ModuleNames){.dev = st.st_dev, .ino = st.st_ino, .size = st.st_size, .mtime = st.st_mtim};
    return m;
}

static int cmp_named(const void *a, const void *b)
{
    uint64_t x = ((const Named *)a)->fa, y = ((const Named *)b)->fa;
    return x < y ? -1 : x > y;
}

static const Named *named_find(const ModuleNames *m, uint64_t fa)
{
    Named key = {.fa = fa};
    return m && m->n ? bsearch(&key, m->v, (size_t)m->n, sizeof *m->v, cmp_named) : NULL;
}

static HeapLine *copy_lines(const HeapLine *from, int n);

/* Keeps what addr2line said of file address fa (the lines of sym y). */
static void named_add(ModuleNames *m, uint64_t fa, const HeapSym *y)
{
    m->v = grow_array(m->v, &m->cap, m->n + 1, sizeof *m->v);
    m->v[m->n++] = (Named){.fa = fa, .lines = copy_lines(y->lines, y->n_lines), .n_lines = y->n_lines};
}

/* Runs addr2line on module path with standard input from in and output into out. 0 or -1. */
static int run_addr2line(const char *path, const char *in, const char *out)
{
    char *argv[] = {"addr2line", "-a", "-f", "-i", "-C", "-e", (char *)path, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        int i = open(in, O_RDONLY), o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644),
            e = open("/dev/null", O_WRONLY);
        if (i < 0 || o < 0 || e < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static void add_line(HeapSym *s, const char *function, const char *loc)
{
    s->lines = need(realloc(s->lines, (size_t)(s->n_lines + 1) * sizeof *s->lines));
    HeapLine *l = &s->lines[s->n_lines++];
    char file[4096];
    snprintf(file, sizeof file, "%s", loc);
    file[strcspn(file, " \n")] = 0; /* "f.c:12 (discriminator 3)" */
    char *colon = strrchr(file, ':');
    l->line = colon ? atoi(colon + 1) : 0;
    if (colon)
        *colon = 0;
    l->file = dupstr(strcmp(file, "??") ? file : "");
    l->function = dupstr(function);
}

static HeapLine *copy_lines(const HeapLine *from, int n)
{
    HeapLine *to = n ? need(malloc((size_t)n * sizeof *to)) : NULL;
    for (int k = 0; k < n; k++)
        to[k] = (HeapLine){
            .function = dupstr(from[k].function), .file = dupstr(from[k].file), .line = from[k].line};
    return to;
}

/* Reads addr2line's answer (-a -f -i: "0xADDR", then function and file:line for each
 * inlined level) into the symbols ask[0..n) of s, in the order they were asked. */
static void read_answer(HeapSyms *s, const int *ask, int n, const char *out)
{
    FILE *f = fopen(out, "r");
    char a[4096], b[4096];
    int k = -1;
    while (f && fgets(a, sizeof a, f)) {
        a[strcspn(a, "\n")] = 0;
        if (!strncmp(a, "0x", 2)) {
            k++;
            continue;
        }
        if (k < 0 || k >= n || !fgets(b, sizeof b, f))
            break;
        if (strcmp(a, "??"))
            add_line(&s->s[ask[k]], a, b);
    }
    if (f)
        fclose(f);
}

/* Names the addresses of module map: those named before in this soak from what names
 * kept, the others with one addr2line (and kept there). */
static int resolve_module(HeapSyms *s, int map, HeapNames *names, const char *dir)
{
    const HeapMap *m = &s->maps_of->maps[map];
    ModuleNames *known = names_of(names, m->path);
    char in[PATH_MAX + 32], out[PATH_MAX + 32];
    snprintf(in, sizeof in, "%s/addresses", dir);
    snprintf(out, sizeof out, "%s/names", dir);
    int *ask = malloc((size_t)s->n * sizeof *ask), n_ask = 0;
    uint64_t *fas = malloc((size_t)s->n * sizeof *fas);
    FILE *f = ask && fas ? fopen(in, "w") : NULL;
    if (!f) {
        free(ask);
        free(fas);
        return -1;
    }
    for (int i = 0; i < s->n; i++) {
        uint64_t fa;
        if (s->s[i].map != map)
            continue;
        if (file_address(m, s->s[i].addr - 1, &fa) != 0) /* the call, before the return address */
            fa = 0;
        const Named *had = named_find(known, fa);
        if (had) {
            s->s[i].lines = copy_lines(had->lines, had->n_lines);
            s->s[i].n_lines = had->n_lines;
            continue;
        }
        fas[n_ask] = fa;
        ask[n_ask++] = i;
        fprintf(f, "0x%" PRIx64 "\n", fa);
    }
    int rc = fclose(f) == 0 ? 0 : -1;
    if (rc == 0 && n_ask) {
        if (names)
            names->runs++;
        rc = run_addr2line(m->path, in, out);
    }
    if (rc == 0 && n_ask) { /* (a second test: addr2line may have failed) */
        read_answer(s, ask, n_ask, out);
        for (int k = 0; known && k < n_ask; k++)
            named_add(known, fas[k], &s->s[ask[k]]);
        if (known)
            qsort(known->v, (size_t)known->n, sizeof *known->v, cmp_named);
    }
    free(ask);
    free(fas);
    return rc;
}

/* The frames addr2line could not name: "module+0xOFFSET"; and which are the allocator's. */
static void finish(HeapSyms *s)
{
    for (int i = 0; i < s->n; i++) {
        HeapSym *y = &s->s[i];
        const HeapMap *m = y->map >= 0 ? &s->maps_of->maps[y->map] : NULL;
        if (!y->n_lines) {
            char name[256];
            snprintf(name, sizeof name, "%s+0x%" PRIx64, m ? path_last(m->path) : "?",
                     m ? y->addr - m->start + m->offset : y->addr);
            add_line(y, name, "??:0");
        }
        const char *outer = y->lines[y->n_lines - 1].function;
        y->allocator = frame_is_allocator(outer) ||
                       (m && (strstr(m->path, "libjemalloc") || strstr(m->path, "libflatmem-probe")) &&
                        strncmp(outer, "flatmem_control_", 16)); /* the control's planting: named */
    }
}

int heapsyms_resolve(HeapSyms *s, const HeapProf *const *p, int n, HeapNames *names, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->maps_of = p[0];
    for (int k = 0; k < n; k++)
        for (int i = 0; i < p[k]->n; i++)
            for (int j = 0; j < p[k]->stacks[i].n; j++) {
                s->s = grow_array(s->s, &s->cap, s->n + 1, sizeof *s->s);
                s->s[s->n++] = (HeapSym){.addr = p[k]->stacks[i].addr[j]};
            }
    qsort(s->s, (size_t)s->n, sizeof *s->s, cmp_sym);
    int u = 0;
    for (int i = 0; i < s->n; i++)
        if (!u || s->s[u - 1].addr != s->s[i].addr)
            s->s[u++] = s->s[i];
    s->n = u;
    for (int i = 0; i < s->n; i++)
        s->s[i].map = map_of(p[0], s->s[i].addr);
    char dir[] = "/tmp/flatmem-addr2line.XXXXXX";
    if (!mkdtemp(dir)) {
        snprintf(err, errlen, "cannot make a temporary folder: %s", strerror(errno));
        return -1;
    }
    int rc = 0;
    for (int map = 0; map < p[0]->n_maps && rc == 0; map++) {
        int used = 0;
        for (int i = 0; i < s->n && !used; i++)
            used = s->s[i].map == map;
        if (used && p[0]->maps[map].path[0] == '/' && resolve_module(s, map, names, dir) != 0) {
            snprintf(err, errlen, "addr2line failed on %s (is binutils installed?)", p[0]->maps[map].path);
            rc = -1;
        }
    }
    char path[64];
    snprintf(path, sizeof path, "%s/addresses", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/names", dir);
    unlink(path);
    rmdir(dir);
    finish(s);
    return rc;
}

int heapprof_first_frame(const HeapSyms *s, const HeapStack *st)
{
    int k = 0;
    while (k < st->n) {
        const HeapSym *y = heapsyms_find(s, st->addr[k]);
        if (!y || !y->allocator)
            break;
        k++;
    }
    return k < st->n ? k : st->n - 1;
}
