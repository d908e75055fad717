/* pprof.h - profiles in pprof's format: the protocol buffer message `Profile` of
 * github.com/google/pprof proto/profile.proto, encoded here field by field and gzipped with
 * zlib, as `go tool pprof`, Pyroscope, Parca and speedscope read it.
 *
 * Build one with pprof_new, add its mappings, functions, locations and samples (ids are
 * given back; equal functions and strings are stored once), then pprof_write it. */
#ifndef HARNESS_PPROF_H
#define HARNESS_PPROF_H

#include <stddef.h>
#include <stdint.h>

typedef struct Pprof Pprof;

/* types[0..n_types): each sample value's type and unit ("inuse_space", "bytes"); the
 * first is the default one; period_type and period: what one sample stands for. */
Pprof *pprof_new(const char *const (*types)[2], int n_types, const char *const period_type[2],
                 int64_t period);
void pprof_free(Pprof *p);

/* A loaded file: its addresses [start, limit), the file offset at start, its path. */
uint64_t pprof_mapping(Pprof *p, uint64_t start, uint64_t limit, uint64_t offset, const char *file);

/* A function by its name and source file (stored once). */
uint64_t pprof_function(Pprof *p, const char *name, const char *file);

/* A location: an address in mapping (0: none) and its lines, the innermost inlined first:
 * function ids and line numbers, n of each. */
uint64_t pprof_location(Pprof *p, uint64_t mapping, uint64_t address, const uint64_t *functions,
                        const int64_t *lines, int n);

/* A label of every sample added after it: a text (str) or a number (str NULL). */
void pprof_label(Pprof *p, const char *key, const char *str, int64_t num);

/* A sample: its locations, the leaf first, and a value per sample type. */
void pprof_sample(Pprof *p, const uint64_t *locations, int n, const int64_t *values);

void pprof_comment(Pprof *p, const char *text);

/* Encodes the profile, gzipped, into path (a temporary file renamed over it). 0, or -1
 * with a message in err. */
int pprof_write(Pprof *p, const char *path, char *err, size_t errlen);

#endif
