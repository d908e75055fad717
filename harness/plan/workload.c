#include "workload.h"

#include <stdio.h>
#include <string.h>

/* soak: every path the engine runs, cheaply. Two engine threads (in every mode), a context
 * of 72 (two attention blocks of 64 rows: the multi-block code), products split over the
 * threads from 16384 multiply-adds (the split path of large models; the engine's own
 * threshold is 1M), evaluation with a sample of generated text every 20 steps and a
 * checkpoint every 50, arena chunks of 64 KiB (a step spans several until the arena has
 * fitted itself, as large models' steps do), and in the sweep runs that resume from a
 * checkpoint. One layer of
 * 16 channels keeps Valgrind at ~28 ms an iteration (docs/soak.md). */
static const Workload k_workloads[] = {
    {"soak",
     {"--tiny", "--layers",         "1",  "--ctx",
      "72",     "--batch",          "2",  "--embd",
      "16",     "--heads",          "1",  "--split-min-macs",
      "16384",  "--eval-every",     "20", "--eval-batches",
      "2",      "--eval-sample",    "16", "--save-every",
      "50",     "--arena-chunk-kb", "64", NULL},
     2,
     1,
     {{"native", 1.2}, {"asan", 4.0}, {"valgrind", 30.0}, {"jemalloc", 1.2}, {"lsan", 2.0}},
     "every path: 2 threads, split products, 2 attention blocks, eval + sample, checkpoints, resume",
     NULL,
     NULL},
    {"tiny",
     {"--tiny", NULL},
     0,
     0,
     {{"native", 0.6}, {"asan", 1.5}, {"valgrind", 50.0}, {"jemalloc", 0.7}, {"lsan", 1.0}},
     "the --tiny preset on cores / jobs threads",
     NULL,
     NULL},
    {"small",
     {"--small", NULL},
     0,
     0,
     {{"native", 240}, {"asan", 600}, {"valgrind", 20000}, {"jemalloc", 240}, {"lsan", 300}},
     "the --small preset on cores / jobs threads",
     NULL,
     NULL},
    {"medium",
     {"--medium", NULL},
     0,
     0,
     {{"native", 720}, {"asan", 1800}, {"valgrind", 60000}, {"jemalloc", 720}, {"lsan", 900}},
     "the --medium preset on cores / jobs threads",
     NULL,
     NULL},
    /* GPT-2 small's layers (12 x 768 channels, 85M parameters with characters) at a context
     * of 64, one sequence a step: about 0.6 s a step natively on 2 cores; a sample row every
     * step (the runs are short), one evaluation batch. Counts and modes that take about 10
     * minutes (valgrind would take hours: not by default). Five counts, not three: the
     * high-water mark of a 1.3 GiB process moves by ~100 KiB from run to run, and three
     * counts rise in turn by chance one time in six (the sweep rule wants every count above
     * the one before); five, one time in 120 */
    {"gpt2",
     {"--gpt2", "--ctx", "64", "--sample-every", "1", "--eval-batches", "1", NULL},
     0,
     0,
     {{"native", 700}, {"asan", 1500}, {"valgrind", 100000}, {"jemalloc", 800}, {"lsan", 1000}},
     "GPT-2 small's 12 layers x 768 channels at context 64 (about 0.6 s a step; 10 minutes)",
     "16,24,32,48,64",
     "native,jemalloc,asan"},
    /* --cmd: the user's program; what it costs is not known (for ordering and timeouts) */
    {"cmd",
     {NULL},
     0,
     0,
     {{"native", 2}, {"asan", 6}, {"valgrind", 60}, {"jemalloc", 3}, {"lsan", 4}},
     "(set by --cmd: a program of your own)",
     NULL,
     NULL},
};

double workload_ms(const Workload *w, Mode m)
{
    double most = 0;
    for (int i = 0; i < WORKLOAD_MAX_MODES && w->cost[i].mode; i++) {
        if (!strcmp(w->cost[i].mode, mode_name(m)))
            return w->cost[i].ms;
        most = w->cost[i].ms > most ? w->cost[i].ms : most;
    }
    return most;
}

const Workload *workload_find(const char *name)
{
    for (size_t i = 0; i < sizeof k_workloads / sizeof k_workloads[0]; i++)
        if (!strcmp(k_workloads[i].name, name))
            return &k_workloads[i];
    return NULL;
}

const char *workload_names(char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < sizeof k_workloads / sizeof k_workloads[0] && k_workloads[i].args[0] && n < cap;
         i++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", i ? ", " : "", k_workloads[i].name);
    return out;
}

void workload_list(FILE *f)
{
    for (size_t i = 0; i < sizeof k_workloads / sizeof k_workloads[0] && k_workloads[i].args[0]; i++)
        fprintf(f, "                       %-7s %s%s\n", k_workloads[i].name, k_workloads[i].about,
                i == 0 ? " (default)" : "");
}
