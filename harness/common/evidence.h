/* evidence.h - what judging finds in a run's files, as the types the Run record (runs.h)
 * holds: the series of samples.csv and how each was judged (judge/analysis.h), the first
 * report of a tool (judge/findings.h), the call stacks that grew (judge/attrib.h); and the
 * tolerances the soak judges with (options). The judging stage fills them in, every later
 * stage reads them. */
#ifndef HARNESS_EVIDENCE_H
#define HARNESS_EVIDENCE_H

#include <stddef.h>
#include <stdint.h>

/* How a series of samples.csv is judged: exact (the engine's counters: any change), allocator
 * and resident bytes (sampled: steady growth of the floors, by a byte or a page), counts of
 * resources beyond bytes (descriptors, threads, mappings: steady growth by one). */
typedef enum SeriesClass { SERIES_EXACT, SERIES_ALLOC, SERIES_RSS, SERIES_COUNT, SERIES_IGNORED } SeriesClass;

/* "exact", "allocator", "resident", "count", "ignored": how run.json names a class. */
const char *series_class_name(SeriesClass c);

/* How runs are judged (soak options). */
typedef struct Tolerance {
    double warmup_frac; /* fraction of the iterations treated as warm-up (default 0.1) */
    double page_bytes; /* the granularity of resident series: one page */
    double sensitivity; /* --sensitivity: bytes per unit a FLAT must see (0: any) */
} Tolerance;

/* The soak's defaults: a tenth of the run is warm-up, a resident series rises by pages. */
Tolerance tolerance_defaults(void);

#define ANALYSIS_SEGMENTS 4 /* spans a sampled series is cut into after warm-up */
#define ANALYSIS_MIN_POINTS 3 /* rows a span needs for its floor to mean anything */

typedef struct SeriesResult {
    char name[48];
    SeriesClass cls;
    size_t points; /* rows used */
    double slope; /* bytes more per iteration: exact series (last - first) over the
                     iterations between them; sampled ones, the Theil-Sen slope of the
                     memory held in each half (analysis.h) */
    double growth; /* bytes gained: exact series last - first; sampled ones the last floor
                      minus the first */
    double first, last, min, max;
    double floors[ANALYSIS_SEGMENTS]; /* sampled series: each span's lowest value */
    double floor_iter[ANALYSIS_SEGMENTS]; /* and the iteration it was read at */
    double halves[2 * ANALYSIS_SEGMENTS]; /* each half span's lowest value (INFINITY: no row) */
    double half_iter[2 * ANALYSIS_SEGMENTS];
    int steady; /* sampled series: every floor above the one before (see above) */
    int decided; /* its growth stands out of its scatter (analysis.h); exact and count
                    series always */
    int short_run; /* sampled series: too few rows in a span to judge */
    int growing;
    int judged; /* 0: measured and shown, but not part of the verdict (see analyze_run) */
    /* bytes per iteration: the smallest steady growth this series would have been judged
     * growing at, with the noise of its floors as it was in this run (analysis.h); NAN
     * when it is not judged, or counts things other than bytes */
    double sensitivity;
} SeriesResult;

#define ANALYSIS_MAX_SERIES 32

typedef struct RunAnalysis {
    SeriesResult series[ANALYSIS_MAX_SERIES];
    int n_series;
    int n_judged; /* series that take part in the verdict */
    int n_short; /* sampled series left unjudged: too few rows after warm-up */
    size_t min_rows; /* the fewest rows after warm-up of those (for the reason) */
    int growing; /* any series growing */
    int undecided; /* growing, but no growing series' growth stands out of its scatter
                      (analysis.h): conclude runs it longer or calls it INCONCLUSIVE */
    int worst; /* the growing series that decides (the most exact class: exact, then
                  allocator, then resident; then the largest slope), else rss, else -1 */
    int sensitive; /* the judged byte series with the smallest sensitivity, or -1 */
    double peak_rss; /* max proc.rss_bytes sampled (NAN if none) */
    uint64_t last_iter; /* iteration of the last row */
} RunAnalysis;

#define FINDING_FRAMES 3

typedef struct Finding {
    char tool[16]; /* "asan", "lsan", "ubsan", "memcheck" */
    char kind[48]; /* "stack-use-after-return", "use-after-poison", "leak", "invalid-read",
                      "definitely-lost", "uninitialised-value", "undefined-behavior", ... */
    char message[400]; /* the report's headline */
    char frames[FINDING_FRAMES][200]; /* "function file:line" */
    int n_frames;
} Finding;

/* Descriptors that grew in a run: what they are open on and, where a tool says (memcheck's
 * --track-fds), the program's frame that opened them. */
typedef struct FdGrowth {
    char target[160]; /* "/tmp/x.log", "/tmp/ck.bin (deleted)", "socket", "pipe" */
    char frame[200]; /* "open_log_step /src/prog.c:122", "" when no tool said */
    int count; /* how many more at the end than after warm-up (memcheck: open at exit) */
} FdGrowth;

#define ATTRIB_MAX 8
#define STACK_CALLERS 4

typedef struct StackGrowth {
    char function[96]; /* "fault_step_end", "grow" */
    char where[160]; /* "engine/fault.c:13", or "" when unknown */
    double bytes; /* held at the end and not after warm-up */
    double bytes_per_iter;
    double share; /* of all the growth */
    /* its callers in its heaviest stack, the nearest first: a function and, for a line of
     * Python, its place ("main", "train.py:40"; stack_callers_line joins them) */
    struct {
        char function[96];
        char where[104];
    } callers[STACK_CALLERS];
    int n_callers;
    int library; /* a line of Python charged in a library's file (pyattrib.h) */
    double heaviest; /* the bytes of that stack */
    /* a Python program traced in its run (pyattrib.h) */
    int python; /* a line of the program's Python (function: its def), not a native function */
    char code[160]; /* that line's source, stripped */
    int traced; /* a native stack whose memory tracemalloc traced too (a line above names it) */
    double traced_bytes; /* of bytes, those of stacks through tracemalloc (while charging) */
    /* grown in one heap profile after the early one only (a short run): a block that
     * happened to be live at that dump (a file's buffer while a checkpoint is written) is
     * not told from one kept, so it names its run but makes no problem of its own */
    int one_profile;
    /* held no more in the last heap profile than in the first of the late ones: a block
     * live at several dumps (a checkpoint's file buffer each time one is written), not one
     * that piles up; like one_profile, it names its run but makes no problem of its own */
    int recurs;
} StackGrowth;

/* Adds a caller (function, and its place or "") after g's others; dropped past STACK_CALLERS. */
void stack_add_caller(StackGrowth *g, const char *function, const char *where);

/* g's callers in one line, as the outputs show them: "main <- __libc_start_call_main",
 * "main (train.py:40) <- <module> (train.py:50) (library)". */
void stack_callers_line(const StackGrowth *g, char *out, size_t cap);

#endif
