#include "kinds.h"

#include <stddef.h>

static const struct {
    const char *name;
    Family family;
    const char *words;
    const char *unit; /* of its rate: NULL for bytes */
} k_kinds[KIND_COUNT] = {
    [KIND_INVALID_ACCESS] =
        {"invalid-access", FAM_ACCESS,
         "memory read or written where it must not be (after free or reset, past the end)"},
    [KIND_UNDEFINED_BEHAVIOR] = {"undefined-behavior", FAM_ACCESS, "undefined behaviour at run time"},
    [KIND_LEAK] = {"leak", FAM_HEAP, "memory no longer pointed to, never freed"},
    [KIND_TAPE_OR_ARENA_GROWTH] = {"tape-or-arena-growth", FAM_HEAP, "the engine's tape or arena grows"},
    [KIND_REACHABLE_GROWTH] = {"reachable-growth", FAM_HEAP, "heap memory still pointed to, piling up"},
    [KIND_HEAP_GROWTH] =
        {"heap-growth", FAM_HEAP,
         "heap memory piles up; no leak checker ran to the program's end to tell whether it is "
         "still pointed to (add lsan or valgrind to --modes)"},
    [KIND_ALLOCATOR_RETENTION] = {"allocator-retention", FAM_PAGES,
                                  "the allocator keeps more pages while what the program holds is flat"},
    [KIND_NON_HEAP_GROWTH] = {"non-heap-growth", FAM_PAGES,
                              "resident memory grows outside the heap (mmap, stacks)"},
    [KIND_UNEXPLAINED_GROWTH] = {"unexplained-growth", FAM_PAGES,
                                 "resident memory grows; no heap figure was measured to tell where"},
    [KIND_DESCRIPTOR_LEAK] = {"descriptor-leak", FAM_RESOURCE,
                              "open file descriptors pile up (files, sockets, pipes never closed)",
                              "descriptors"},
    [KIND_THREAD_LEAK] = {"thread-leak", FAM_RESOURCE, "threads pile up (started, never joined or ended)",
                          "threads"},
    [KIND_PROCESS_LEAK] = {"process-leak", FAM_RESOURCE,
                           "processes pile up (children started and never ended or waited for)", "processes"},
    [KIND_ONE_TIME_LEAK] = {"one-time-leak", FAM_HEAP,
                            "memory allocated once and never freed (the same at every count)"},
    [KIND_PEAK_GROWTH] = {"peak-growth", FAM_SOAK,
                          "peak memory grows with the iteration count across the sweep"},
    [KIND_BASELINE_REGRESSION] = {"baseline-regression", FAM_SOAK,
                                  "peak memory or time per iteration rose against the baseline"},
    [KIND_OVER_BUDGET] = {"over-budget", FAM_PROCESS, "the run went over its memory budget and was stopped"},
    [KIND_TIMEOUT] = {"timeout", FAM_PROCESS, "the run did not finish in time"},
    [KIND_CRASH] = {"crash", FAM_PROCESS, "the program crashed or exited with an error"},
    [KIND_LOAD_FAILED] = {"load-failed", FAM_PROCESS,
                          "the load command of a service failed (its output says why); "
                          "the server is not judged"},
    [KIND_NONE] = {"", FAM_NONE, ""},
};

const char *kind_name(Kind k)
{
    return k < KIND_COUNT ? k_kinds[k].name : "";
}

const char *kind_words(Kind k)
{
    return k < KIND_COUNT ? k_kinds[k].words : "";
}

Family kind_family(Kind k)
{
    return k < KIND_COUNT ? k_kinds[k].family : FAM_NONE;
}

const char *kind_unit(Kind k)
{
    return k < KIND_COUNT ? k_kinds[k].unit : NULL;
}

int kind_is_growth(Kind k)
{
    Family f = kind_family(k);
    return f == FAM_HEAP || f == FAM_PAGES || f == FAM_RESOURCE || k == KIND_PEAK_GROWTH;
}
