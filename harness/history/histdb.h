/* histdb.h - the soak history: every soak kept in one SQLite database (docs/history.md).
 *
 * `soak --history FILE.db` (or FLATMEM_HISTORY) appends the concluded soak (result.h): its
 * commit, parent, branch, date and subject, whether the tree was dirty, the machine, the
 * workload, and per run its mode, count, verdict, peak resident memory, the rate of what
 * grew, its sensitivity and its time per step; and the problems the diagnosis found. The
 * database is opened in WAL mode with a busy timeout, each soak written in one
 * transaction, so soaks that finish at once all land. Its schema carries a version
 * (PRAGMA user_version) and an application id; a database of a newer schema, of another
 * program, or damaged is refused with why, and left as it was. `soak history` (history_cmd.c)
 * reads it back with hist_load. */
#ifndef HARNESS_HISTDB_H
#define HARNESS_HISTDB_H

#include <stddef.h>

#include "result.h"

#define HIST_SCHEMA 1 /* the schema this program writes; older ones are migrated */

typedef struct HistDb HistDb;

/* Opens (creating it when absent, with create) the history at path, migrating an older
 * schema. NULL with err filled when it cannot be used: not a database, damaged, a newer
 * schema, another program's; nothing in the file is changed then. */
HistDb *hist_open(const char *path, int create, char *err, size_t cap);

void hist_close(HistDb *h);

/* Appends a concluded soak (its report at report, "" when none): the soak's id, or -1 with
 * err filled (nothing written then). */
long hist_record(HistDb *h, const SoakResult *res, const char *report, char *err, size_t cap);

/* A soak as the history holds it. */
typedef struct HistSoak {
    long id;
    char commit[64], parent[64], branch[128], date[40], subject[200], recorded[40];
    int dirty;
    char cpu[128];
    char workload[512];
    char overall[24];
    char report[1024];
} HistSoak;

/* A run of a soak (the program's own build, trained from scratch: no fault build, no
 * resume, no control). */
typedef struct HistRun {
    long soak; /* HistSoak.id */
    char mode[16];
    long count;
    char verdict[24];
    double peak; /* peak resident bytes */
    double rate; /* bytes per step of what grew (0: judged flat) */
    double sensitivity; /* bytes per step a growth had to reach to be seen (NAN: unknown) */
    double ms; /* milliseconds per step (NAN: unknown) */
} HistRun;

typedef struct HistData {
    HistSoak *soaks; /* oldest first */
    int n_soaks;
    HistRun *runs;
    int n_runs;
} HistData;

/* The workload a soak's series are kept under: the workload's name ("soak", "tiny"), or
 * "cmd: " and the --cmd template of a program of one's own. */
void hist_workload(const SoakResult *res, char *out, size_t cap);

/* Everything in the history, into d (hist_data_free). 0, or -1 with err. */
int hist_load(HistDb *h, HistData *d, char *err, size_t cap);

void hist_data_free(HistData *d);

/* The soak of id in d, or NULL. */
const HistSoak *hist_soak(const HistData *d, long id);

#endif
