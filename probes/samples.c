#include "samples.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"

void samples_free(Samples *s)
{
    for (int i = 0; i < s->ncols; i++)
        free(s->names[i]);
    free(s->values);
    memset(s, 0, sizeof *s);
}

int samples_col(const Samples *s, const char *name)
{
    for (int i = 0; i < s->ncols; i++)
        if (!strcmp(s->names[i], name))
            return i;
    return -1;
}

/* One field [p, end) as a number; empty -> NAN. 0 if not a number. */
static int field_value(const char *p, const char *end, double *out)
{
    if (p == end) {
        *out = NAN;
        return 1;
    }
    char buf[64];
    size_t n = (size_t)(end - p);
    if (n >= sizeof buf)
        return 0;
    memcpy(buf, p, n);
    buf[n] = 0;
    char *e;
    errno = 0;
    double v = strtod(buf, &e);
    if (*e || errno || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

int samples_parse(Samples *s, const char *text, size_t len, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    const char *end = text + len, *nl = memchr(text, '\n', len);
    if (!nl) {
        snprintf(err, errlen, "no header line");
        return -1;
    }
    for (const char *p = text; p <= nl;) {
        const char *q = p;
        while (q < nl && *q != ',')
            q++;
        if (s->ncols == SAMPLES_MAX_COLS || q == p) {
            snprintf(err, errlen, "bad header: %s", q == p ? "empty column name" : "too many columns");
            samples_free(s);
            return -1;
        }
        s->names[s->ncols] = strndup(p, (size_t)(q - p));
        if (!s->names[s->ncols++]) {
            snprintf(err, errlen, "out of memory");
            samples_free(s);
            return -1;
        }
        p = q + 1;
    }
    if (samples_col(s, "iter") != 0) {
        snprintf(err, errlen, "bad header: the first column is not 'iter'");
        samples_free(s);
        return -1;
    }
    size_t cap = 0;
    for (const char *line = nl + 1; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        if (!eol) { /* a run killed mid-row */
            s->truncated = 1;
            break;
        }
        if (s->nrows == cap) {
            cap = cap ? cap * 2 : 256;
            double *v = realloc(s->values, cap * (size_t)s->ncols * sizeof(double));
            if (!v) {
                snprintf(err, errlen, "out of memory");
                samples_free(s);
                return -1;
            }
            s->values = v;
        }
        double *row = s->values + s->nrows * (size_t)s->ncols;
        int col = 0, ok = 1;
        for (const char *p = line; ok && p <= eol; col++) {
            const char *q = p;
            while (q < eol && *q != ',')
                q++;
            ok = col < s->ncols && field_value(p, q, &row[col]);
            p = q + 1;
        }
        /* the iteration must be a whole number a double holds exactly */
        if (ok && col == s->ncols && !isnan(row[0]) && row[0] >= 0 && row[0] <= 9007199254740992.0 &&
            row[0] == floor(row[0]))
            s->nrows++;
        else
            s->bad_rows++;
        line = eol + 1;
    }
    return 0;
}

int samples_load(Samples *s, const char *path, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    size_t len;
    char *text = fileio_slurp(path, &len, err, errlen), why[256];
    int rc = text ? samples_parse(s, text, len, why, sizeof why) : -1;
    if (text && rc)
        snprintf(err, errlen, "%s: %s", path, why);
    free(text);
    return rc;
}
