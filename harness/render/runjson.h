/* runjson.h - a run as a JSON object: the entry of summary.json's "runs" and the whole of
 * RUN/run.json (format: docs/soak.md). Renders only. */
#ifndef HARNESS_RUNJSON_H
#define HARNESS_RUNJSON_H

#include <jansson.h>

#include "runs.h"

/* A new reference. */
json_t *run_to_json(const Run *r);

/* Writes RUN/run.json (a temporary file, then renamed). 0, or -1. */
int runjson_write(const Run *r);

/* A number, or null when it is not finite (NAN: not measured). A new reference. */
json_t *json_num(double v);

#endif
