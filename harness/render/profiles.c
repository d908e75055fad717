#include "profiles.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attrib.h"
#include "heapprof.h"
#include "outfile.h"
#include "pprof.h"
#include "util.h"
#include "xml.h"

/* A call stack from the program's first frame, and what it held in each profile. */
typedef struct Entry {
    const uint64_t *addr;
    int n;
    double objects[2], bytes[2]; /* after warm-up, at the end */
} Entry;

static int cmp_entry(const void *a, const void *b)
{
    const Entry *x = a, *y = b;
    for (int i = 0; i < x->n && i < y->n; i++)
        if (x->addr[i] != y->addr[i])
            return (x->addr[i] > y->addr[i]) - (x->addr[i] < y->addr[i]);
    return (x->n > y->n) - (x->n < y->n);
}

/* The stacks of both profiles, each from its first frame that is not the allocator's,
 * the same stack once. Returns how many are in *out (the caller frees it). */
static int entries(const HeapProf *const p[2], const HeapSyms *s, Entry **out)
{
    int n = 0;
    Entry *e = calloc((size_t)(p[0]->n + p[1]->n + 1), sizeof *e);
    if (!e) {
        fprintf(stderr, "%s: out of memory writing profiles\n", program_invocation_short_name);
        exit(1);
    }
    for (int w = 0; w < 2; w++)
        for (int i = 0; i < p[w]->n; i++) {
            const HeapStack *st = &p[w]->stacks[i];
            if (!st->n)
                continue;
            int k = heapprof_first_frame(s, st);
            e[n] = (Entry){.addr = st->addr + k, .n = st->n - k};
            e[n].objects[w] = st->objects;
            e[n++].bytes[w] = st->bytes;
        }
    qsort(e, (size_t)n, sizeof *e, cmp_entry);
    int u = 0;
    for (int i = 0; i < n; i++) {
        if (u && !cmp_entry(&e[u - 1], &e[i]))
            for (int w = 0; w < 2; w++) {
                e[u - 1].objects[w] += e[i].objects[w];
                e[u - 1].bytes[w] += e[i].bytes[w];
            }
        else
            e[u++] = e[i];
    }
    *out = e;
    return u;
}

/* The mappings and a location per address (location id: the address's index + 1). */
static void add_symbols(Pprof *pp, const HeapSyms *s)
{
    const HeapProf *p = s->maps_of;
    for (int i = 0; i < p->n_maps; i++)
        pprof_mapping(pp, p->maps[i].start, p->maps[i].end, p->maps[i].offset, p->maps[i].path);
    for (int i = 0; i < s->n; i++) {
        const HeapSym *y = &s->s[i];
        uint64_t fn[64];
        int64_t line[64];
        int n = y->n_lines < 64 ? y->n_lines : 64;
        for (int k = 0; k < n; k++) {
            fn[k] = pprof_function(pp, y->lines[k].function, y->lines[k].file);
            line[k] = y->lines[k].line;
        }
        pprof_location(pp, y->map >= 0 ? (uint64_t)y->map + 1 : 0, y->addr, fn, line, n);
    }
}

/* The location ids of stack e, the leaf first. Returns how many (at most cap). */
static int locations(const HeapSyms *s, const Entry *e, uint64_t *ids, int cap)
{
    int n = 0;
    for (int i = 0; i < e->n && n < cap; i++) {
        const HeapSym *y = heapsyms_find(s, e->addr[i]);
        if (y)
            ids[n++] = (uint64_t)(y - s->s) + 1;
    }
    return n;
}

typedef struct Ctx {
    const Run *r;
    const char *commit, *dir;
    const AttribPair *pr;
    const HeapSyms *s;
    const Entry *e;
    int n;
} Ctx;

static Pprof *start(const Ctx *c, const char *const (*types)[2], const char *what)
{
    static const char *const period[2] = {"space", "bytes"};
    Pprof *pp = pprof_new(types, 2, period, (int64_t)c->s->maps_of->period);
    char text[512];
    snprintf(text, sizeof text, "flatmem soak, run %s: %s (jemalloc's heap profiles, unsampled)", c->r->name,
             what);
    pprof_comment(pp, text);
    add_symbols(pp, c->s);
    pprof_label(pp, "mode", mode_name(c->r->mode), 0);
    pprof_label(pp, "count", NULL, c->r->iters);
    pprof_label(pp, "commit", c->commit[0] ? c->commit : "unknown", 0);
    return pp;
}

static int finish(Pprof *pp, const Ctx *c, const char *name, char *err, size_t errlen)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", c->dir, name);
    int rc = pprof_write(pp, path, err, errlen);
    pprof_free(pp);
    return rc;
}

/* heap-early.pb.gz (w 0) or heap-late.pb.gz (w 1). */
static int write_heap(const Ctx *c, int w, char *err, size_t errlen)
{
    static const char *const types[2][2] = {{"inuse_space", "bytes"}, {"inuse_objects", "count"}};
    char what[128];
    snprintf(what, sizeof what, "the heap at iteration %.0f",
             w ? c->pr->iter_late[c->pr->n_late - 1] : c->pr->iter_early);
    Pprof *pp = start(c, types, what);
    uint64_t ids[256];
    for (int i = 0; i < c->n; i++)
        if (c->e[i].bytes[w] > 0) {
            int64_t v[2] = {llround(c->e[i].bytes[w]), llround(c->e[i].objects[w])};
            pprof_sample(pp, ids, locations(c->s, &c->e[i], ids, 256), v);
        }
    return finish(pp, c, w ? "heap-late.pb.gz" : "heap-early.pb.gz", err, errlen);
}

static double span(const Ctx *c)
{
    return fmax(1.0, c->pr->iter_late[c->pr->n_late - 1] - c->pr->iter_early);
}

static int write_growth(const Ctx *c, char *err, size_t errlen)
{
    static const char *const types[2][2] = {{"growth_space", "bytes"}, {"growth_per_iteration", "bytes"}};
    char what[160];
    snprintf(what, sizeof what, "the growth from iteration %.0f to %.0f", c->pr->iter_early,
             c->pr->iter_late[c->pr->n_late - 1]);
    Pprof *pp = start(c, types, what);
    uint64_t ids[256];
    for (int i = 0; i < c->n; i++) {
        double g = c->e[i].bytes[1] - c->e[i].bytes[0];
        if (llround(g) == 0)
            continue;
        int64_t v[2] = {llround(g), llround(g / span(c))};
        pprof_sample(pp, ids, locations(c->s, &c->e[i], ids, 256), v);
    }
    return finish(pp, c, "growth.pb.gz", err, errlen);
}

/* speedscope's frames: one per level of each address (index: base[address] + level). */
static json_t *frames(const HeapSyms *s, int *base)
{
    json_t *a = json_array();
    int k = 0;
    for (int i = 0; i < s->n; i++) {
        base[i] = k;
        for (int l = 0; l < s->s[i].n_lines; l++, k++) {
            const HeapLine *hl = &s->s[i].lines[l];
            json_t *f = json_pack("{s:s}", "name", hl->function);
            if (hl->file[0])
                json_object_set_new(f, "file", json_string(hl->file));
            if (hl->line > 0)
                json_object_set_new(f, "line", json_integer(hl->line));
            json_array_append_new(a, f);
        }
    }
    return a;
}

/* A stack for speedscope: frame indices from the root to the leaf (inlined functions
 * after the function they are in). */
static json_t *stack(const Ctx *c, const Entry *e, const int *base)
{
    json_t *st = json_array();
    for (int i = e->n - 1; i >= 0; i--) {
        const HeapSym *y = heapsyms_find(c->s, e->addr[i]);
        for (int l = y ? y->n_lines - 1 : -1; l >= 0; l--)
            json_array_append_new(st, json_integer(base[y - c->s->s] + l));
    }
    return st;
}

static int write_speedscope(const Ctx *c, char *err, size_t errlen)
{
    int *base = calloc((size_t)c->s->n + 1, sizeof *base);
    json_t *samples = json_array(), *weights = json_array(), *fr = frames(c->s, base);
    double total = 0;
    for (int i = 0; i < c->n; i++) {
        double g = c->e[i].bytes[1] - c->e[i].bytes[0];
        if (llround(g) <= 0) /* a flame graph of what grew: what shrank is in growth.pb.gz */
            continue;
        json_array_append_new(samples, stack(c, &c->e[i], base));
        json_array_append_new(weights, json_integer(llround(g)));
        total += (double)llround(g);
    }
    free(base);
    char name[256];
    snprintf(name, sizeof name, "%s: memory grown from iteration %.0f to %.0f (%s)", c->r->name,
             c->pr->iter_early, c->pr->iter_late[c->pr->n_late - 1], c->commit[0] ? c->commit : "no commit");
    json_t *doc = json_pack("{s:s, s:s, s:s, s:i, s:{s:o}, s:[{s:s, s:s, s:s, s:i, s:f, s:o, s:o}]}",
                            "$schema", "https://www.speedscope.app/file-format-schema.json", "exporter",
                            "flatmem soak", "name", name, "activeProfileIndex", 0, "shared", "frames", fr,
                            "profiles", "type", "sampled", "name", name, "unit", "bytes", "startValue", 0,
                            "endValue", total, "samples", samples, "weights", weights);
    OutFile o;
    FILE *f = doc ? outfile_open_in(&o, c->dir, "growth.speedscope.json", err, errlen) : NULL;
    int rc = -1;
    if (f && json_dumpf(doc, f, JSON_COMPACT) == 0)
        rc = outfile_finish(&o, err, errlen);
    else if (f)
        outfile_abort(&o);
    if (!doc)
        snprintf(err, errlen, "%s: could not build growth.speedscope.json", c->dir);
    json_decref(doc);
    return rc;
}

int profiles_write_run(const Run *r, const char *commit, char *err, size_t errlen)
{
    const HeapModel *m = r->heap; /* read and named once, by the judge */
    if (!m)
        return 0;
    const HeapProf *both[2] = {heapmodel_early(m), heapmodel_late(m)};
    Entry *e = NULL;
    Ctx c = {r, commit, m->dir, &m->pr, &m->syms, NULL, 0};
    c.n = entries(both, &m->syms, &e);
    c.e = e;
    int rc = write_heap(&c, 0, err, errlen) || write_heap(&c, 1, err, errlen) ||
                     write_growth(&c, err, errlen) || write_speedscope(&c, err, errlen)
                 ? -1
                 : 1;
    free(e);
    return rc;
}

/* A frame of pygrowth.collapsed ("main pyprog.py:63") into its parts. */
static void py_frame(const char *frame, char *name, size_t ncap, char *file, size_t fcap, int64_t *line)
{
    const char *sp = strrchr(frame, ' '), *colon = strrchr(frame, ':');
    snprintf(name, ncap, "%.*s", sp ? (int)(sp - frame) : (int)strlen(frame), frame);
    snprintf(file, fcap, "%.*s", sp && colon > sp ? (int)(colon - sp - 1) : 0, sp ? sp + 1 : "");
    *line = colon > sp ? strtoll(colon + 1, NULL, 10) : 0;
}

/* The location of a Python frame, one per distinct frame (frames[0..*n) keeps their text). */
static uint64_t py_location(Pprof *pp, const char *frame, char (*frames)[256], int *n, int cap)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(frames[i], frame))
            return (uint64_t)i + 1;
    if (*n == cap)
        return 0;
    char name[256], file[256];
    int64_t line;
    py_frame(frame, name, sizeof name, file, sizeof file, &line);
    if (!strcmp(name, "<module>")) /* pprof drops what is between < and > (C++'s templates) */
        snprintf(name, sizeof name, "[module]");
    uint64_t fn = pprof_function(pp, name, file);
    snprintf(frames[(*n)++], 256, "%s", frame);
    return pprof_location(pp, 1, 0, &fn, &line, 1);
}

/* pygrowth.pb.gz: the growing Python tracebacks (pygrowth.collapsed, tracemalloc's) as a
 * pprof profile, a location per line of Python. 1 written, 0 none, -1 with err. */
static int write_python(const Run *r, const char *commit, char *err, size_t errlen)
{
    char path[PATH_MAX + 64], line[8192], dir[PATH_MAX + 16];
    run_source_dir(r, dir, sizeof dir);
    double span = r->py_span > 0 ? r->py_span : 1.0;
    FILE *f = r->py_folded ? fmemopen(r->py_folded, strlen(r->py_folded), "r") : NULL;
    if (!f)
        return 0;
    static const char *const types[2][2] = {{"growth_space", "bytes"}, {"growth_per_iteration", "bytes"}};
    static const char *const period[2] = {"space", "bytes"};
    char(*frames)[256] = calloc(4096, sizeof *frames);
    int n_frames = 0;
    if (!frames) {
        fclose(f);
        snprintf(err, errlen, "out of memory writing pygrowth.pb.gz");
        return -1;
    }
    Pprof *pp = pprof_new(types, 2, period, 1);
    snprintf(line, sizeof line, "flatmem soak, run %s: the growth of Python's lines (tracemalloc)", r->name);
    pprof_comment(pp, line);
    const char *py = r->py_interpreter; /* the interpreter: the "binary" */
    pprof_mapping(pp, 0, 0, 0, py && *py ? py : "python");
    pprof_label(pp, "mode", mode_name(r->mode), 0);
    pprof_label(pp, "count", NULL, r->iters);
    pprof_label(pp, "commit", commit[0] ? commit : "unknown", 0);
    while (fgets(line, sizeof line, f)) {
        char *bytes = strrchr(line, ' ');
        if (!bytes)
            continue;
        *bytes++ = 0;
        uint64_t ids[256];
        int n = 0;
        for (char *fr = strtok(line, ";"); fr && n < 256; fr = strtok(NULL, ";"))
            ids[n++] = py_location(pp, fr, frames, &n_frames, 4096);
        for (int i = 0; i < n / 2; i++) { /* pprof's stacks start at the leaf */
            uint64_t t = ids[i];
            ids[i] = ids[n - 1 - i];
            ids[n - 1 - i] = t;
        }
        double b = strtod(bytes, NULL);
        int64_t v[2] = {llround(b), llround(b / span)};
        pprof_sample(pp, ids, n, v);
    }
    fclose(f);
    free(frames);
    snprintf(path, sizeof path, "%s/pygrowth.pb.gz", dir);
    int rc = pprof_write(pp, path, err, errlen);
    pprof_free(pp);
    return rc == 0 ? 1 : -1;
}

int profiles_write(const SoakResult *res)
{
    int n = 0;
    for (int i = 0; i < res->n_runs; i++) {
        const Run *r = &res->runs[i];
        char err[PATH_MAX + 256];
        if (!mode_spec(r->mode)->heap_profiles || r->skipped)
            continue;
        int rc = profiles_write_run(r, res->env.commit, err, sizeof err);
        if (rc < 0)
            fprintf(stderr, "%s: profiles of %s: %s\n", program_invocation_short_name, r->name, err);
        if (r->python_traced && write_python(r, res->env.commit, err, sizeof err) < 0)
            fprintf(stderr, "%s: the Python profile of %s: %s\n", program_invocation_short_name, r->name,
                    err);
        n += rc > 0;
    }
    return n;
}

int profiles_rel(const Run *r, char *out, size_t cap)
{
    snprintf(out, cap, "runs/%s%s", r->name, r->finer ? "/attrib" : "");
    return r->heap != NULL; /* profiles_write wrote them from it */
}

void profiles_links(FILE *f, const Run *r, const char *before, const char *after)
{
    char rel[PATH_MAX];
    if (!profiles_rel(r, rel, sizeof rel))
        return;
    static const char *const files[][2] = {{"growth.pb.gz", "growth (pprof)"},
                                           {"heap-early.pb.gz", "heap after warm-up"},
                                           {"heap-late.pb.gz", "heap at the end"},
                                           {"growth.speedscope.json", "speedscope"}};
    fputs(before, f);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        fprintf(f, "%s<a href=\"", i ? " · " : "");
        xml_str(f, rel);
        fprintf(f, "/%s\">%s</a>", files[i][0], files[i][1]);
    }
    if (r->python_traced && r->py_folded) {
        fprintf(f, " · <a href=\"");
        xml_str(f, rel);
        fprintf(f, "/pygrowth.pb.gz\">Python lines (pprof)</a>");
    }
    fputs(after, f);
}
