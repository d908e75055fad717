#include "evlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "le.h"

#define BUF_RECORDS 1024

struct EvlogWriter {
    int fd;
    int err; /* first write errno */
    uint64_t start_ns;
    size_t n; /* records in buf */
    unsigned char buf[BUF_RECORDS * EVLOG_RECORD_BYTES];
    const char *site_ptr[EVLOG_MAX_SITES * 2]; /* open-addressed: pointer -> number */
    uint16_t site_id[EVLOG_MAX_SITES * 2];
    unsigned n_sites;
};

static int write_all(int fd, const void *buf, size_t len)
{
    const unsigned char *p = buf;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? errno : EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void flush(EvlogWriter *w)
{
    if (w->n && !w->err)
        w->err = write_all(w->fd, w->buf, w->n * EVLOG_RECORD_BYTES);
    w->n = 0;
}

static unsigned char *slot(EvlogWriter *w)
{
    if (w->n == BUF_RECORDS)
        flush(w);
    unsigned char *p = w->buf + w->n++ * EVLOG_RECORD_BYTES;
    memset(p, 0, EVLOG_RECORD_BYTES);
    return p;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

EvlogWriter *evlog_open(const char *path, const char *variant)
{
    int fd;
    EvlogWriter *w = fileio_new_writer(sizeof *w, path, &fd);
    if (!w)
        return NULL;
    w->fd = fd;
    w->start_ns = now_ns();
    unsigned char h[EVLOG_HEADER_BYTES] = {0};
    memcpy(h, EVLOG_MAGIC, 8);
    le_put32(h + 8, EVLOG_VERSION);
    le_put32(h + 12, EVLOG_HEADER_BYTES);
    le_put32(h + 16, EVLOG_RECORD_BYTES);
    le_put32(h + 20, 1);
    le_put64(h + 24, w->start_ns);
    strncpy((char *)h + 32, variant ? variant : "", 15);
    w->err = write_all(w->fd, h, sizeof h);
    return w;
}

/* The number of a site, writing its name record the first time it is seen. */
static uint16_t site_number(EvlogWriter *w, const char *site)
{
    if (!site)
        site = "?";
    size_t cap = EVLOG_MAX_SITES * 2;
    size_t h = ((uintptr_t)site >> 3) * 0x9E3779B97F4A7C15ull % cap;
    while (w->site_ptr[h]) {
        if (w->site_ptr[h] == site)
            return w->site_id[h];
        h = (h + 1) % cap;
    }
    if (w->n_sites >= EVLOG_MAX_SITES - 1)
        return EVLOG_MAX_SITES - 1; /* overflow: all further sites share the last number */
    uint16_t id = (uint16_t)w->n_sites++;
    w->site_ptr[h] = site;
    w->site_id[h] = id;
    unsigned char *p = slot(w);
    strncpy((char *)p, site, 31);
    le_put16(p + 32, EVLOG_SITE_NAME);
    le_put16(p + 34, id);
    return id;
}

void evlog_event(void *ud, const EngEvent *ev)
{
    EvlogWriter *w = ud;
    uint16_t site = site_number(w, ev->site);
    unsigned char *p = slot(w);
    le_put64(p, ev->t_ns - w->start_ns);
    le_put64(p + 8, ev->iter);
    le_put64(p + 16, ev->bytes);
    le_put64(p + 24, ev->aux);
    le_put16(p + 32, ev->kind);
    le_put16(p + 34, site);
    p[36] = ev->role;
    p[37] = ev->persistent;
    if (ev->kind == EV_ITER_END)
        flush(w);
}

int evlog_close(EvlogWriter *w)
{
    if (!w)
        return 0;
    flush(w);
    return fileio_close_writer(w, w->fd, w->err);
}

/* ---- reader --------------------------------------------------------------------------- */

int evlog_reader_open(EvlogReader *r, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    FILE *f = fileio_open_read(path, err, errlen);
    if (!f)
        return -1;
    return evlog_reader_from(r, f, path, err, errlen);
}

int evlog_reader_from(EvlogReader *r, FILE *f, const char *path, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->f = f;
    unsigned char h[EVLOG_HEADER_BYTES];
    size_t n = fread(h, 1, sizeof h, r->f);
    const char *why = NULL;
    if (n < 8 || memcmp(h, EVLOG_MAGIC, 8) != 0)
        why = "not an event log (bad magic)";
    else if (n < sizeof h)
        why = "truncated header";
    else if (le_get32(h + 8) > EVLOG_VERSION)
        why = "written by a newer format version";
    else if (le_get32(h + 8) == 0 || le_get32(h + 12) != EVLOG_HEADER_BYTES ||
             le_get32(h + 16) != EVLOG_RECORD_BYTES)
        why = "corrupt header (unexpected version, header or record size)";
    if (why) {
        if (le_get32(h + 8) > EVLOG_VERSION && n == sizeof h)
            snprintf(err, errlen, "%s: %s (%u; this reader knows %u)", path, why, le_get32(h + 8),
                     EVLOG_VERSION);
        else
            snprintf(err, errlen, "%s: %s", path, why);
        fclose(r->f);
        r->f = NULL;
        return -1;
    }
    r->version = le_get32(h + 8);
    r->start_ns = le_get64(h + 24);
    memcpy(r->variant, h + 32, 16);
    r->variant[16] = 0;
    return 0;
}

int evlog_next(EvlogReader *r, EvlogRecord *rec, char *err, size_t errlen)
{
    unsigned char p[EVLOG_RECORD_BYTES];
    for (;;) {
        size_t n = fread(p, 1, sizeof p, r->f);
        if (n == 0)
            return 0;
        if (n < sizeof p) {
            r->truncated = 1;
            return 0;
        }
        uint16_t kind = le_get16(p + 32), site = le_get16(p + 34);
        if (site >= EVLOG_MAX_SITES) {
            snprintf(err, errlen, "corrupt record %llu: site %u out of range", (unsigned long long)r->records,
                     site);
            return -1;
        }
        if (kind == EVLOG_SITE_NAME) {
            p[31] = 0;
            free(r->sites[site]);
            r->sites[site] = strdup((char *)p);
            continue;
        }
        if (kind == 0 || kind >= EV_KIND_COUNT) {
            snprintf(err, errlen, "corrupt record %llu: unknown event kind %u",
                     (unsigned long long)r->records, kind);
            return -1;
        }
        rec->t_ns = le_get64(p);
        rec->iter = le_get64(p + 8);
        rec->bytes = le_get64(p + 16);
        rec->aux = le_get64(p + 24);
        rec->kind = kind;
        rec->site = site;
        rec->role = p[36];
        rec->persistent = p[37];
        rec->reserved = 0;
        r->records++;
        return 1;
    }
}

const char *evlog_site(const EvlogReader *r, unsigned site)
{
    return site < EVLOG_MAX_SITES && r->sites[site] ? r->sites[site] : "?";
}

void evlog_reader_close(EvlogReader *r)
{
    if (r->f)
        fclose(r->f);
    for (int i = 0; i < EVLOG_MAX_SITES; i++)
        free(r->sites[i]);
    memset(r, 0, sizeof *r);
}
