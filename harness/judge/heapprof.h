/* heapprof.h - jemalloc's heap profiles read as they are (the heap_v2 text format its
 * prof.dump writes: a header with the sample period, a record per call stack of return
 * addresses with its sampled objects and bytes, then MAPPED_LIBRARIES, the process's
 * /proc/self/maps), their counts unsampled as jeprof does, and the addresses named by
 * binutils' addr2line (function, file, line, and the functions inlined there), module by
 * module. For the profiles in standard formats (render/profiles.h): the stacks come from
 * jemalloc, the names from addr2line; nothing here unwinds or guesses.
 *
 * Unsampling (jemalloc samples an allocation of size s with probability 1 - exp(-s/P), P
 * the period): a stack's objects and bytes are scaled by 1 / (1 - exp(-(bytes/objects)/P)). */
#ifndef HARNESS_HEAPPROF_H
#define HARNESS_HEAPPROF_H

#include <stddef.h>
#include <stdint.h>

typedef struct HeapStack {
    uint64_t *addr; /* return addresses, the innermost first */
    int n;
    double objects, bytes; /* unsampled */
} HeapStack;

typedef struct HeapMap {
    uint64_t start, end, offset;
    char *path; /* "" for anonymous memory */
} HeapMap;

typedef struct HeapProf {
    double period; /* the mean bytes between samples */
    HeapStack *stacks;
    int n, cap;
    HeapMap *maps;
    int n_maps, cap_maps;
} HeapProf;

/* Reads a heap_v2 profile. 0, or -1 with a message in err (the file and what was wrong). */
int heapprof_load(const char *path, HeapProf *p, char *err, size_t errlen);
void heapprof_free(HeapProf *p);

/* One level of an address's frames: the function, its file and line ("" and 0 unknown). */
typedef struct HeapLine {
    char *function, *file;
    int line;
} HeapLine;

typedef struct HeapSym {
    uint64_t addr;
    int map; /* index in the profile's maps, -1 when outside every one */
    HeapLine *lines; /* the innermost (inlined) first, the function that holds them last */
    int n_lines;
    int allocator; /* the allocator's own frame (jemalloc, the probe, malloc, operator new) */
} HeapSym;

typedef struct HeapSyms {
    HeapSym *s; /* sorted by addr */
    int n, cap;
    const HeapProf *maps_of; /* the profile whose maps place the addresses */
} HeapSyms;

/* What addr2line said of the addresses of files, kept by a caller that reads the profiles
 * of several runs of a program (a soak): each address of a file (by its inode, size and
 * time) is asked once. */
typedef struct HeapNames HeapNames;
HeapNames *heapnames_new(void);
void heapnames_free(HeapNames *h);
/* The addr2line processes started for h so far. */
long heapnames_addr2line_runs(const HeapNames *h);

/* Names every address of the profiles p[0..n) (one process: the maps of p[0]) with
 * addr2line, or from names (NULL: none kept), which keeps what it was told. 0, or -1 with a
 * message in err (addr2line missing or failing). */
int heapsyms_resolve(HeapSyms *s, const HeapProf *const *p, int n, HeapNames *names, char *err,
                     size_t errlen);
const HeapSym *heapsyms_find(const HeapSyms *s, uint64_t addr);
void heapsyms_free(HeapSyms *s);

/* The first frame of a stack that is not the allocator's own: where the program allocated
 * (jemalloc records its own frames and malloc's at the leaf). */
int heapprof_first_frame(const HeapSyms *s, const HeapStack *st);

#endif
