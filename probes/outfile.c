#include "outfile.h"

#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <unistd.h>

FILE *outfile_open(OutFile *o, const char *path)
{
    memset(o, 0, sizeof *o);
    if (strlen(path) >= sizeof o->path) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    strcpy(o->path, path);
    snprintf(o->tmp, sizeof o->tmp, "%s.tmp.%ld", path, (long)getpid());
    o->f = fopen(o->tmp, "w");
    return o->f;
}

int outfile_commit(OutFile *o)
{
    int err = 0;
    if (fflush(o->f) != 0 || ferror(o->f) || fsync(fileno(o->f)) != 0)
        err = errno ? errno : EIO;
    if (fclose(o->f) != 0 && !err)
        err = errno;
    o->f = NULL;
    if (!err && rename(o->tmp, o->path) != 0)
        err = errno;
    if (err) {
        unlink(o->tmp);
        errno = err;
        return -1;
    }
    return 0;
}

FILE *outfile_open_in(OutFile *o, const char *dir, const char *name, char *err, size_t errlen)
{
    char path[sizeof o->path];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        snprintf(err, errlen, "%s/%s: path too long", dir, name);
        return NULL;
    }
    FILE *f = outfile_open(o, path);
    if (!f)
        snprintf(err, errlen, "%s: cannot be written: %s", path, strerror(errno));
    return f;
}

int outfile_finish(OutFile *o, char *err, size_t errlen)
{
    if (outfile_commit(o) == 0)
        return 0;
    snprintf(err, errlen, "%s: write failed: %s", o->path, strerror(errno));
    return -1;
}

void outfile_abort(OutFile *o)
{
    if (o->f)
        fclose(o->f);
    o->f = NULL;
    unlink(o->tmp);
}

int outfile_check(const char *path)
{
    char copy[4096];
    if (strlen(path) >= sizeof copy) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(copy, path);
    const char *dir = dirname(copy);
    return access(dir, W_OK | X_OK);
}
