/* commands.h - the soak's entry points, each as thin as gpt_forward: parse, run,
 * conclude, render. soak.c picks one from argv[1].
 *
 *   soak [options]            soak_main (soak_run.c): run the matrix
 *   soak merge DIR...         soak_merge (commands.c): one summary from several soaks
 *   soak report [DIR]         soak_report (commands.c): the page again
 *   soak baseline [DIR]       soak_baseline (commands.c): save a summary as the baseline
 *   soak workload NAME        soak_workload (commands.c): a workload's train_full arguments
 *   soak list KIND            soak_list (commands.c): valid names
 *   soak check [options]      soak_check (commands.c): check the options, run nothing */
#ifndef HARNESS_COMMANDS_H
#define HARNESS_COMMANDS_H

#include "result.h"

int soak_main(int argc, char **argv);
int soak_merge(int argc, char **argv);
int soak_report(int argc, char **argv);
int soak_baseline(int argc, char **argv);
int soak_workload(int argc, char **argv);
int soak_list(int argc, char **argv);
int soak_check(int argc, char **argv);

/* `soak bisect GOOD BAD [options]`: harness/bisect (installed: PREFIX/lib/flatmem/bisect),
 * with this program as the soak of each commit unless --soak is given (docs/ci.md). */
int soak_bisect(int argc, char **argv);

/* The ending shared by the commands that end with a result (a soak that ran, a merge):
 * reads a bisect result from out, concludes (conclude.h; the baseline comparison must be
 * in res->base already) and renders every output (render.h), the console table included.
 * Returns the exit status: 0 PASS, 1 otherwise (or an output could not be written), 2 when
 * the baseline shares no run. */
int soak_finish(SoakResult *res, const char *out, const char *templates);

#endif
