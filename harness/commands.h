/* commands.h - the soak's entry points, each as thin as gpt_forward: parse, run,
 * conclude, render. soak.c picks one from argv[1].
 *
 *   soak [options]            soak_main (soak_run.c): run the matrix
 *   soak merge DIR...         soak_merge (merge.c): one summary from several soaks
 *   soak report [DIR]         soak_report (merge.c): the page again
 *   soak baseline [DIR]       soak_baseline (merge.c): save a summary as the baseline
 *   soak workload NAME        soak_workload (merge.c): a workload's train_full arguments
 *   soak list KIND            soak_list (merge.c): valid names
 *   soak check [options]      soak_check (merge.c): check the options, run nothing */
#ifndef HARNESS_COMMANDS_H
#define HARNESS_COMMANDS_H

#include "summary.h"

int soak_main(int argc, char **argv);
int soak_merge(int argc, char **argv);
int soak_report(int argc, char **argv);
int soak_baseline(int argc, char **argv);
int soak_workload(int argc, char **argv);
int soak_list(int argc, char **argv);
int soak_check(int argc, char **argv);

/* Shared by the commands that end with a result: compares with the baseline (if
 * res->base.path), concludes, writes summary.json, junit.xml and the report, points
 * reports/latest at out (when below reports/out/), prints the console table when print.
 * Returns the exit status: 0 PASS, 1 otherwise, 2 when the baseline shares no run. */
int soak_finish(SoakResult *res, const char *out, const char *templates, int print);

/* "reports/out/<date>-<time>-<pid><suffix>" into out. */
void soak_default_out(char *out, size_t cap, const char *suffix);

#endif
