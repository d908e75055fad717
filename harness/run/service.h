/* service.h - a run of a service (--cmd SERVER --load 'CLIENT {iters}'): a program that
 * never exits by itself, soaked under a load.
 *
 * The run's process is the server, started and wrapped by its mode as any command. Then,
 * watched by the runner:
 * {port} in --cmd and --load is a free port of the run's own (the soak binds port 0 and
 * lets go); without it a service's runs go one at a time (their port is the same).
 *   readying  until it is ready: --ready-port PORT (or the run's {port}) accepts a
 *             connection on 127.0.0.1, or a
 *             line of its output matches --ready-regex RE, or (neither given) a second
 *             has passed; past --ready-timeout S it is stopped, "never became ready"
 *   loading   the load command runs with the count ({iters}: requests, not iterations),
 *             its output into RUN/load.txt and RUN/load-stderr.txt, in the run's tag
 *             (tree.h); the server is sampled as any command (cmdrun.h), its samples
 *             placed over the load: by the load's progress lines (--step-regex on
 *             load.txt), by the server's flatmem_step marks, or by time
 *   settling  the load has failed: for SERVICE_SETTLE_S (three times that under memcheck)
 *             the server may still end on its own, having made its load fail as it went
 *             (it closed its connection, then crashed: a log or a core dump in between);
 *             then it ended under its load ("exited"), else it is stopped
 *   stopping  the load has ended: the server gets SIGTERM, so that LeakSanitizer, memcheck
 *             and jemalloc's last profile speak at its exit, and SIGKILL when it is still
 *             there --stop-grace S later (three times that under memcheck, whose leak
 *             check takes its time)
 * The load's start and end are marked in RUN/span.csv ("t_ns,2", "t_ns,3") and the way the
 * run ended in run.txt (facts.h): service_end=stopped|killed|not-ready|exited, ready_s,
 * load_exit, load_signal. A server that ends on its own before the load has finished has
 * crashed ("exited"); a load that fails is the load's failure (LOAD_FAILED), not the
 * server's. */
#ifndef HARNESS_SERVICE_H
#define HARNESS_SERVICE_H

#include <regex.h>
#include <sys/types.h>

#include "options.h"
#include "runs.h"

typedef enum SvcPhase { SVC_READYING, SVC_LOADING, SVC_SETTLING, SVC_STOPPING, SVC_OVER } SvcPhase;

/* How long a server whose load failed is given to end on its own before it is stopped. */
#define SERVICE_SETTLE_S 1.0

typedef struct Service {
    SvcPhase phase;
    double t_phase; /* when the phase began (monotonic seconds) */
    pid_t load_pid;
    long seen[2]; /* bytes of the server's stdout.txt and stderr.txt read for --ready-regex */
    int have_regex;
    regex_t ready;
} Service;

/* 1 when the soak's target is a service (--load given). */
int service_enabled(const Options *o);

/* Before run r starts: a free port of its own when the commands name {port}, so that
 * several servers run at once. */
void service_prepare(const Options *o, Run *r);

/* The server of run r has just been started. 0, or -1 after a message. */
int service_start(Service *s, const Options *o, Run *r);

/* One look: the next phase when its time has come (ready, load ended, grace over). */
void service_tick(Service *s, const Options *o, Run *r);

/* Whether the load has ended and the next service_tick stops the server (the load is
 * not reaped here). */
int service_load_over(const Service *s);

/* The server has ended (waited for): the load, if still running, is stopped and reaped;
 * what happened is recorded into r (service_end and the load's status). */
void service_ended(Service *s, Run *r);

#endif
