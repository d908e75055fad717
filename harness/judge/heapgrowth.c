#include "heapgrowth.h"

#include <errno.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "findings.h"
#include "util.h"

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "%s: out of memory folding heap profiles\n", program_invocation_short_name);
        exit(1);
    }
    return p;
}

/* Removes s[from..to] (inclusive) from s. */
static void cut(char *s, size_t from, size_t to)
{
    memmove(s + from, s + to + 1, strlen(s + to + 1) + 1);
}

/* The innermost pair open...close (no open or close between them): its two indices. */
static int innermost(const char *s, char open, char close, size_t *a, size_t *b)
{
    const char *c = strchr(s, close);
    while (c) {
        const char *o = c;
        while (o > s && o[-1] != open && o[-1] != close)
            o--;
        if (o > s && o[-1] == open) {
            *a = (size_t)(o - 1 - s);
            *b = (size_t)(c - s);
            return 1;
        }
        c = strchr(c + 1, close);
    }
    return 0;
}

void heap_short_name(const char *full, char *out, size_t cap)
{
    snprintf(out, cap, "%s", full);
    size_t a, b;
    while (innermost(out, '(', ')', &a, &b)) { /* argument types, and a " const" after them */
        size_t end = b;
        const char *q = out + b + 1;
        while (*q == ' ')
            q++;
        if (!strncmp(q, "const", 5) && !isalnum((unsigned char)q[5]) && q[5] != '_')
            end = (size_t)(q + 4 - out);
        cut(out, a, end);
    }
    while (innermost(out, '<', '>', &a, &b)) /* template arguments */
        cut(out, a, b);
    /* a leading type: "void std::vector::f" -> "std::vector::f" (the last blank followed
     * by a word and "::") */
    char *keep = NULL;
    for (char *p = out; *p; p++) {
        if (!isspace((unsigned char)*p))
            continue;
        char *w = p;
        while (isspace((unsigned char)*w))
            w++;
        char *e = w;
        while (isalnum((unsigned char)*e) || *e == '_')
            e++;
        if (e > w && e[0] == ':' && e[1] == ':')
            keep = w;
    }
    if (keep)
        memmove(out, keep, strlen(keep) + 1);
    if (!out[0]) /* nothing left: the name as it was */
        snprintf(out, cap, "%s", full);
}

/* A frame's name in a folded stack: its short name (a name of its own when addr2line knew
 * none: "module+0xOFFSET", from heapprof). */
static void frame_text(const HeapLine *l, char *out, size_t cap)
{
    heap_short_name(l->function, out, cap);
    for (char *p = out; *p; p++)
        if (*p == ';' || *p == '\n') /* the folded format's separators */
            *p = ',';
}

typedef struct Entry {
    char *text;
    const HeapLine **frames;
    int n;
    double bytes;
} Entry;

/* The stack st (from its first frame that is not the allocator's) folded, with bytes. */
static Entry fold_one(const HeapSyms *s, const HeapStack *st, double bytes)
{
    Entry e = {.bytes = bytes};
    int k = heapprof_first_frame(s, st), lines = 0;
    for (int i = k; i < st->n; i++) {
        const HeapSym *y = heapsyms_find(s, st->addr[i]);
        lines += y ? y->n_lines : 0;
    }
    e.frames = xmalloc((size_t)lines * sizeof *e.frames);
    size_t len = 0, cap = 64;
    e.text = xmalloc(cap);
    e.text[0] = 0;
    for (int i = st->n - 1; i >= k; i--) {
        const HeapSym *y = heapsyms_find(s, st->addr[i]);
        for (int l = y ? y->n_lines - 1 : -1; l >= 0; l--) {
            char name[512];
            frame_text(&y->lines[l], name, sizeof name);
            size_t need = len + strlen(name) + 2;
            if (need > cap) {
                while (cap < need)
                    cap *= 2;
                char *t = realloc(e.text, cap);
                if (!t) {
                    fprintf(stderr, "%s: out of memory folding heap profiles\n",
                            program_invocation_short_name);
                    exit(1);
                }
                e.text = t;
            }
            len += (size_t)sprintf(e.text + len, "%s%s", e.n ? ";" : "", name);
            e.frames[e.n++] = &y->lines[l];
        }
    }
    return e;
}

/* Sorted by text, then by the frames' lines, so that a stack met in both profiles is one
 * entry (its late minus early bytes). */
static int cmp_entry(const void *a, const void *b)
{
    const Entry *x = a, *y = b;
    int c = strcmp(x->text, y->text);
    for (int i = 0; !c && i < x->n && i < y->n; i++)
        c = (x->frames[i] > y->frames[i]) - (x->frames[i] < y->frames[i]);
    return c ? c : x->n - y->n;
}

void heap_fold(const HeapSyms *s, const HeapProf *late, const HeapProf *early, FoldedSet *out)
{
    memset(out, 0, sizeof *out);
    int n = late->n + (early ? early->n : 0), m = 0;
    Entry *e = xmalloc((size_t)n * sizeof *e);
    for (int w = 0; w < 2; w++) {
        const HeapProf *p = w ? early : late;
        for (int i = 0; p && i < p->n; i++)
            if (p->stacks[i].n)
                e[m++] = fold_one(s, &p->stacks[i], w ? -p->stacks[i].bytes : p->stacks[i].bytes);
    }
    qsort(e, (size_t)m, sizeof *e, cmp_entry);
    out->f = xmalloc((size_t)m * sizeof *out->f);
    out->cap = m;
    for (int i = 0, kept = -1; i < m; i++) {
        if (kept >= 0 && !cmp_entry(&e[kept], &e[i])) {
            out->f[out->n - 1].bytes += e[i].bytes;
            free(e[i].text);
            free(e[i].frames);
            continue;
        }
        out->f[out->n++] = (Folded){e[i].text, e[i].frames, e[i].n, e[i].bytes};
        kept = i;
    }
    free(e);
}

void heap_folded_free(FoldedSet *set)
{
    for (int i = 0; i < set->n; i++) {
        free(set->f[i].text);
        free(set->f[i].frames);
    }
    free(set->f);
    memset(set, 0, sizeof *set);
}

/* The bytes of the stacks that fold to the text of set->f[i], from i on; *next: the first
 * entry of another text. */
static double group_bytes(const FoldedSet *set, int i, int *next)
{
    double b = 0;
    int j = i;
    for (; j < set->n && !strcmp(set->f[j].text, set->f[i].text); j++)
        b += set->f[j].bytes;
    *next = j;
    return b;
}

int heap_folded_write(const FoldedSet *set, FILE *f)
{
    for (int i = 0, next; i < set->n; i = next) {
        double b = group_bytes(set, i, &next);
        if (b >= 0.5 && fprintf(f, "%s %.0f\n", set->f[i].text, b) < 0)
            return -1;
    }
    return 0;
}

/* "function file:line" of frame l, as frame_is_allocator reads a frame. */
static int is_allocator(const HeapLine *l)
{
    char frame[1024], name[512];
    heap_short_name(l->function, name, sizeof name);
    snprintf(frame, sizeof frame, "%s %s:%d", name, l->file[0] ? l->file : "??", l->line);
    return frame_is_allocator(frame);
}

/* Where bytes were charged to one function: a location and its bytes. */
typedef struct Place {
    const HeapLine *line;
    double bytes;
} Place;

int heap_charge(const FoldedSet *set, StackGrowth *all, int cap, double *total)
{
    int n = 0;
    Place *best = calloc((size_t)cap + 1, sizeof *best);
    Place(*places)[16] = calloc((size_t)cap + 1, sizeof *places);
    if (!best || !places) {
        fprintf(stderr, "%s: out of memory charging heap growth\n", program_invocation_short_name);
        exit(1);
    }
    *total = 0;
    for (int i = 0, next; i < set->n; i = next) {
        const Folded *g = &set->f[i];
        double bytes = group_bytes(set, i, &next); /* what grew is what the folded stack holds */
        if (bytes <= 0 || !g->n)
            continue;
        *total += bytes;
        int k = g->n - 1;
        while (k > 0 && is_allocator(g->frames[k]))
            k--;
        char f[96], a[96] = "", b[96] = "";
        heap_short_name(g->frames[k]->function, f, sizeof f);
        if (k >= 1)
            heap_short_name(g->frames[k - 1]->function, a, sizeof a);
        if (k >= 2)
            heap_short_name(g->frames[k - 2]->function, b, sizeof b);
        int traced = strstr(g->text, "tracemalloc_") || strstr(g->text, "PyDataMem_");
        int j = 0;
        while (j < n && strcmp(all[j].function, f))
            j++;
        if (j == n) {
            if (n == cap)
                continue;
            memset(&all[n], 0, sizeof all[n]);
            snprintf(all[n++].function, sizeof all[0].function, "%s", f);
        }
        all[j].bytes += bytes;
        all[j].traced_bytes += traced ? bytes : 0;
        if (bytes > all[j].heaviest) {
            all[j].heaviest = bytes;
            all[j].n_callers = 0;
            stack_add_caller(&all[j], a, "");
            if (a[0])
                stack_add_caller(&all[j], b, "");
        }
        /* the function's place: the file:line its bytes went through most (each stack of
         * the folded one at its own lines) */
        for (int e = i; e < next; e++) {
            const HeapLine *at = set->f[e].frames[k];
            int p = 0;
            while (p < 16 && places[j][p].line &&
                   (places[j][p].line->line != at->line || strcmp(places[j][p].line->file, at->file)))
                p++;
            if (p == 16)
                continue;
            places[j][p].line = at;
            places[j][p].bytes += set->f[e].bytes;
            if (places[j][p].bytes > best[j].bytes)
                best[j] = places[j][p];
        }
    }
    for (int j = 0; j < n; j++) {
        const HeapLine *l = best[j].line;
        if (l && l->file[0])
            snprintf(all[j].where, sizeof all[j].where, "%s:%d", path_here(l->file), l->line);
    }
    free(best);
    free(places);
    return n;
}
