/* samples.h - reader for the samples CSV written by the sampler (docs/probes.md).
 * Owns: the column names and values it loads (heap), freed by samples_free. */
#ifndef PROBES_SAMPLES_H
#define PROBES_SAMPLES_H

#include <stddef.h>

#define SAMPLES_MAX_COLS 64

typedef struct Samples {
    int ncols;
    char *names[SAMPLES_MAX_COLS];
    size_t nrows;
    double *values; /* [nrows * ncols], row-major; NAN where the cell was empty */
    int truncated; /* the last line was incomplete (no newline) and was dropped */
    size_t bad_rows; /* rows dropped: a field that is not a number, the wrong number of
                        fields, or an iteration that is not a whole number in 0..2^53 */
} Samples;

/* Loads the file. 0, or -1 with a message in err (unreadable, no header, no iter column). */
int samples_load(Samples *s, const char *path, char *err, size_t errlen);

/* Parses CSV text (same rules as samples_load). */
int samples_parse(Samples *s, const char *text, size_t len, char *err, size_t errlen);

/* Column index by name, or -1. */
int samples_col(const Samples *s, const char *name);

static inline double samples_at(const Samples *s, size_t row, int col)
{
    return s->values[row * (size_t)s->ncols + (size_t)col];
}

void samples_free(Samples *s);

#endif
