#include "service.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "argv.h"
#include "target.h"
#include "tree.h"
#include "util.h"

#define SVC_READY_WITHOUT_SIGN_S 1.0 /* neither a port nor a regex: ready after this */

int service_enabled(const Options *o)
{
    return o->load != NULL;
}

/* Appends "t_ns,mark" to RUN/span.csv (cmdrun.h reads it): 2 the load began, 3 it ended. */
static void mark(const Run *r, int what)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/span.csv", r->dir);
    FILE *f = fopen(path, "a");
    if (f) {
        fprintf(f, "%.0f,%d\n", now_s() * 1e9, what);
        fclose(f);
    }
}

static void enter(Service *s, SvcPhase p)
{
    s->phase = p;
    s->t_phase = now_s();
}

void service_prepare(const Options *o, Run *r)
{
    r->port = 0;
    if (!strstr(o->cmd, "{port}") && !strstr(o->load, "{port}"))
        return;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        r->port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
}

int service_start(Service *s, const Options *o, Run *r)
{
    memset(s, 0, sizeof *s);
    s->load_pid = -1;
    enter(s, SVC_READYING);
    r->service = 1;
    r->load_exit = -1;
    snprintf(r->service_end, sizeof r->service_end, "exited");
    if (o->ready_regex && regcomp(&s->ready, o->ready_regex, REG_EXTENDED | REG_NOSUB) != 0) {
        fprintf(stderr, "%s: --ready-regex '%s': not a regular expression\n", program_invocation_short_name,
                o->ready_regex);
        return -1;
    }
    s->have_regex = o->ready_regex != NULL;
    return 0;
}

/* A connection to 127.0.0.1:port is accepted. */
static int port_open(long port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

/* A new complete line of the server's output (stdout.txt, stderr.txt) matches the regex. */
static int output_says_ready(Service *s, const Run *r)
{
    static const char *const files[] = {"stdout.txt", "stderr.txt"};
    int found = 0;
    for (int k = 0; k < 2 && !found; k++) {
        char path[PATH_MAX + 16], line[4096];
        snprintf(path, sizeof path, "%s/%s", r->dir, files[k]);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        fseek(f, s->seen[k], SEEK_SET);
        while (!found && fgets(line, sizeof line, f)) {
            size_t len = strlen(line);
            if (line[len - 1] != '\n')
                break; /* not complete yet */
            s->seen[k] += (long)len;
            found = regexec(&s->ready, line, 0, NULL, 0) == 0;
        }
        fclose(f);
    }
    return found;
}

static int ready(Service *s, const Options *o, const Run *r)
{
    if (o->ready_port || (r->port && !s->have_regex))
        return port_open(o->ready_port ? o->ready_port : r->port);
    if (s->have_regex)
        return output_says_ready(s, r);
    return now_s() - s->t_phase >= SVC_READY_WITHOUT_SIGN_S;
}

/* Starts the load command with the run's count, in the run's tag. */
static int start_load(Service *s, const Options *o, Run *r)
{
    Argv a;
    target_load(o, r, &a);
    char out[PATH_MAX + 16], err[PATH_MAX + 32], tag[PATH_MAX + 64];
    snprintf(out, sizeof out, "%s/load.txt", r->dir);
    snprintf(err, sizeof err, "%s/load-stderr.txt", r->dir);
    int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    tree_tag(r, tag, sizeof tag);
    const char *env[] = {tag};
    s->load_pid = fo < 0 || fe < 0 ? -1 : argv_start(&a, env, 1, fo, fe, ARGV_OWN_GROUP);
    if (fo >= 0)
        close(fo);
    if (fe >= 0)
        close(fe);
    if (s->load_pid < 0) {
        fprintf(stderr, "%s: %s: the load could not be started: %s\n", program_invocation_short_name, r->dir,
                strerror(errno));
        return -1;
    }
    mark(r, 2);
    return 0;
}

/* Asks the server to stop (SIGTERM): its tools report at its exit. */
static void stop_server(Service *s, Run *r, const char *how)
{
    snprintf(r->service_end, sizeof r->service_end, "%s", how);
    kill(r->pid, SIGTERM);
    enter(s, SVC_STOPPING);
}

/* seconds of waiting on a server, three times as many under memcheck (its leak check at
 * exit, its slower everything) */
static double wait_s(double seconds, const Run *r)
{
    return seconds * (mode_spec(r->mode)->memcheck ? 3.0 : 1.0);
}

void service_tick(Service *s, const Options *o, Run *r)
{
    int status;
    switch (s->phase) {
    case SVC_READYING:
        if (ready(s, o, r)) {
            r->ready_s = now_s() - r->t_start;
            if (start_load(s, o, r) == 0)
                enter(s, SVC_LOADING);
            else
                stop_server(s, r, "not-ready");
        } else if (now_s() - s->t_phase > o->ready_timeout_s) {
            r->ready_s = now_s() - r->t_start;
            stop_server(s, r, "not-ready");
        }
        break;
    case SVC_LOADING: {
        pid_t w = waitpid(s->load_pid, &status, WNOHANG);
        if (w == s->load_pid || (w < 0 && errno == ECHILD)) { /* ECHILD: reaped elsewhere, status unknown */
            mark(r, 3);
            r->load_exit = w == s->load_pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            r->load_signal = w == s->load_pid && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
            s->load_pid = -1;
            if (r->load_exit == 0)
                stop_server(s, r, "stopped");
            else /* the server may be going: its end is seen first, when it comes */
                enter(s, SVC_SETTLING);
        }
        break;
    }
    case SVC_SETTLING:
        if (now_s() - s->t_phase > wait_s(SERVICE_SETTLE_S, r))
            stop_server(s, r, "stopped");
        break;
    case SVC_STOPPING:
        if (now_s() - s->t_phase > wait_s(o->stop_grace_s, r)) {
            snprintf(r->service_end, sizeof r->service_end, "killed");
            kill(-r->pid, SIGKILL);
            enter(s, SVC_OVER);
        }
        break;
    case SVC_OVER: break;
    }
}

int service_load_over(const Service *s)
{
    siginfo_t info = {0};
    return s->phase == SVC_LOADING && s->load_pid > 0 &&
           waitid(P_PID, (id_t)s->load_pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
           info.si_pid == s->load_pid;
}

void service_ended(Service *s, Run *r)
{
    if (s->load_pid > 0) { /* the server ended under load: the load goes too */
        int status;
        kill(-s->load_pid, SIGKILL);
        waitpid(s->load_pid, &status, 0);
        mark(r, 3);
        s->load_pid = -1;
    }
    if (s->have_regex)
        regfree(&s->ready);
    s->have_regex = 0;
    enter(s, SVC_OVER);
}
