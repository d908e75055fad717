/* summary_load.h - summary.json read back: for a baseline, a merge, a report again.
 * summary.h writes it; this checks it is one this soak can read. */
#ifndef HARNESS_SUMMARY_LOAD_H
#define HARNESS_SUMMARY_LOAD_H

#include <jansson.h>
#include <stddef.h>

/* summary.json's "format_version": raised whenever a key changes meaning or goes away. */
#define SUMMARY_FORMAT_VERSION 3

/* Reads a summary.json. NULL with a message in err (naming the file) when it cannot be
 * read, is not JSON, or was written by another format version. The caller json_decrefs. */
json_t *summary_load(const char *path, char *err, size_t errlen);

#endif
