/* heapgrowth.h - what grew between jemalloc heap profiles, by call stack and by function,
 * from the project's own reader (heapprof.h): the profiles read once, every address named
 * once per module by one addr2line, no jeprof.
 *
 * A stack is folded as jeprof --collapsed folds it: its frames from the root to the leaf,
 * the functions inlined at an address after the function that holds them, each frame
 * named by its short name (jeprof's: argument types, template arguments and a return type
 * left out: "void Cache<int>::put(int)" -> "Cache::put"), the allocator's own frames at the
 * leaf left out (heapprof_first_frame). Stacks that fold to the same names are one.
 *
 * Growth is a difference of two profiles by stack (late minus early, both unsampled), as
 * jeprof --base computes it; a stack is charged to its first frame from the leaf that is
 * neither an allocation function nor a runtime library's (frame_is_allocator: malloc,
 * strdup, operator new, std::, glibc's sources, ...), at that frame's file:line. */
#ifndef HARNESS_HEAPGROWTH_H
#define HARNESS_HEAPGROWTH_H

#include <stddef.h>
#include <stdio.h>

#include "evidence.h"
#include "heapprof.h"

typedef struct Folded {
    char *text; /* "main;run;reach_step": the short names, root first */
    const HeapLine **frames; /* the same frames, root first (owned by the HeapSyms) */
    int n;
    double bytes; /* late minus early; negative when it shrank */
} Folded;

typedef struct FoldedSet {
    Folded *f; /* sorted by text; a text once for each place its frames are at (the
                  lines differ, the names do not): the flame graph merges them */
    int n, cap;
} FoldedSet;

/* The short name of a function as jeprof gives it (above), into out. */
void heap_short_name(const char *full, char *out, size_t cap);

/* The stacks of late minus those of early (NULL: late alone), folded (above). Every
 * address of both must be in s. */
void heap_fold(const HeapSyms *s, const HeapProf *late, const HeapProf *early, FoldedSet *out);
void heap_folded_free(FoldedSet *set);

/* Writes the stacks that grew ("root;...;leaf BYTES", bytes rounded, 0 or fewer left out):
 * a flame graph's input, as jeprof --collapsed writes it. -1 when writing failed. */
int heap_folded_write(const FoldedSet *set, FILE *f);

/* Charges every stack that grew to its function (above): all[0..return) unsorted, each
 * with its bytes, the callers of its heaviest stack, its file:line (the location with the
 * most bytes) and the bytes through tracemalloc's hooks; *total: all that grew. */
int heap_charge(const FoldedSet *set, StackGrowth *all, int cap, double *total);

#endif
