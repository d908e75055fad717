/* probes.h - the set of sinks a run installs on the engine's hook: an event log, a
 * sampler, or both (a fan-out). Owns the sinks; probes_close flushes and frees them. */
#ifndef PROBES_PROBES_H
#define PROBES_PROBES_H

#include <stddef.h>
#include <stdint.h>

#include "evlog.h"
#include "sampler.h"

typedef struct Probes {
    EvlogWriter *log;
    Sampler *samples;
} Probes;

/* Opens the files that are named (either may be NULL) and installs the hook. 0, or -1
 * with a message naming the file in err (nothing is left open or installed). */
int probes_open(Probes *p, const char *events_path, const char *samples_path, uint64_t sample_every,
                uint64_t last_iter, const char *variant, char *err, size_t errlen);

/* Removes the hook, flushes and closes. 0, or -1 with a message in err (a write failed,
 * e.g. the disk is full). */
int probes_close(Probes *p, char *err, size_t errlen);

#endif
