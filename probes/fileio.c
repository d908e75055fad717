#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void *fileio_new_writer(size_t size, const char *path, int *fd)
{
    *fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (*fd < 0)
        return NULL;
    void *p = calloc(1, size);
    if (!p) {
        close(*fd);
        errno = ENOMEM;
    }
    return p;
}

char *fileio_slurp(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fileio_open_read(path, err, errlen);
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap + 1);
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0)
        if ((n += got) == cap) {
            char *b = realloc(buf, (cap *= 2) + 1);
            if (!b)
                free(buf);
            buf = b;
        }
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

int fileio_close_writer(void *obj, int fd, int err)
{
    if (close(fd) != 0 && !err)
        err = errno;
    free(obj);
    errno = err;
    return err ? -1 : 0;
}

FILE *fileio_open_read(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return f;
}
