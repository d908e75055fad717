/* sysmem.h - what the operating system says about this process's memory (Linux). */
#ifndef ENGINE_SYSMEM_H
#define ENGINE_SYSMEM_H

#include <stddef.h>

/* Current resident set size from /proc/self/statm, in bytes; 0 if unreadable. */
size_t sysmem_rss_bytes(void);

/* Peak resident set size (getrusage ru_maxrss), in bytes. */
size_t sysmem_peak_rss_bytes(void);

#endif
