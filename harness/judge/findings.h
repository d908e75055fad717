/* findings.h - the first report of ASan/LSan/UBSan or Valgrind memcheck, parsed out of a
 * tool log into a finding: tool, kind, message and top frames. */
#ifndef HARNESS_FINDINGS_H
#define HARNESS_FINDINGS_H

#include "evidence.h"
#include "frames.h"

#include <stddef.h>

/* Each returns 1 and fills *f when the text holds a report of that tool, else 0. */
int finding_from_sanitizer(const char *text, Finding *f);
int finding_from_memcheck(const char *text, Finding *f);

/* The bytes a tool log's leak summary says were leaked ("SUMMARY: LeakSanitizer: N
 * byte(s) leaked", memcheck's "definitely lost: N bytes"), or NAN when it has none. */
double finding_leak_bytes(const char *text);

/* The objects (allocations, blocks) of the same summary ("... leaked in M allocation(s)",
 * "definitely lost: N bytes in M blocks"), or NAN. */
double finding_leak_objects(const char *text);

/* The bytes of the leak report (LeakSanitizer's "Direct leak of N byte(s)", memcheck's "N
 * bytes in M blocks are definitely lost") whose stack names function, summed over such
 * reports; NAN when none does. */
double finding_leak_bytes_in(const char *text, const char *function);

/* Memcheck's --track-fds section ("Open file descriptor 5: /dev/null" and the stack that
 * opened it), grouped by what is open and the program's first frame (descriptors it
 * inherited are left out): the largest group into *out. Returns its count (0: none). */
int finding_open_fds(const char *text, FdGrowth *out);

/* Where the program started the threads memcheck's leak report holds (a thread that never
 * ended keeps its thread-local storage, "possibly lost" from pthread_create): the frame
 * that called pthread_create in the first such record, into frame ("fn file:line"). How
 * many records name one (0: none). */
int finding_thread_creator(const char *text, char *frame, size_t cap);

#endif
