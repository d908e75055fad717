/* evlog.h - the binary event log: writer (a hook sink) and reader.
 *
 * Format (little-endian; docs/probes.md):
 *   header, 64 bytes: magic "FMEVLOG\0", u32 version (1), u32 header_bytes (64),
 *     u32 record_bytes (40), u32 clock (1 = CLOCK_MONOTONIC ns), u64 start_ns,
 *     char variant[16], 16 reserved bytes
 *   records, 40 bytes each: u64 t_ns (since start), u64 iter, u64 bytes, u64 aux,
 *     u16 kind, u16 site, u8 role, u8 persistent, u16 reserved
 *   kind 0xFFFF is a site name: the name (NUL-padded, at most 31 characters) fills the
 *   first 32 bytes, `site` is its number; it comes before the first record that uses it.
 * Writes are buffered and flushed at every iteration end, so a killed run leaves a log
 * readable up to its last complete iteration. */
#ifndef PROBES_EVLOG_H
#define PROBES_EVLOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hook.h"

#define EVLOG_MAGIC "FMEVLOG"
#define EVLOG_VERSION 1u
#define EVLOG_HEADER_BYTES 64u
#define EVLOG_RECORD_BYTES 40u
#define EVLOG_SITE_NAME 0xFFFFu
#define EVLOG_MAX_SITES 4096

typedef struct EvlogRecord {
    uint64_t t_ns, iter, bytes, aux;
    uint16_t kind, site;
    uint8_t role, persistent;
    uint16_t reserved;
} EvlogRecord;

typedef struct EvlogWriter EvlogWriter;

/* Creates the log file. NULL with errno set on failure. */
EvlogWriter *evlog_open(const char *path, const char *variant);

/* The sink: pass to eng_hook_set (directly or from a fan-out) with the writer as ud. */
void evlog_event(void *writer, const EngEvent *ev);

/* Flushes and closes. 0, or -1 with errno of the first write error (e.g. ENOSPC). */
int evlog_close(EvlogWriter *w);

/* ---- reader ----------------------------------------------------------------------------- */

typedef struct EvlogReader {
    FILE *f;
    uint32_t version;
    char variant[17];
    uint64_t start_ns;
    char *sites[EVLOG_MAX_SITES]; /* names by site number (heap copies) */
    uint64_t records; /* records read so far (site names excluded) */
    int truncated; /* the file ended inside a record */
} EvlogReader;

/* Opens and checks the header. 0, or -1 with a message in err: not a log, a newer
 * version, a different record layout, unreadable. */
int evlog_reader_open(EvlogReader *r, const char *path, char *err, size_t errlen);

/* The same on an open stream, which the reader then owns (closed by evlog_reader_close,
 * or at once on failure); name is used in messages. */
int evlog_reader_from(EvlogReader *r, FILE *f, const char *name, char *err, size_t errlen);

/* Next event record: 1, 0 at the end (r->truncated tells whether the end was clean),
 * -1 on a corrupt record (message in err). Site-name records are absorbed. */
int evlog_next(EvlogReader *r, EvlogRecord *rec, char *err, size_t errlen);

const char *evlog_site(const EvlogReader *r, unsigned site);

void evlog_reader_close(EvlogReader *r);

#endif
