/* attrib.h - which call stacks grew, from jemalloc's own heap profiles (jemalloc runs of
 * the built-in program and of --cmd programs alike; docs/any-program.md).
 *
 * jemalloc (with MALLOC_CONF prof:true) samples allocations with their stacks; the probe
 * library had it dump profiles during the run (RUN/dumps.csv, RUN/jeprof.t<ms>.heap) and
 * jemalloc wrote a last one at exit (RUN/jeprof.<pid>.<n>.f.heap). This module takes the
 * first dump after warm-up and the last ones, reads them with the project's own reader
 * (heapprof.h: every address named once per module by one addr2line; no jeprof) and
 * subtracts them (heapgrowth.h): the memory still held at the end that was not held after
 * warm-up, by call stack. Each stack is charged to its first frame that is not an
 * allocation wrapper (malloc, operator new, the engine's mem_alloc, ...), with that
 * frame's file:line.
 *
 * Writes RUN/growth.collapsed (the folded stacks of the growth, bytes, for a flame graph)
 * and RUN/growth.txt (the functions it is charged to: bytes, bytes/iteration, share,
 * function, file:line, callers). */
#ifndef HARNESS_ATTRIB_H
#define HARNESS_ATTRIB_H

#include "evidence.h"
#include "heapprof.h"
#include "samples.h"

#include <limits.h>
#include <stddef.h>

/* The profiles to compare and the iterations they were taken at: the first dump after
 * warm-up, and up to ATTRIB_LATE of the last ones taken while the program ran (the
 * profile at exit also holds what it allocated to finish: buffers, reports; it is used
 * only when no periodic dump came after the early one). */
#define ATTRIB_LATE 3
typedef struct AttribPair {
    char early[PATH_MAX + 64];
    char late[ATTRIB_LATE][PATH_MAX + 64]; /* oldest first */
    double iter_early, iter_late[ATTRIB_LATE];
    int n_late;
} AttribPair;

/* Picks them from RUN/csv (lines "t_ns,NAME[,...]"): those taken at step marks when there
 * are two after warm-up (NAME "jeprof.s<step>.heap": the program marks its steps), else by
 * time (NAME is name_of[0], the milliseconds since the probe started, name_of[1]:
 * "jeprof.t", ".heap"; the iterations from RUN/samples.csv; the one at exit: final ("":
 * jemalloc's jeprof.<pid>.<n>.f.heap)). s: the run's samples as the judge read them, or
 * NULL to read dir/samples.csv (a finer re-run's). 0, or -1 when there are not two. */
int attrib_pick(const char *dir, long iters, const char *csv, const char *const name_of[2], const char *final,
                const Samples *s, AttribPair *p);

/* attrib_pick of the periodic dumps of jemalloc's runs (RUN/dumps.csv, "jeprof.t<ms>.heap"
 * or "jeprof.s<step>.heap"; the one at exit: jemalloc's "jeprof.<pid>.<n>.f.heap"). */
int attrib_pick_heap(const char *dir, long iters, const Samples *s, AttribPair *p);

/* A run's heap profiles, read once and named once (the run stage's facts of a jemalloc
 * run): the pair attrib_pick_heap chose, the profiles (the latest first, the early one
 * last), every address of them named (one addr2line per module). The judge names what
 * grew from it (attrib_heap); the renderers write the pprof and speedscope files from it. */
typedef struct HeapModel {
    char dir[PATH_MAX + 16]; /* where they are: RUN, or RUN/attrib (attrib_source_dir) */
    AttribPair pr;
    HeapProf p[ATTRIB_LATE + 1];
    int np;
    HeapSyms syms;
    char *folded; /* what grew, folded (growth.collapsed's text), once attrib_heap named it */
} HeapModel;

/* Reads the heap profiles of dir (a run of count iters) into *out. 1, 0 when there are
 * not two to compare (why says so; *out NULL), -1 with a message in why. */
int heapmodel_load(const char *dir, long iters, const Samples *s, HeapNames *names, HeapModel **out,
                   char *why, size_t whylen);
void heapmodel_free(HeapModel *m);

/* The profile after warm-up and the last one of m. */
static inline const HeapProf *heapmodel_early(const HeapModel *m)
{
    return &m->p[m->np - 1];
}
static inline const HeapProf *heapmodel_late(const HeapModel *m)
{
    return &m->p[0];
}

/* Fills out[0..max) with the functions whose memory grew from m, largest first. Returns
 * how many (0: no growth: then why says so), -1 with a message in why when writing the
 * growth files failed. Writes RUN/growth.collapsed and RUN/growth.txt (m->dir). */
int attrib_heap(HeapModel *m, StackGrowth *out, int max, char *why, size_t whylen);

/* A stack's bytes in a sampled heap profile are an estimate: each sample stands for about
 * PERIOD bytes (fewer for blocks larger than it), so the estimate's standard error is at
 * most sqrt(bytes x period). 1 when bytes could be least or more within 2.33 of them (99%,
 * one-sided): a stack that holds a child's growth of 2 MiB at a period of 128 KiB is about
 * 16 samples, and 8 (a Poisson draw 2% of the time) must not make it "not the grower". */
int attrib_could_hold(double bytes, double period, double least);

/* A child process of the command that grew (judge.c's grower), named from the heap profile
 * jemalloc wrote at its exit (RUN/jeprof.<pid>.<n>.f.heap: the probe's periodic dumps are
 * the command's own, its sampler thread is not forked): the functions that could hold least
 * bytes or more there (attrib_could_hold), largest first, into out[0..max), bytes_per_iter
 * over the run's iters (all it held at exit: a process that starts with the run keeps no
 * more from before). Returns how many (0: none; why says so), -1 with why when the profile
 * could not be read. finer: dir is a finer re-run's (pid is not its child's: the final
 * profile holding the most). */
int attrib_child_final(const char *dir, int pid, int finer, long iters, double least, HeapNames *names,
                       StackGrowth *out, int max, char *why, size_t whylen);

/* Where a run's heap profiles are: RUN/attrib when the soak ran it again sampled more
 * finely to name what grew (it has RUN/attrib/sample-period.txt), else RUN. The growth
 * files (growth.collapsed, growth.txt, stacks-over-time.csv) are written there too. */
void attrib_source_dir(const char *run_dir, char *out, size_t cap);

/* The bytes between samples of the profiles in dir (2^17 unless sample-period.txt says). */
double attrib_sample_period(const char *dir);

#define ATTRIB_TIMELINE 4 /* functions followed over time */
#define ATTRIB_TIMELINE_DUMPS 6 /* profiles read for it */

/* The memory each of the functions top[0..n) (at most ATTRIB_TIMELINE) holds in the run's
 * periodic heap profiles (at most ATTRIB_TIMELINE_DUMPS of them, spread over the run) and
 * in the one jemalloc wrote at exit (placed at the last sample),
 * into RUN/stacks-over-time.csv: "iteration,ms,<function>..." then a row per profile,
 * bytes. Returns the rows written, or -1 with a message in why. */
int attrib_timeline(const char *dir, const Samples *s, const StackGrowth *top, int n, HeapNames *names,
                    char *why, size_t whylen);

#endif
