/* mapattrib.h - memory mapped outside malloc, charged to the code that mapped it.
 *
 * The probe library records each mmap the program makes itself (not glibc's malloc, which
 * maps through its own internal call) with its stack, and each munmap (preload/
 * flatmem_probe.c); the run stage places them at iterations (RUN/mappings.csv,
 * "iter,made,addr,len[,ret;ret;...]") and the probe copies /proc/self/maps at its exit
 * (RUN/maps.txt). Replaying them gives the bytes each stack held mapped after warm-up and
 * at the end; the stacks whose mappings grew are named by their first frame that is the
 * program's own (addr2line on each frame's library; a frame of the probe, of an allocator
 * or of a runtime library's insides is looked past), as jeprof's stacks are for the heap.
 * Mappings an allocator made for its heap (a frame in libjemalloc or a sanitizer's
 * runtime) are the heap's, judged there, and left out.
 *
 * Reads: RUN/mappings.csv, RUN/maps.txt; runs addr2line (binutils). */
#ifndef HARNESS_MAPATTRIB_H
#define HARNESS_MAPATTRIB_H

#include <stddef.h>

#include "evidence.h"

/* The stacks whose mappings grew from the end of warm-up (warmup_frac of iters) to the
 * end, most first, into out[0..max): bytes, bytes per iteration, share, the function and
 * its file:line. Returns how many; 0 with a reason in why when none (no records, nothing
 * grew by a page). */
int mapattrib(const char *dir, long iters, double warmup_frac, StackGrowth *out, int max, char *why,
              size_t whylen);

/* The same for descriptors (RUN/descriptors.csv, "iter,made,fd,1[,ret;...]": the probe's
 * record of each descriptor the program opened and closed): the stacks that left two or
 * more open after warm-up, most first (bytes: how many). A run of the built-in program has
 * no descriptors.csv: the probe's RUN/fdops.csv is replayed by time. */
int fdattrib(const char *dir, long iters, double warmup_frac, StackGrowth *out, int max, char *why,
             size_t whylen);

#endif
