/* pyattrib.h - which lines of a Python program grew, from the standard library's tracemalloc
 * (docs/python.md).
 *
 * In the modes that trace Python (modes.h: traces_python, the jemalloc mode) the soak puts
 * its start-up hook (python/hook/sitecustomize.py) on a Python program's path; it traced
 * the program's allocations and wrote snapshots at the moments jemalloc dumped its heap
 * profiles (RUN/pydumps.csv, RUN/pytrace.t<ms>.snap, RUN/pytrace.final.snap) and the
 * interpreter it ran on (RUN/python.txt). This module takes the first snapshot after warm-up
 * and the last one taken while the program ran, as attrib.h does the heap profiles, and has
 * python/flatmem_pytrace.py (on that interpreter) charge what grew between them to the first
 * frame in the program's own files: RUN/pygrowth.tsv. */
#ifndef HARNESS_PYATTRIB_H
#define HARNESS_PYATTRIB_H

#include "evidence.h"
#include "samples.h"

#include <stddef.h>

/* 1 when the run traced Python (RUN/pydumps.csv is there). */
int pyattrib_traced(const char *dir);

/* Fills out[0..max) with the lines whose memory grew, largest first (python = 1, function
 * the def they are in, where "file:line", code the line), share of the traced growth;
 * *traced_per_iter: all the traced growth per iteration, with tracemalloc's own (its traces
 * are held in the heap too). Returns how many (0: none grew,
 * or no two snapshots: then why says so), -1 with a message in why when the helper failed. */
int pyattrib(const char *dir, long iters, const Samples *s, StackGrowth *out, int max,
             double *traced_per_iter, char *why, size_t whylen);

#endif
