/* sampler.h - per-iteration samples: a hook sink that keeps running totals from the
 * engine's events and writes one CSV row at the end of every K-th iteration (and of the
 * first and the last). Column names are stable dotted names (docs/probes.md); a value
 * that is not meaningful in this build is left empty, never written as 0. Each row is
 * flushed as it is written, so a run that dies leaves every finished row. */
#ifndef PROBES_SAMPLER_H
#define PROBES_SAMPLER_H

#include <stdint.h>

#include "hook.h"

typedef struct Sampler Sampler;

/* every: K >= 1; last: the final iteration (always sampled). NULL with errno on failure. */
Sampler *sampler_open(const char *path, uint64_t every, uint64_t last);

void sampler_event(void *sampler, const EngEvent *ev);

/* 0, or -1 with errno of the first write error. */
int sampler_close(Sampler *s);

/* The header line, without the newline. */
const char *sampler_columns(void);

#endif
