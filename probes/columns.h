/* columns.h - the names of the columns of samples.csv, shared by the sampler that writes
 * them and by every reader (the analysis, the report). Stable: they are a file format
 * (docs/probes.md). The gnuplot template reports/memory.gp names some of them too. */
#ifndef PROBES_COLUMNS_H
#define PROBES_COLUMNS_H

#define COL_ITER "iter"
#define COL_TIME "time_s"
#define COL_ARENA_USED "arena.used_bytes"
#define COL_ARENA_RESERVED "arena.reserved_bytes"
#define COL_ARENA_HIGH_WATER "arena.high_water_bytes"
#define COL_TAPE_ENTRIES "tape.entries"
#define COL_TAPE_CAPACITY "tape.capacity"
#define COL_TRANSIENT_LIVE "tensors.transient_live"
#define COL_TRANSIENT_BYTES "tensors.transient_bytes"
#define COL_PARAMETER_BYTES "persistent.parameter_bytes"
#define COL_GRADIENT_BYTES "persistent.gradient_bytes"
#define COL_OPTIMIZER_BYTES "persistent.optimizer_bytes"
#define COL_HEAP_BYTES "mem.heap_bytes"
#define COL_HEAP_ALLOCS "mem.heap_allocs"
#define COL_RSS "proc.rss_bytes"
#define COL_MALLOC_IN_USE "malloc.in_use_bytes"
#define COL_JE_ALLOCATED "jemalloc.allocated"
#define COL_JE_ACTIVE "jemalloc.active"
#define COL_JE_RESIDENT "jemalloc.resident"
#define COL_JE_MAPPED "jemalloc.mapped"
#define COL_JE_RETAINED "jemalloc.retained"
#define COL_PSS "proc.pss_bytes" /* --cmd runs: proportional set size (/proc/PID/smaps_rollup) */
#define COL_TAPE_BYTES "tape.bytes" /* the tape's entry array, in bytes (capacity x entry size) */
/* resources beyond bytes (counts, judged like memory: docs/soak.md) */
#define COL_FDS "proc.fds" /* open file descriptors */
#define COL_THREADS "proc.threads"
#define COL_MAPS "proc.maps" /* memory mappings (lines of /proc/PID/maps) */
/* --cmd runs whose program starts others (harness/run/procs.h): sums over the tree */
#define COL_TREE_PROCESSES "tree.processes"
#define COL_TREE_USS "tree.uss_bytes" /* private memory (no page counted twice) */
#define COL_TREE_PSS "tree.pss_bytes"
#define COL_USS "proc.uss_bytes" /* one process's private memory (RUN/procs/PID.csv) */

/* The header line, in the order the sampler writes the columns. */
#define COLUMNS_HEADER                                                                                    \
    COL_ITER "," COL_TIME "," COL_ARENA_USED "," COL_ARENA_RESERVED "," COL_ARENA_HIGH_WATER              \
             "," COL_TAPE_ENTRIES "," COL_TAPE_CAPACITY "," COL_TRANSIENT_LIVE "," COL_TRANSIENT_BYTES    \
             "," COL_PARAMETER_BYTES "," COL_GRADIENT_BYTES "," COL_OPTIMIZER_BYTES "," COL_HEAP_BYTES    \
             "," COL_HEAP_ALLOCS "," COL_RSS "," COL_MALLOC_IN_USE "," COL_JE_ALLOCATED "," COL_JE_ACTIVE \
             "," COL_JE_RESIDENT "," COL_JE_MAPPED "," COL_JE_RETAINED "," COL_TAPE_BYTES "," COL_FDS     \
             "," COL_THREADS "," COL_MAPS

/* Prefixes of the series the engine counts exactly (the same value every iteration). */
#define COL_EXACT_PREFIXES "arena.", "tape.", "mem.", "persistent.", "tensors."

#endif
