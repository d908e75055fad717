/* probe-dump - summarises an event log: counts and bytes per event kind and per site,
 * for an iteration range, and the sites whose memory grows between two ranges.
 * See usage() and docs/probes.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evgrowth.h"
#include "evlog.h"

typedef struct Range {
    uint64_t a, b; /* inclusive */
} Range;

typedef struct SiteAcc {
    uint64_t count[EV_KIND_COUNT];
    uint64_t bytes[EV_KIND_COUNT];
} SiteAcc;

static void usage(FILE *f)
{
    fprintf(f, "usage: probe-dump FILE [--iters A:B] [--growth A:B,C:D] [--top N] [--csv]\n"
               "\n"
               "Reads an event log written by train_full --events FILE and prints:\n"
               "  - counts and bytes per event kind,\n"
               "  - counts and bytes per site (op or component) and kind,\n"
               "  - the sites that grow: net heap bytes kept per iteration in the second range, plus\n"
               "    the change in arena and tape bytes per iteration from the first range to the second.\n"
               "\n"
               "  --iters A:B      only events of iterations A..B (inclusive) in the kind and site tables\n"
               "  --growth A:B,C:D compare iterations A..B with C..D (default: first and last quarter\n"
               "                   of the iterations in the log, from iteration 2 on)\n"
               "  --top N          rows in the growth table (10)\n"
               "  --csv            machine-readable rows: section,name,kind,count,bytes[,value]\n"
               "\n"
               "A log that ends inside a record is read up to its last complete record, with a note.\n"
               "Exit status: 0 success, 2 bad usage or a file that is not a readable event log.\n");
}

static int parse_range(const char *s, Range *r)
{
    char *end;
    errno = 0;
    unsigned long long a = strtoull(s, &end, 10);
    if (end == s || *end != ':' || errno)
        return 0;
    const char *t = end + 1;
    unsigned long long b = strtoull(t, &end, 10);
    if (end == t || (*end && *end != ',') || errno || b < a || s[0] == '-' || t[0] == '-')
        return 0;
    r->a = a;
    r->b = b;
    return 1;
}

static int in_range(uint64_t it, Range r)
{
    return it >= r.a && it <= r.b;
}

typedef struct Args {
    const char *path;
    Range iters, ga, gb;
    int have_growth, csv, help;
    long top;
} Args;

/* One option with its value. 0, or 2 after a message. */
static int parse_valued(Args *o, const char *a, const char *v)
{
    int ok;
    if (!strcmp(a, "--iters")) {
        ok = parse_range(v, &o->iters) && !strchr(v, ',');
    } else if (!strcmp(a, "--growth")) {
        const char *comma = strchr(v, ',');
        ok = comma && parse_range(v, &o->ga) && parse_range(comma + 1, &o->gb);
        o->have_growth = 1;
    } else {
        char *end;
        o->top = strtol(v, &end, 10);
        ok = *v && !*end && o->top > 0 && o->top < 100000;
    }
    if (ok)
        return 0;
    fprintf(stderr, "probe-dump: %s: '%s' is not valid (%s)\n", a, v,
            !strcmp(a, "--top")     ? "a whole number from 1"
            : !strcmp(a, "--iters") ? "A:B with A <= B"
                                    : "A:B,C:D");
    return 2;
}

static int parse_args(int argc, char **argv, Args *o)
{
    *o = (Args){.iters = {0, UINT64_MAX}, .top = 10};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc = 0;
        if (!strcmp(a, "-h") || !strcmp(a, "--help"))
            o->help = 1;
        else if (!strcmp(a, "--csv"))
            o->csv = 1;
        else if (!strcmp(a, "--iters") || !strcmp(a, "--growth") || !strcmp(a, "--top"))
            rc = i + 1 < argc ? parse_valued(o, a, argv[++i])
                              : (fprintf(stderr, "probe-dump: %s: missing value\n", a), 2);
        else if (a[0] == '-')
            rc = (fprintf(stderr, "probe-dump: unknown option '%s'\nTry 'probe-dump --help'.\n", a), 2);
        else if (o->path)
            rc = (fprintf(stderr, "probe-dump: one FILE only ('%s' and '%s')\n", o->path, a), 2);
        else
            o->path = a;
        if (rc)
            return rc;
    }
    return 0;
}

/* Counts and bytes per kind and per site over the log, and its iteration span. */
typedef struct Tally {
    SiteAcc sites[EVLOG_MAX_SITES];
    uint64_t kind_count[EV_KIND_COUNT], kind_bytes[EV_KIND_COUNT];
    uint64_t first_iter, last_iter, last_complete;
} Tally;

static int tally(EvlogReader *r, const Args *o, Tally *t, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->first_iter = UINT64_MAX;
    EvlogRecord rec;
    int rc;
    while ((rc = evlog_next(r, &rec, err, errlen)) == 1) {
        if (rec.iter < t->first_iter && rec.iter > 0)
            t->first_iter = rec.iter;
        t->last_iter = rec.iter > t->last_iter ? rec.iter : t->last_iter;
        if (rec.kind == EV_ITER_END)
            t->last_complete = rec.iter;
        if (in_range(rec.iter, o->iters)) {
            t->kind_count[rec.kind]++;
            t->kind_bytes[rec.kind] += rec.bytes;
            t->sites[rec.site].count[rec.kind]++;
            t->sites[rec.site].bytes[rec.kind] += rec.bytes;
        }
    }
    return rc < 0 ? -1 : 0;
}

static void print_csv(const EvlogReader *r, const Tally *t, const EvGrowth *g, int n, long top)
{
    printf("section,name,kind,count,bytes,value\n");
    for (unsigned k = 1; k < EV_KIND_COUNT; k++)
        printf("kind,%s,%s,%" PRIu64 ",%" PRIu64 ",\n", eng_event_name(k), eng_event_name(k),
               t->kind_count[k], t->kind_bytes[k]);
    for (unsigned s = 0; s < EVLOG_MAX_SITES; s++)
        for (unsigned k = 1; k < EV_KIND_COUNT; k++)
            if (t->sites[s].count[k])
                printf("site,%s,%s,%" PRIu64 ",%" PRIu64 ",\n", evlog_site(r, s), eng_event_name(k),
                       t->sites[s].count[k], t->sites[s].bytes[k]);
    for (int i = 0; i < n && i < top; i++)
        printf("growth,%s,bytes_per_iter,,,%.3f\n", g[i].site, g[i].score);
}

static void print_tables(const EvlogReader *r, const Args *o, const Tally *t, const EvGrowth *g, int n,
                         const EvRange *ra, const EvRange *rb)
{
    printf("event log %s: format %u, variant '%s', %" PRIu64 " records, iterations %" PRIu64 "..%" PRIu64
           " (last complete %" PRIu64 ")\n",
           o->path, r->version, r->variant, r->records, t->first_iter == UINT64_MAX ? 0 : t->first_iter,
           t->last_iter, t->last_complete);
    if (o->iters.b != UINT64_MAX || o->iters.a)
        printf("tables below: iterations %" PRIu64 "..%" PRIu64 "\n", o->iters.a, o->iters.b);
    printf("\n%-22s %12s %16s\n", "kind", "count", "bytes");
    for (unsigned k = 1; k < EV_KIND_COUNT; k++)
        if (t->kind_count[k])
            printf("%-22s %12" PRIu64 " %16" PRIu64 "\n", eng_event_name(k), t->kind_count[k],
                   t->kind_bytes[k]);
    printf("\n%-24s %-20s %12s %16s\n", "site", "kind", "count", "bytes");
    for (unsigned s = 0; s < EVLOG_MAX_SITES; s++)
        for (unsigned k = 1; k < EV_KIND_COUNT; k++)
            if (t->sites[s].count[k] && k != EV_ITER_BEGIN && k != EV_ITER_END)
                printf("%-24s %-20s %12" PRIu64 " %16" PRIu64 "\n", evlog_site(r, s), eng_event_name(k),
                       t->sites[s].count[k], t->sites[s].bytes[k]);
    printf("\ngrowing sites, iterations %" PRIu64 "..%" PRIu64 " vs %" PRIu64 "..%" PRIu64
           " (bytes per iteration):\n",
           ra->a, ra->b, rb->a, rb->b);
    if (!n)
        printf("  none: no site keeps heap memory or uses more arena/tape per iteration\n");
    for (int i = 0; i < n && i < o->top; i++)
        printf("  %-24s %12.1f  (heap kept %.1f, arena +%.1f, tape +%.1f)\n", g[i].site, g[i].score,
               g[i].heap_kept, g[i].arena_delta, g[i].tape_delta);
}

int main(int argc, char **argv)
{
    Args o;
    int rc = parse_args(argc, argv, &o);
    if (rc || o.help || !o.path) {
        usage(o.help ? stdout : stderr);
        return o.help ? 0 : 2;
    }
    char err[512];
    EvlogReader r;
    static Tally t;
    static EvGrowth g[EVLOG_MAX_SITES];
    EvRange ra = {o.ga.a, o.ga.b}, rb = {o.gb.a, o.gb.b};
    if (!o.have_growth)
        ra = rb = (EvRange){0, 0};
    if (evlog_reader_open(&r, o.path, err, sizeof err) != 0) {
        fprintf(stderr, "probe-dump: %s\n", err);
        return 2;
    }
    int n = tally(&r, &o, &t, err, sizeof err) == 0
                ? evlog_growth(o.path, &ra, &rb, g, EVLOG_MAX_SITES, err, sizeof err)
                : -1;
    if (n >= 0 && r.truncated)
        fprintf(stderr,
                "probe-dump: note: %s ends inside a record: read up to the last complete record "
                "(%" PRIu64 " records, last complete iteration %" PRIu64 ")\n",
                o.path, r.records, t.last_complete);
    if (n < 0)
        fprintf(stderr, "probe-dump: %s: %s\n", o.path, err);
    else if (o.csv)
        print_csv(&r, &t, g, n, o.top);
    else
        print_tables(&r, &o, &t, g, n, &ra, &rb);
    evlog_reader_close(&r);
    return n < 0 ? 2 : 0;
}
