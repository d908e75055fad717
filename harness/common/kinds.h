/* kinds.h - what kind of problem a run shows, with its words and its family: one table
 * (harness/common/kinds.c). The order is how telling a kind is (a problem takes the most telling
 * kind any of its evidence has: a leak checker's "leak" over the allocator's
 * "reachable-growth"); KIND_NONE, a run that shows none, comes last.
 *
 * Reads: nothing. Owns: static data. */
#ifndef HARNESS_KINDS_H
#define HARNESS_KINDS_H

typedef enum Kind {
    KIND_INVALID_ACCESS, /* a tool's report of an access where none may be */
    KIND_UNDEFINED_BEHAVIOR, /* UBSan */
    KIND_LEAK, /* a leak checker reports unreachable memory that grows */
    KIND_TAPE_OR_ARENA_GROWTH,
    KIND_REACHABLE_GROWTH, /* the heap grows with no leak report: still pointed to */
    KIND_HEAP_GROWTH, /* the heap grows, and no leak checker ran to the end to tell which */
    KIND_ALLOCATOR_RETENTION, /* jemalloc's active pages grow while what is allocated is flat */
    KIND_NON_HEAP_GROWTH, /* RSS grows while the heap, measured, is flat */
    KIND_UNEXPLAINED_GROWTH, /* RSS grows and no heap figure was measured */
    KIND_DESCRIPTOR_LEAK, /* open file descriptors grow */
    KIND_THREAD_LEAK, /* threads grow */
    KIND_PROCESS_LEAK, /* the processes of its tree grow */
    KIND_ONE_TIME_LEAK, /* a leak that does not grow with the count */
    KIND_PEAK_GROWTH, /* the sweep's peak grows with the count */
    KIND_BASELINE_REGRESSION,
    KIND_OVER_BUDGET,
    KIND_TIMEOUT,
    KIND_CRASH,
    KIND_LOAD_FAILED, /* a service's load command failed */
    KIND_NONE,
    KIND_COUNT
} Kind;

/* What a family of kinds is about: a bad access, the heap, pages, resources counted one by
 * one (descriptors, threads), the process, the soak. */
typedef enum Family { FAM_ACCESS, FAM_HEAP, FAM_PAGES, FAM_RESOURCE, FAM_PROCESS, FAM_SOAK, FAM_NONE } Family;

/* "reachable-growth": the word in summary.json, the console and the page ("" for KIND_NONE). */
const char *kind_name(Kind k);

/* What it means, in a few words: "memory no longer pointed to, never freed". */
const char *kind_words(Kind k);

Family kind_family(Kind k);

/* What its rate counts: "descriptors", "threads"; NULL for bytes. */
const char *kind_unit(Kind k);

/* 1 when the kind is memory (or a resource) that grows (heap, pages, peak), not an access or a crash. */
int kind_is_growth(Kind k);

#endif
