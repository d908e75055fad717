/* fileio.h - opening the probes' files, the same way for every writer and reader. */
#ifndef PROBES_FILEIO_H
#define PROBES_FILEIO_H

#include <stddef.h>
#include <stdio.h>

/* Creates (truncates) path for writing into *fd and returns a zeroed object of size bytes
 * for the writer that will own it (free it and close *fd when done). NULL with errno set
 * when either fails (nothing is left open or allocated). */
void *fileio_new_writer(size_t size, const char *path, int *fd);

/* Opens path for reading; NULL with "PATH: reason" in err. */
FILE *fileio_open_read(const char *path, char *err, size_t errlen);

/* The whole file (NUL-terminated; *len bytes), owned by the caller; NULL with "PATH:
 * reason" in err. */
char *fileio_slurp(const char *path, size_t *len, char *err, size_t errlen);

/* Closes a writer's fd and frees its object; err: the writer's first error (0: none).
 * 0, or -1 with errno set to the first error. */
int fileio_close_writer(void *obj, int fd, int err);

#endif
