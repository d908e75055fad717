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
