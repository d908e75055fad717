/* sysmem.h - what the operating system says about a process's memory (Linux): the
 * training program's own (the sampler, train_full's summary) and a child's (the soak's
 * watchdog). Program support, not part of the engine. */
#ifndef PROBES_SYSMEM_H
#define PROBES_SYSMEM_H

#include <stddef.h>

/* Current resident set size from /proc/self/statm, in bytes; 0 if unreadable. */
size_t sysmem_rss_bytes(void);

/* The same for another process (/proc/PID/statm); 0 if it is gone or unreadable. */
size_t sysmem_rss_of(int pid);

/* Resources beyond bytes, of process pid (0: this process), read without allocating (a
 * sampler must not move what it measures); -1 when unreadable (the process is gone):
 * open descriptors (/proc/PID/fd, the one opened to count them not counted), threads
 * (/proc/PID/stat), memory mappings (lines of /proc/PID/maps). */
long sysmem_fds_of(int pid);
long sysmem_threads_of(int pid);
long sysmem_maps_of(int pid);

/* How long process pid's main thread (0: this process's) has waited, runnable, for a
 * core (/proc/PID/schedstat, its second figure), in nanoseconds: the time a busy machine
 * took from it; -1 when unreadable (gone, or a kernel without scheduler statistics). */
long long sysmem_wait_ns_of(int pid);

/* Peak resident set size (getrusage ru_maxrss), in bytes. */
size_t sysmem_peak_rss_bytes(void);

#endif
