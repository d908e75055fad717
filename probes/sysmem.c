#include "sysmem.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
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
