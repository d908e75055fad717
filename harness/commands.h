/* commands.h - the soak's entry points, each as thin as gpt_forward: parse, run,
 * conclude, render. soak.c picks one from argv[1].
 *
 *   soak [options]            soak_main (soak_run.c): run the matrix
 *   soak merge DIR...         soak_merge (commands.c): one summary from several soaks
 *   soak report [DIR]         soak_report (commands.c): the page again
 *   soak baseline [DIR]       soak_baseline (commands.c): save a summary as the baseline
 *   soak workload NAME        soak_workload (commands.c): a workload's train_full arguments
 *   soak list KIND            soak_list (commands.c): valid names
 *   soak check [options]      soak_check (commands.c): check the options, run nothing
 *   soak history FILE.db      soak_history (history_cmd.c): the soaks across commits */
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
 * With history (a --history FILE.db, or NULL), records it there (hist_record_soak).
 * Returns the exit status: 0 PASS, 1 otherwise (or an output could not be written, or the
 * history), 2 when the baseline shares no run. */
int soak_finish(SoakResult *res, const char *out, const char *templates, const char *history);

/* `soak history FILE.db ...` (history_cmd.c): the history's series, change points, page,
 * --check and --bisect (docs/history.md). */
int soak_history(int argc, char **argv);

/* Appends a concluded soak (its report in out) to the history db (histdb.h); a shard is left
 * to its merge. 0, or -1 after a message. */
int hist_record_soak(const char *db, const SoakResult *res, const char *out);

/* Opens (creating) the history db to learn before a soak runs that it can be written: 0, or
 * 2 after a message. */
int hist_check_db(const char *db);

#endif
