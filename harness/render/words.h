/* words.h - a problem of the diagnosis (diagnosis.h) in words, the same in every output
 * (summary.json's "summary", the console, the page, summary.md, the annotations). */
#ifndef HARNESS_WORDS_H
#define HARNESS_WORDS_H

#include <stddef.h>

#include "diagnosis.h"
#include "runs.h"

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

/* A run in one line, from the judge's record (its cause and figures), conclude's (a growth
 * that stops) and what grew: "jemalloc.allocated grows 1009.4 bytes/iteration (...);
 * proc.rss_bytes; top stack reach_step tests/programs/anyprog.c:59 (998.0 bytes/iteration)".
 * At most RUN_DETAIL_MAX - 1 characters. */
#define RUN_DETAIL_MAX 512
void run_detail(const Run *r, char *out, size_t cap);

/* A figure of bytes per unit as the outputs show it: "3312", "12.4", "0.0011". */
void words_per_unit(double v, char *out, size_t cap);

/* Where the words are explained (docs/glossary.md; installed with the tool). */
extern const char *const k_glossary, *const k_glossary_installed;

/* A FLAT run of a leak-checking mode that judged no byte series: what it could have seen. */
extern const char *const k_no_block_lost;

/* What a judged run could have seen (analysis.h, "Sensitivity"): "no growth above 12.4
 * bytes/iteration (jemalloc.allocated)", with_run: "(jemalloc.allocated, jemalloc 10000)";
 * "" when no byte series was judged. */
void words_sensitivity(const Run *r, int with_run, char *out, size_t cap);

/* What a problem measured beyond its rate and place, in words ("open on /tmp/x.log: 20
 * more at the end of native 1000 than after its warm-up"; "lsan also reported in f
 * a.c:3"), or "". At most PROBLEM_DETAIL_MAX - 1 characters. */
#define PROBLEM_DETAIL_MAX 240
void words_problem_detail(const Problem *p, char *out, size_t cap);

/* The diagnosis when it found no problem, as strong as the evidence: "memory stays flat in
 * every run and across the sweep", "... in every run that finished (the soak did not
 * complete)", or, with INCONCLUSIVE runs, that nothing was decided in them. */
struct SoakResult;
void words_no_problem(const struct SoakResult *res, char *out, size_t cap);

/* Why a soak is INCOMPLETE, in one sentence the console, summary.md and the page share:
 * "the soak did not complete: 2 of 2 runs finished, 2 of them not judged (too short, or
 * blind)". */
void words_incomplete(const struct SoakResult *res, char *out, size_t cap);

/* The modes of a bit set, "native, asan" ("-" when none). */
void words_modes(unsigned bits, char *out, size_t cap);

#endif
