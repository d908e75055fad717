/* words.h - a problem of the diagnosis (diagnosis.h) in words, the same in every output
 * (summary.json's "summary", the console, the page, summary.md, the annotations). */
#ifndef HARNESS_WORDS_H
#define HARNESS_WORDS_H

#include <stddef.h>

#include "diagnosis.h"

/* How fast, in words: "16 B/iteration (arena.used_bytes, native 10000)", "4.0 KiB once",
 * or "" when nothing was measured. */
void words_rate(const Problem *p, char *out, size_t cap);

/* The problem in one line: "leak in fault_step_end (engine/fault.c:13), 96 B/iteration
 * (90..102 over 6 runs), seen by native, asan, valgrind, jemalloc, lsan". */
void words_problem(const Problem *p, char *out, size_t cap);

/* An amount of what p's kind counts: "91.6 MiB", "20000 descriptors". */
void words_amount(const Problem *p, double v, char *out, size_t cap);

/* "at this rate 1,000,000 iterations need 91.6 MiB more" ("... hold 20000 descriptors
 * more"), or "" when no rate. */
void words_projection(const Problem *p, char *out, size_t cap);

/* The modes of a bit set, "native, asan" ("-" when none). */
void words_modes(unsigned bits, char *out, size_t cap);

#endif
