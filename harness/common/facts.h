/* facts.h - RUN/run.txt: how a run's process ended, recorded by the driver (key=value:
 * mode, iterations, resume_from, fault, config, exit_code, signal, killed, wall_s,
 * peak_rss_bytes, budget_bytes; for a service, service=1, service_end, ready_s,
 * load_exit, load_signal: service.h). The running stage writes it; every later stage starts
 * from it, so that `soak merge` and `soak report` re-derive every verdict. */
#ifndef HARNESS_FACTS_H
#define HARNESS_FACTS_H

#include <stddef.h>

#include "runs.h"

/* Writes run.txt from the fields above. 0 or -1 (errno). */
int run_write_facts(const Run *r);

/* Reads run.txt from dir into r (what, how it ended). 0, or -1 with a message in err. */
int run_read_facts(Run *r, const char *dir, char *err, size_t errlen);

#endif
