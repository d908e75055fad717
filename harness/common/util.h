/* util.h - the small things every part of the harness needs, each in one place: the
 * clock, MiB, reading a whole file, making a folder path, whole numbers from the command
 * line, a duration for people. */
#ifndef HARNESS_UTIL_H
#define HARNESS_UTIL_H

#include <stddef.h>

#define MIB 1048576.0 /* bytes in a MiB, for figures people read */

/* Seconds on the monotonic clock. */
double now_s(void);

/* The file's contents, NUL-terminated, at most max bytes of it (*len: bytes read, may be
 * NULL). Owned by the caller (free). NULL with errno set when it cannot be read. */
char *read_file(const char *path, size_t max, size_t *len);

/* mkdir -p: every missing folder of path. 0, or -1 with errno. */
int mkdir_p(const char *path);

/* Removes path and, when it is a folder, everything in it (symbolic links are removed,
 * not followed). 0, or -1 when something could not be removed. */
int remove_tree(const char *path);

/* A whole number in [lo, hi] that is the whole of s. 1, or 0 when it is not. */
int parse_long(const char *s, long lo, long hi, long *out);

/* A finite number that is the whole of s, in [lo, hi]. 1, or 0 when it is not. */
int parse_double(const char *s, double lo, double hi, double *out);

/* "42s", "3m05s", "1h02m". */
void fmt_duration(char *out, size_t cap, double seconds);

/* The last part of a path: "python3.11" of "/usr/bin/python3.11" (path itself without a '/'). */
const char *path_last(const char *path);

/* A path below the current folder (where the soak runs: the project, or the workspace of a
 * program of one's own) relative to it, as the repository names the file ("engine/ops.c");
 * any other path as it is. A pointer into path. */
const char *path_here(const char *path);

/* "1.5 KiB", "91.6 MiB", "2.1 GiB" */
void fmt_bytes(char *out, size_t cap, double bytes);

/* p grown to hold need elements of size bytes (*cap: how many it holds; doubled, from 64);
 * exits with a message when out of memory. */
void *grow_array(void *p, int *cap, int need, size_t size);

#endif
