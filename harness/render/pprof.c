#include "pprof.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "outfile.h"
#include "util.h"

/* A growing byte buffer: an encoded message, or one part of it. */
typedef struct Buf {
    unsigned char *b;
    size_t n, cap;
} Buf;

static void put(Buf *b, const void *data, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n)
            cap *= 2;
        unsigned char *q = realloc(b->b, cap);
        if (!q) {
            fprintf(stderr, "%s: out of memory encoding a profile\n", program_invocation_short_name);
            exit(1);
        }
        b->b = q;
        b->cap = cap;
    }
    memcpy(b->b + b->n, data, n);
    b->n += n;
}

static void varint(Buf *b, uint64_t v)
{
    unsigned char c[10];
    int n = 0;
    do {
        c[n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    put(b, c, (size_t)n);
}

/* Field `field` as a varint (wire type 0); zero is left out, as proto3 does. */
static void num(Buf *b, int field, uint64_t v)
{
    if (!v)
        return;
    varint(b, (uint64_t)field << 3);
    varint(b, v);
}

/* Field `field` holding bytes (wire type 2): a string, a packed list, a message. */
static void bytes(Buf *b, int field, const void *data, size_t n)
{
    varint(b, (uint64_t)field << 3 | 2);
    varint(b, n);
    put(b, data, n);
}

static void message(Buf *b, int field, Buf *m)
{
    bytes(b, field, m->b, m->n);
    m->n = 0;
}

typedef struct Func {
    int64_t name, file;
} Func;

struct Pprof {
    Buf head, samples, mappings, locations, functions, tail; /* encoded, in the message's order */
    char **strings;
    int n_strings, cap_strings;
    int *slots; /* hash of strings: index + 1, 0 free */
    int n_slots;
    Func *funcs;
    int n_funcs, cap_funcs;
    uint64_t n_mappings, n_locations;
    int n_types;
    Buf labels; /* encoded Label messages of each sample */
    Buf m; /* scratch */
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void rehash(Pprof *p)
{
    free(p->slots);
    p->n_slots = p->n_slots ? p->n_slots * 2 : 1024;
    p->slots = calloc((size_t)p->n_slots, sizeof *p->slots);
    if (!p->slots) {
        fprintf(stderr, "%s: out of memory building a profile\n", program_invocation_short_name);
        exit(1);
    }
    for (int i = 0; i < p->n_strings; i++) {
        uint64_t h = hash(p->strings[i]) % (uint64_t)p->n_slots;
        while (p->slots[h])
            h = (h + 1) % (uint64_t)p->n_slots;
        p->slots[h] = i + 1;
    }
}

/* The index of s in the string table, added when new. */
static int64_t str(Pprof *p, const char *s)
{
    if (2 * (p->n_strings + 1) > p->n_slots)
        rehash(p);
    uint64_t h = hash(s) % (uint64_t)p->n_slots;
    for (; p->slots[h]; h = (h + 1) % (uint64_t)p->n_slots)
        if (!strcmp(p->strings[p->slots[h] - 1], s))
            return p->slots[h] - 1;
    p->strings = grow_array(p->strings, &p->cap_strings, p->n_strings + 1, sizeof *p->strings);
    p->strings[p->n_strings] = strdup(s);
    if (!p->strings[p->n_strings]) {
        fprintf(stderr, "%s: out of memory building a profile\n", program_invocation_short_name);
        exit(1);
    }
    p->slots[h] = ++p->n_strings;
    return p->n_strings - 1;
}

/* A ValueType message {type, unit} as field `field` of b. */
static void value_type(Pprof *p, Buf *b, int field, const char *const t[2])
{
    num(&p->m, 1, (uint64_t)str(p, t[0]));
    num(&p->m, 2, (uint64_t)str(p, t[1]));
    message(b, field, &p->m);
}

Pprof *pprof_new(const char *const (*types)[2], int n_types, const char *const period_type[2], int64_t period)
{
    Pprof *p = calloc(1, sizeof *p);
    if (!p) {
        fprintf(stderr, "%s: out of memory building a profile\n", program_invocation_short_name);
        exit(1);
    }
    str(p, ""); /* string 0 is always "" */
    p->n_types = n_types;
    for (int i = 0; i < n_types; i++)
        value_type(p, &p->head, 1, types[i]);
    value_type(p, &p->tail, 11, period_type);
    if (n_types)
        num(&p->tail, 14, (uint64_t)str(p, types[0][0])); /* default_sample_type */
    num(&p->tail, 12, (uint64_t)period);
    return p;
}

void pprof_free(Pprof *p)
{
    if (!p)
        return;
    Buf *bufs[] = {&p->head,      &p->samples, &p->mappings, &p->locations,
                   &p->functions, &p->tail,    &p->labels,   &p->m};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        free(bufs[i]->b);
    for (int i = 0; i < p->n_strings; i++)
        free(p->strings[i]);
    free(p->strings);
    free(p->slots);
    free(p->funcs);
    free(p);
}

uint64_t pprof_mapping(Pprof *p, uint64_t start, uint64_t limit, uint64_t offset, const char *file)
{
    uint64_t id = ++p->n_mappings;
    num(&p->m, 1, id);
    num(&p->m, 2, start);
    num(&p->m, 3, limit);
    num(&p->m, 4, offset);
    num(&p->m, 5, (uint64_t)str(p, file));
    for (int f = 7; f <= 10; f++) /* has_functions, _filenames, _line_numbers, _inline_frames */
        num(&p->m, f, 1);
    message(&p->mappings, 3, &p->m);
    return id;
}

uint64_t pprof_function(Pprof *p, const char *name, const char *file)
{
    int64_t n = str(p, name), f = str(p, file);
    for (int i = p->n_funcs - 1; i >= 0; i--) /* the same function comes back soon */
        if (p->funcs[i].name == n && p->funcs[i].file == f)
            return (uint64_t)i + 1;
    p->funcs = grow_array(p->funcs, &p->cap_funcs, p->n_funcs + 1, sizeof *p->funcs);
    p->funcs[p->n_funcs++] = (Func){n, f};
    num(&p->m, 1, (uint64_t)p->n_funcs);
    num(&p->m, 2, (uint64_t)n);
    num(&p->m, 3, (uint64_t)n);
    num(&p->m, 4, (uint64_t)f);
    message(&p->functions, 5, &p->m);
    return (uint64_t)p->n_funcs;
}

uint64_t pprof_location(Pprof *p, uint64_t mapping, uint64_t address, const uint64_t *functions,
                        const int64_t *lines, int n)
{
    uint64_t id = ++p->n_locations;
    Buf line = {0};
    num(&p->m, 1, id);
    num(&p->m, 2, mapping);
    num(&p->m, 3, address);
    for (int i = 0; i < n; i++) {
        num(&line, 1, functions[i]);
        num(&line, 2, (uint64_t)lines[i]);
        message(&p->m, 4, &line);
    }
    free(line.b);
    message(&p->locations, 4, &p->m);
    return id;
}

void pprof_label(Pprof *p, const char *key, const char *s, int64_t number)
{
    Buf l = {0};
    num(&l, 1, (uint64_t)str(p, key));
    if (s)
        num(&l, 2, (uint64_t)str(p, s));
    else
        num(&l, 3, (uint64_t)number);
    message(&p->labels, 3, &l);
    free(l.b);
}

void pprof_sample(Pprof *p, const uint64_t *locations, int n, const int64_t *values)
{
    Buf packed = {0};
    for (int i = 0; i < n; i++)
        varint(&packed, locations[i]);
    bytes(&p->m, 1, packed.b, packed.n);
    packed.n = 0;
    for (int i = 0; i < p->n_types; i++)
        varint(&packed, (uint64_t)values[i]);
    bytes(&p->m, 2, packed.b, packed.n);
    free(packed.b);
    put(&p->m, p->labels.b, p->labels.n);
    message(&p->samples, 2, &p->m);
}

void pprof_comment(Pprof *p, const char *text)
{
    num(&p->tail, 13, (uint64_t)str(p, text));
}

/* gzip of b (zlib, the gzip wrapper) into out. 0 or -1. */
static int gzip(const Buf *b, Buf *out)
{
    z_stream z = {0};
    if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    unsigned char chunk[65536];
    z.next_in = b->b;
    z.avail_in = (uInt)b->n;
    int rc;
    do {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        rc = deflate(&z, Z_FINISH);
        put(out, chunk, sizeof chunk - z.avail_out);
    } while (rc == Z_OK);
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : -1;
}

int pprof_write(Pprof *p, const char *path, char *err, size_t errlen)
{
    Buf all = {0}, gz = {0};
    const Buf *parts[] = {&p->head, &p->samples, &p->mappings, &p->locations, &p->functions};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        put(&all, parts[i]->b, parts[i]->n);
    for (int i = 0; i < p->n_strings; i++)
        bytes(&all, 6, p->strings[i], strlen(p->strings[i]));
    put(&all, p->tail.b, p->tail.n);
    int rc = gzip(&all, &gz);
    free(all.b);
    if (rc != 0) {
        snprintf(err, errlen, "%s: zlib could not compress the profile", path);
        free(gz.b);
        return -1;
    }
    OutFile o;
    FILE *f = outfile_open(&o, path);
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(gz.b);
        return -1;
    }
    fwrite(gz.b, 1, gz.n, f);
    free(gz.b);
    return outfile_finish(&o, err, errlen);
}
