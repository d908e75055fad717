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
    fprintf(f,
            "usage: probe-dump FILE [--iters A:B] [--growth A:B,C:D] [--top N] [--csv]\n"
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

int main(int argc, char **argv)
{
    const char *path = NULL;
    Range iters = {0, UINT64_MAX}, ga = {0, 0}, gb = {0, 0};
    int have_growth = 0, csv = 0;
    long top = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--csv")) {
            csv = 1;
        } else if (!strcmp(a, "--iters") || !strcmp(a, "--growth") || !strcmp(a, "--top")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "probe-dump: %s: missing value\n", a);
                return 2;
            }
            const char *v = argv[++i];
            int ok;
            if (!strcmp(a, "--iters")) {
                ok = parse_range(v, &iters) && !strchr(v, ',');
            } else if (!strcmp(a, "--growth")) {
                const char *comma = strchr(v, ',');
                ok = comma && parse_range(v, &ga) && parse_range(comma + 1, &gb);
                have_growth = 1;
            } else {
                char *end;
                top = strtol(v, &end, 10);
                ok = *v && !*end && top > 0 && top < 100000;
            }
            if (!ok) {
                fprintf(stderr, "probe-dump: %s: '%s' is not valid (%s)\n", a, v,
                        !strcmp(a, "--top") ? "a whole number from 1" : !strcmp(a, "--iters") ? "A:B with A <= B" : "A:B,C:D");
                return 2;
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "probe-dump: unknown option '%s'\nTry 'probe-dump --help'.\n", a);
            return 2;
        } else if (path) {
            fprintf(stderr, "probe-dump: one FILE only ('%s' and '%s')\n", path, a);
            return 2;
        } else {
            path = a;
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    char err[512];
    EvlogReader r;
    if (evlog_reader_open(&r, path, err, sizeof err) != 0) {
        fprintf(stderr, "probe-dump: %s\n", err);
        return 2;
    }
    static SiteAcc sites[EVLOG_MAX_SITES];
    uint64_t kind_count[EV_KIND_COUNT] = {0}, kind_bytes[EV_KIND_COUNT] = {0};
    uint64_t first_iter = UINT64_MAX, last_iter = 0, last_complete = 0;
    EvlogRecord rec;
    int rc;
    while ((rc = evlog_next(&r, &rec, err, sizeof err)) == 1) {
        if (rec.iter < first_iter && rec.iter > 0)
            first_iter = rec.iter;
        if (rec.iter > last_iter)
            last_iter = rec.iter;
        if (rec.kind == EV_ITER_END)
            last_complete = rec.iter;
        if (in_range(rec.iter, iters)) {
            kind_count[rec.kind]++;
            kind_bytes[rec.kind] += rec.bytes;
            sites[rec.site].count[rec.kind]++;
            sites[rec.site].bytes[rec.kind] += rec.bytes;
        }
    }
    if (rc < 0) {
        fprintf(stderr, "probe-dump: %s: %s\n", path, err);
        evlog_reader_close(&r);
        return 2;
    }
    if (r.truncated)
        fprintf(stderr, "probe-dump: note: %s ends inside a record: read up to the last complete record "
                        "(%" PRIu64 " records, last complete iteration %" PRIu64 ")\n",
                path, r.records, last_complete);

    EvRange ra = {ga.a, ga.b}, rb = {gb.a, gb.b};
    if (!have_growth)
        ra = rb = (EvRange){0, 0};
    static EvGrowth g[EVLOG_MAX_SITES];
    int n = evlog_growth(path, &ra, &rb, g, EVLOG_MAX_SITES, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "probe-dump: %s\n", err);
        evlog_reader_close(&r);
        return 2;
    }
    ga = (Range){ra.a, ra.b};
    gb = (Range){rb.a, rb.b};

    if (csv) {
        printf("section,name,kind,count,bytes,value\n");
        for (unsigned k = 1; k < EV_KIND_COUNT; k++)
            printf("kind,%s,%s,%" PRIu64 ",%" PRIu64 ",\n", eng_event_name(k), eng_event_name(k), kind_count[k], kind_bytes[k]);
        for (unsigned s = 0; s < EVLOG_MAX_SITES; s++)
            for (unsigned k = 1; k < EV_KIND_COUNT; k++)
                if (sites[s].count[k])
                    printf("site,%s,%s,%" PRIu64 ",%" PRIu64 ",\n", evlog_site(&r, s), eng_event_name(k),
                           sites[s].count[k], sites[s].bytes[k]);
        for (int i = 0; i < n && i < top; i++)
            printf("growth,%s,bytes_per_iter,,,%.3f\n", g[i].site, g[i].score);
    } else {
        printf("event log %s: format %u, variant '%s', %" PRIu64 " records, iterations %" PRIu64 "..%" PRIu64
               " (last complete %" PRIu64 ")\n",
               path, r.version, r.variant, r.records, first_iter == UINT64_MAX ? 0 : first_iter, last_iter, last_complete);
        if (iters.b != UINT64_MAX || iters.a)
            printf("tables below: iterations %" PRIu64 "..%" PRIu64 "\n", iters.a, iters.b);
        printf("\n%-22s %12s %16s\n", "kind", "count", "bytes");
        for (unsigned k = 1; k < EV_KIND_COUNT; k++)
            if (kind_count[k])
                printf("%-22s %12" PRIu64 " %16" PRIu64 "\n", eng_event_name(k), kind_count[k], kind_bytes[k]);
        printf("\n%-24s %-20s %12s %16s\n", "site", "kind", "count", "bytes");
        for (unsigned s = 0; s < EVLOG_MAX_SITES; s++)
            for (unsigned k = 1; k < EV_KIND_COUNT; k++)
                if (sites[s].count[k] && k != EV_ITER_BEGIN && k != EV_ITER_END)
                    printf("%-24s %-20s %12" PRIu64 " %16" PRIu64 "\n", evlog_site(&r, s), eng_event_name(k),
                           sites[s].count[k], sites[s].bytes[k]);
        printf("\ngrowing sites, iterations %" PRIu64 "..%" PRIu64 " vs %" PRIu64 "..%" PRIu64 " (bytes per iteration):\n",
               ga.a, ga.b, gb.a, gb.b);
        if (!n)
            printf("  none: no site keeps heap memory or uses more arena/tape per iteration\n");
        for (int i = 0; i < n && i < top; i++)
            printf("  %-24s %12.1f  (heap kept %.1f, arena +%.1f, tape +%.1f)\n", g[i].site, g[i].score,
                   g[i].heap_kept, g[i].arena_delta, g[i].tape_delta);
    }
    evlog_reader_close(&r);
    return 0;
}
