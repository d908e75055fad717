/* outfile.h - write a file so that readers see either the old file or the complete new
 * one, never half of it: write to PATH.tmp.PID, then fsync and rename over PATH.
 * Program support shared by the training program (summaries, checkpoints), the probes and
 * the harness; not part of the engine. */
#ifndef PROBES_OUTFILE_H
#define PROBES_OUTFILE_H

#include <stdio.h>

typedef struct OutFile {
    FILE *f;
    char path[4096];
    char tmp[4200];
} OutFile;

/* Opens the temporary file. Returns the stream, or NULL with errno set. */
FILE *outfile_open(OutFile *o, const char *path);

/* Flushes, syncs and renames into place. 0 on success, -1 with errno set (the temporary
 * file is removed and the old PATH is left as it was). */
int outfile_commit(OutFile *o);

/* outfile_open for DIR/NAME; on failure a message naming the file and the reason is left
 * in err. */
FILE *outfile_open_in(OutFile *o, const char *dir, const char *name, char *err, size_t errlen);

/* outfile_commit with a message in err on failure ("PATH: write failed: reason"). */
int outfile_finish(OutFile *o, char *err, size_t errlen);

/* Closes and removes the temporary file. */
void outfile_abort(OutFile *o);

/* 0 when a file could be created at `path` (its folder exists and is writable), else -1
 * with errno set. Creates nothing. */
int outfile_check(const char *path);

#endif
