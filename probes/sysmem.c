#include "sysmem.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* read(2) on a fixed buffer: no stdio buffer is allocated, so sampling RSS does not
 * itself move the heap */
static size_t statm_rss(const char *path)
{
    char buf[128];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    /* fields: size resident ...; parsed by hand: sscanf under ASan allocates on every
     * call and the allocations pile up in its quarantine, which reads as RSS growth */
    const char *p = buf;
    while (*p >= '0' && *p <= '9')
        p++;
    while (*p == ' ')
        p++;
    size_t resident = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        resident = resident * 10 + (size_t)(*p - '0');
    return resident * (size_t)sysconf(_SC_PAGESIZE);
}

size_t sysmem_rss_bytes(void)
{
    return statm_rss("/proc/self/statm");
}

size_t sysmem_rss_of(int pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/statm", pid);
    return statm_rss(path);
}

size_t sysmem_peak_rss_bytes(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (size_t)ru.ru_maxrss * 1024;
}

/* /proc/PID/name (pid 0: self), opened. */
static int open_proc(int pid, const char *name, int flags)
{
    char path[64];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
    else
        snprintf(path, sizeof path, "/proc/self/%s", name);
    return open(path, flags | O_CLOEXEC);
}

/* /proc/PID/name's text into buf (NUL-terminated, read(2) on the caller's buffer: nothing
 * allocated). 0, or -1 when unreadable (the process is gone). */
static int read_proc(int pid, const char *name, char *buf, size_t cap)
{
    int fd = open_proc(pid, name, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    return 0;
}

long sysmem_fds_of(int pid)
{
    /* Linux 6.2 and later give the count as the folder's size: one stat, where reading the
     * folder takes milliseconds for thousands of descriptors (a program that leaks one a
     * request has the sampler fall behind its load); older kernels say 0 there */
    char path[64];
    struct stat st;
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/fd", pid);
    else
        snprintf(path, sizeof path, "/proc/self/fd");
    if (stat(path, &st) == 0 && st.st_size > 0)
        return (long)st.st_size;
    int fd = open_proc(pid, "fd", O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    char buf[4096];
    long n = 0;
    for (;;) { /* getdents64, not opendir: opendir allocates its buffer */
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            const struct dirent64 *e = (const struct dirent64 *)(buf + off);
            n += e->d_name[0] != '.';
            off += e->d_reclen;
        }
    }
    close(fd);
    return pid ? n : n - 1; /* our own count's descriptor is not the program's */
}

long sysmem_threads_of(int pid)
{
    char buf[1024];
    if (read_proc(pid, "stat", buf, sizeof buf))
        return -1;
    /* after the command's closing parenthesis: state (field 3) ... num_threads (field 20) */
    char *p = NULL;
    for (char *q = buf; *q; q++)
        p = *q == ')' ? q : p;
    if (!p)
        return -1;
    int field = 2;
    for (p++; *p && field < 20; p++)
        field += *p == ' ';
    long v = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (*p - '0');
    return field == 20 ? v : -1;
}

long long sysmem_wait_ns_of(int pid)
{
    char buf[128];
    if (read_proc(pid, "schedstat", buf, sizeof buf))
        return -1;
    /* "on-cpu-ns wait-ns timeslices" */
    char *p = buf;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p != ' ' || p[1] < '0' || p[1] > '9')
        return -1;
    long long v = 0;
    for (p++; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (*p - '0');
    return v;
}

long sysmem_maps_of(int pid)
{
    int fd = open_proc(pid, "maps", O_RDONLY);
    if (fd < 0)
        return -1;
    char buf[4096];
    long lines = 0;
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++)
            lines += buf[i] == '\n';
    close(fd);
    return lines;
}
