/* profiles.h - the memory of each run with jemalloc heap profiles in the formats other
 * tools read (docs/reports.md, "Profiles in standard formats"). In the folder the run's
 * growth files are in (attrib_source_dir), from the two profiles attrib_pick compares (the
 * first after warm-up, the last one taken while the program ran):
 *   heap-early.pb.gz  pprof: what was held after warm-up (inuse_objects, inuse_space)
 *   heap-late.pb.gz   pprof: what was held at the end; `pprof -diff_base heap-early.pb.gz
 *                     heap-late.pb.gz` is the growth
 *   growth.pb.gz      pprof: the growth itself, per call stack (growth_space: bytes;
 *                     growth_per_iteration: bytes, rounded to whole bytes), labels mode,
 *                     count and commit on every sample
 *   growth.speedscope.json  speedscope's own format: the stacks that grew, bytes
 *   pygrowth.pb.gz    pprof: a Python program's growing tracebacks (pygrowth.collapsed,
 *                     tracemalloc's), a location per line of Python
 * Each stack starts at the first frame that is not the allocator's (jemalloc's, malloc,
 * operator new, the probe's): `pprof -top` charges its bytes to the program's function. */
#ifndef HARNESS_PROFILES_H
#define HARNESS_PROFILES_H

#include <stddef.h>
#include <stdio.h>

#include "result.h"

/* Writes the files for run r (commit: the soak's, "" when none). 1 written, 0 when the
 * run has no two profiles to compare, -1 with a message in err. */
int profiles_write_run(const Run *r, const char *commit, char *err, size_t errlen);

/* Where run r's profiles are, relative to the soak's folder ("runs/NAME/attrib"), into
 * out: 1, or 0 when it has none. */
int profiles_rel(const Run *r, char *out, size_t cap);

/* Links to run r's profiles for the page, between before and after (nothing when it has
 * none). */
void profiles_links(FILE *f, const Run *r, const char *before, const char *after);

/* For every run of a mode with heap profiles; a run that fails is said on stderr and
 * the rest are written. Returns how many runs got their files. */
int profiles_write(const SoakResult *res);

#endif
