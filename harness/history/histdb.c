#include "histdb.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kinds.h"
#include "modes.h"
#include "util.h"
#include "verdicts.h"

#define HIST_APP_ID 0x464c4d48 /* "FLMH": a flatmem history */
#define BUSY_MS 60000 /* a writer waits this long for another to finish */

struct HistDb {
    sqlite3 *db;
    char path[1024];
};

/* Schema version i + 1 from version i: each entry one step (docs/history.md). A step is
 * never changed once released: a new version appends a step. */
static const char *const k_migrations[HIST_SCHEMA] = {
    "CREATE TABLE soaks ("
    " id INTEGER PRIMARY KEY,"
    " recorded_at TEXT NOT NULL," /* UTC, ISO 8601 */
    " commit_sha TEXT NOT NULL DEFAULT '',"
    " parent_sha TEXT NOT NULL DEFAULT '',"
    " branch TEXT NOT NULL DEFAULT '',"
    " commit_date TEXT NOT NULL DEFAULT '',"
    " subject TEXT NOT NULL DEFAULT '',"
    " dirty INTEGER NOT NULL DEFAULT 0,"
    " cpu TEXT NOT NULL DEFAULT '',"
    " kernel TEXT NOT NULL DEFAULT '',"
    " cores INTEGER NOT NULL DEFAULT 0,"
    " workload TEXT NOT NULL,"
    " overall TEXT NOT NULL,"
    " wall_s REAL,"
    " report TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE runs ("
    " soak_id INTEGER NOT NULL REFERENCES soaks(id) ON DELETE CASCADE,"
    " mode TEXT NOT NULL,"
    " count INTEGER NOT NULL,"
    " fault TEXT NOT NULL,"
    " resume_from INTEGER NOT NULL,"
    " verdict TEXT NOT NULL,"
    " peak_rss_bytes INTEGER NOT NULL,"
    " series TEXT NOT NULL DEFAULT '',"
    " rate REAL,"
    " sensitivity REAL,"
    " ms_per_step REAL,"
    " run_dir TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE problems ("
    " soak_id INTEGER NOT NULL REFERENCES soaks(id) ON DELETE CASCADE,"
    " kind TEXT NOT NULL,"
    " fault TEXT NOT NULL,"
    " function TEXT NOT NULL DEFAULT '',"
    " location TEXT NOT NULL DEFAULT '',"
    " rate REAL,"
    " fails INTEGER NOT NULL);"
    "CREATE INDEX runs_by_soak ON runs(soak_id);"
    "CREATE INDEX problems_by_soak ON problems(soak_id);",
};

static int fail(char *err, size_t cap, const char *path, const char *what, sqlite3 *db)
{
    snprintf(err, cap, "%s: %s%s%s", path, what, db ? ": " : "", db ? sqlite3_errmsg(db) : "");
    return -1;
}

/* One integer from a statement of one row (PRAGMA x): 0 on success. */
static int pragma_int(sqlite3 *db, const char *sql, long *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

/* Whether the file can be read as a database of ours, at what version: -1 (err) when not. */
static int check_file(sqlite3 *db, const char *path, long *version, char *err, size_t cap)
{
    long app = 0, tables = 0;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL) != SQLITE_OK)
        return fail(err, cap, path, "not a SQLite database, or damaged (left as it is; give another file)",
                    db);
    int rc = sqlite3_step(st);
    const char *ok = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    int good = ok && !strcmp(ok, "ok");
    sqlite3_finalize(st);
    if (!good)
        return fail(err, cap, path, "not a SQLite database, or damaged (left as it is; give another file)",
                    db);
    if (pragma_int(db, "PRAGMA application_id", &app) || pragma_int(db, "PRAGMA user_version", version) ||
        pragma_int(db, "SELECT count(*) FROM sqlite_schema", &tables))
        return fail(err, cap, path, "cannot be read", db);
    if ((app && app != HIST_APP_ID) || (!app && tables)) {
        snprintf(err, cap, "%s: a SQLite database of another program, not a soak history (left as it is)",
                 path);
        return -1;
    }
    if (*version > HIST_SCHEMA) {
        snprintf(err, cap,
                 "%s: written by a newer flatmem (history schema %ld; this one knows up to %d): use that "
                 "version or a newer one (the file was left as it is)",
                 path, *version, HIST_SCHEMA);
        return -1;
    }
    return 0;
}

/* Brings the schema from version to HIST_SCHEMA in one transaction. */
static int migrate(sqlite3 *db, const char *path, long version, char *err, size_t cap)
{
    if (version == HIST_SCHEMA)
        return 0;
    char *msg = NULL;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, cap, "%s: cannot start its migration: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    long now = 0; /* another writer may have migrated it meanwhile */
    if (pragma_int(db, "PRAGMA user_version", &now) == 0)
        version = now;
    for (long v = version; v < HIST_SCHEMA; v++)
        if (sqlite3_exec(db, k_migrations[v], NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, cap, "%s: migrating its schema %ld to %ld failed: %s", path, v, v + 1,
                     msg ? msg : "?");
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d; COMMIT", HIST_APP_ID,
             HIST_SCHEMA);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, cap, "%s: migrating its schema failed: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return 0;
}

HistDb *hist_open(const char *path, int create, char *err, size_t cap)
{
    struct stat sb;
    int exists = stat(path, &sb) == 0;
    if (!exists && !create) {
        snprintf(err, cap, "%s: no such file (a history is made by `soak --history %s`)", path, path);
        return NULL;
    }
    if (exists && !S_ISREG(sb.st_mode)) {
        snprintf(err, cap, "%s: not a file", path);
        return NULL;
    }
    HistDb *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, cap, "out of memory");
        return NULL;
    }
    snprintf(h->path, sizeof h->path, "%s", path);
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0);
    long version = 0;
    if (sqlite3_open_v2(path, &h->db, flags, NULL) != SQLITE_OK) {
        fail(err, cap, path, "cannot be opened", h->db);
        hist_close(h);
        return NULL;
    }
    sqlite3_busy_timeout(h->db, BUSY_MS);
    if (check_file(h->db, path, &version, err, cap) != 0) {
        hist_close(h);
        return NULL;
    }
    char *msg = NULL;
    if (sqlite3_exec(h->db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON", NULL, NULL, &msg) !=
        SQLITE_OK) {
        snprintf(err, cap, "%s: cannot be set up for writers at once: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        hist_close(h);
        return NULL;
    }
    if (migrate(h->db, path, version, err, cap) != 0) {
        hist_close(h);
        return NULL;
    }
    return h;
}

void hist_close(HistDb *h)
{
    if (!h)
        return;
    sqlite3_close(h->db);
    free(h);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    sqlite3_bind_text(st, i, s ? s : "", -1, SQLITE_TRANSIENT);
}

static void bind_num(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* Runs one prepared statement to its end. */
static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The soak's row: its id, or -1. */
static long insert_soak(sqlite3 *db, const SoakResult *res, const char *report)
{
    static const char sql[] =
        "INSERT INTO soaks (recorded_at, commit_sha, parent_sha, branch, commit_date, subject, dirty, cpu, "
        "kernel,"
        " cores, workload, overall, wall_s, report) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    char now[40], workload[600];
    time_t t = time(NULL);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    hist_workload(res, workload, sizeof workload);
    const SoakEnv *e = &res->env;
    bind_text(st, 1, now);
    bind_text(st, 2, e->commit);
    bind_text(st, 3, e->parent);
    bind_text(st, 4, e->branch);
    bind_text(st, 5, e->commit_date);
    bind_text(st, 6, e->subject);
    sqlite3_bind_int(st, 7, e->dirty);
    bind_text(st, 8, e->cpu);
    bind_text(st, 9, e->kernel);
    sqlite3_bind_int(st, 10, e->cores);
    bind_text(st, 11, workload);
    bind_text(st, 12, overall_name(res->overall));
    bind_num(st, 13, res->wall_s);
    bind_text(st, 14, report);
    int rc = step_done(st);
    sqlite3_finalize(st);
    return rc ? -1 : (long)sqlite3_last_insert_rowid(db);
}

static int insert_runs(sqlite3 *db, long id, const SoakResult *res)
{
    static const char sql[] =
        "INSERT INTO runs (soak_id, mode, count, fault, resume_from, verdict, peak_rss_bytes,"
        " series, rate, sensitivity, ms_per_step, run_dir) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = 0;
    for (int i = 0; i < res->n_runs && !rc; i++) {
        const Run *r = &res->runs[i];
        const SeriesResult *w = r->an.worst >= 0 ? &r->an.series[r->an.worst] : NULL;
        const SeriesResult *s = r->an.sensitive >= 0 ? &r->an.series[r->an.sensitive] : NULL;
        int grew = r->verdict == V_GROWING && w;
        sqlite3_bind_int64(st, 1, id);
        bind_text(st, 2, mode_name(r->mode));
        sqlite3_bind_int64(st, 3, r->iters);
        bind_text(st, 4, r->fault);
        sqlite3_bind_int64(st, 5, r->resume_from);
        bind_text(st, 6, verdict_name(r->verdict));
        sqlite3_bind_int64(st, 7, (sqlite3_int64)r->peak_rss_bytes);
        bind_text(st, 8, grew ? w->name : "");
        bind_num(st, 9, grew ? w->slope : 0.0);
        bind_num(st, 10, s ? s->sensitivity : NAN);
        bind_num(st, 11, r->ms_per_iter);
        bind_text(st, 12, r->name);
        rc = step_done(st);
    }
    sqlite3_finalize(st);
    return rc;
}

static int insert_problems(sqlite3 *db, long id, const SoakResult *res)
{
    static const char sql[] =
        "INSERT INTO problems (soak_id, kind, fault, function, location, rate, fails) VALUES (?,?,?,?,?,?,?)";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = 0;
    for (int i = 0; i < res->diag.n && !rc; i++) {
        const Problem *p = &res->diag.list[i];
        sqlite3_bind_int64(st, 1, id);
        bind_text(st, 2, kind_name(p->kind));
        bind_text(st, 3, p->fault);
        bind_text(st, 4, p->function);
        bind_text(st, 5, p->location);
        bind_num(st, 6, p->rate);
        sqlite3_bind_int(st, 7, p->fails);
        rc = step_done(st);
    }
    sqlite3_finalize(st);
    return rc;
}

long hist_record(HistDb *h, const SoakResult *res, const char *report, char *err, size_t cap)
{
    char *msg = NULL;
    if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, cap, "%s: cannot write: %s", h->path, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    long id = insert_soak(h->db, res, report);
    if (id < 0 || insert_runs(h->db, id, res) || insert_problems(h->db, id, res) ||
        sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        fail(err, cap, h->path, "the soak could not be recorded (nothing of it was written)", h->db);
        sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    return id;
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t cap)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    snprintf(out, cap, "%s", t ? (const char *)t : "");
}

static double col_num(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

static int load_soaks(sqlite3 *db, HistData *d)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            db,
            "SELECT id, commit_sha, parent_sha, branch, commit_date, subject, recorded_at, dirty,"
            " cpu, workload, overall, report FROM soaks ORDER BY id",
            -1, &st, NULL) != SQLITE_OK)
        return -1;
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        d->soaks = grow_array(d->soaks, &cap, d->n_soaks + 1, sizeof *d->soaks);
        HistSoak *s = &d->soaks[d->n_soaks++];
        memset(s, 0, sizeof *s);
        s->id = (long)sqlite3_column_int64(st, 0);
        col_text(st, 1, s->commit, sizeof s->commit);
        col_text(st, 2, s->parent, sizeof s->parent);
        col_text(st, 3, s->branch, sizeof s->branch);
        col_text(st, 4, s->date, sizeof s->date);
        col_text(st, 5, s->subject, sizeof s->subject);
        col_text(st, 6, s->recorded, sizeof s->recorded);
        s->dirty = sqlite3_column_int(st, 7);
        col_text(st, 8, s->cpu, sizeof s->cpu);
        col_text(st, 9, s->workload, sizeof s->workload);
        col_text(st, 10, s->overall, sizeof s->overall);
        col_text(st, 11, s->report, sizeof s->report);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int load_runs(sqlite3 *db, HistData *d)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(
            db,
            "SELECT soak_id, mode, count, verdict, peak_rss_bytes, rate, sensitivity, ms_per_step"
            " FROM runs WHERE fault = 'none' AND resume_from = 0 ORDER BY soak_id, mode, count",
            -1, &st, NULL) != SQLITE_OK)
        return -1;
    int cap = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        d->runs = grow_array(d->runs, &cap, d->n_runs + 1, sizeof *d->runs);
        HistRun *r = &d->runs[d->n_runs++];
        r->soak = (long)sqlite3_column_int64(st, 0);
        col_text(st, 1, r->mode, sizeof r->mode);
        r->count = (long)sqlite3_column_int64(st, 2);
        col_text(st, 3, r->verdict, sizeof r->verdict);
        r->peak = col_num(st, 4);
        r->rate = col_num(st, 5);
        r->sensitivity = col_num(st, 6);
        r->ms = col_num(st, 7);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int hist_load(HistDb *h, HistData *d, char *err, size_t cap)
{
    memset(d, 0, sizeof *d);
    sqlite3_exec(h->db, "BEGIN", NULL, NULL, NULL); /* one snapshot of both tables */
    int rc = load_soaks(h->db, d) || load_runs(h->db, d);
    sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
    if (rc) {
        fail(err, cap, h->path, "cannot be read", h->db);
        hist_data_free(d);
        return -1;
    }
    return 0;
}

void hist_data_free(HistData *d)
{
    free(d->soaks);
    free(d->runs);
    memset(d, 0, sizeof *d);
}

const HistSoak *hist_soak(const HistData *d, long id)
{
    for (int i = 0; i < d->n_soaks; i++)
        if (d->soaks[i].id == id)
            return &d->soaks[i];
    return NULL;
}

void hist_workload(const SoakResult *res, char *out, size_t cap)
{
    if (res->command[0])
        snprintf(out, cap, "cmd: %s", res->command);
    else
        snprintf(out, cap, "%s", res->config);
}
