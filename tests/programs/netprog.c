/* netprog - a small TCP service and its load, as far as the soak knows somebody else's:
 * tests/e2e/test_anyprog.c soaks `netprog serve PORT BEHAVIOUR` under `netprog load PORT
 * {iters}` (soak --cmd ... --load ...).
 *
 *   netprog serve PORT BEHAVIOUR   listens on 127.0.0.1:PORT, says "listening on PORT" when
 *                                  it does; one request per connection ("GET n\n", answered
 *                                  "OK n\n"); on SIGTERM it finishes and returns from main
 *     clean     nothing kept (a little malloc/free work per request)
 *     leak      1 KiB per request lost (leak_request)
 *     leak-noterm  the same, without a SIGTERM handler: SIGTERM ends it where it is, before
 *               any leak check at exit
 *     session   512 bytes of each client's session kept on a list still reachable
 *               (keep_session)
 *     fdleak    a duplicate of each connection's socket never closed (keep_connection)
 *     crash     dies of SIGSEGV at the 50th request
 *     crash-late  at the 50th request closes the connection unanswered and dies of SIGSEGV
 *               a quarter of a second later: its load has failed first (a server that
 *               logs, or dumps its core, before it goes)
 *     prefork   a worker child, forked at the start, serves every request and keeps each
 *               client's session (keep_session); the parent only waits, and on SIGTERM
 *               stops the worker and then itself
 *   netprog load PORT N            N requests, one connection each, printing "done K" after
 *                                  every hundredth of them; exit 1 when the server does not
 *                                  answer
 * Exit 2 on bad usage. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t g_stop;
static void *volatile g_lost; /* leak: overwritten every request */

struct session {
    struct session *next;
    char data[512 - sizeof(void *)];
};
static struct session *g_sessions; /* session: still reachable at exit */
static int g_kept = -1; /* fdleak: the last duplicate, the others forgotten */

static void on_term(int sig)
{
    (void)sig;
    g_stop = 1;
}

__attribute__((noinline)) static void leak_request(void)
{
    g_lost = malloc(1024);
    memset(g_lost, 1, 1024);
}

__attribute__((noinline)) static void keep_session(long n)
{
    struct session *s = malloc(sizeof *s);
    memset(s->data, (int)(n & 0x7f), sizeof s->data);
    s->next = g_sessions;
    g_sessions = s;
}

__attribute__((noinline)) static void keep_connection(int fd)
{
    g_kept = dup(fd);
}

static struct sockaddr_in loopback(long port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* One request on connection c: a little work, the behaviour, the answer. */
static void answer(int c, const char *behaviour, long *count)
{
    char req[64] = "";
    ssize_t n = read(c, req, sizeof req - 1);
    if (n <= 0)
        return;
    req[n] = 0;
    long k = strtol(req + (strncmp(req, "GET ", 4) ? 0 : 4), NULL, 10);
    for (int i = 0; i < 8; i++) {
        void *p = malloc(256 + (size_t)i * 64);
        memset(p, 5, 256);
        free(p);
    }
    ++*count;
    if (!strcmp(behaviour, "leak"))
        leak_request();
    else if (!strcmp(behaviour, "session"))
        keep_session(k);
    else if (!strcmp(behaviour, "fdleak"))
        keep_connection(c);
    else if (!strcmp(behaviour, "crash") && *count == 50)
        raise(SIGSEGV);
    else if (!strcmp(behaviour, "crash-late") && *count == 50) {
        close(c);
        nanosleep(&(struct timespec){0, 250 * 1000 * 1000}, NULL);
        raise(SIGSEGV);
    }
    char reply[64];
    int len = snprintf(reply, sizeof reply, "OK %ld\n", k);
    if (write(c, reply, (size_t)len) != len)
        return;
}

/* prefork: the parent waits for SIGTERM, hands it on to its worker, and waits for it. */
static int supervise(pid_t worker)
{
    while (!g_stop) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(worker, SIGTERM);
    int status = 0;
    waitpid(worker, &status, 0);
    printf("netprog prefork: the worker exited %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}

static int serve(long port, const char *behaviour)
{
    struct sigaction sa = {.sa_handler = on_term};
    if (strcmp(behaviour, "leak-noterm"))
        sigaction(SIGTERM, &sa, NULL);
    else
        behaviour = "leak";
    sigaction(SIGINT, &sa, NULL);
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = loopback(port);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 64) != 0) {
        perror("netprog serve");
        return 1;
    }
    printf("listening on %ld\n", port);
    fflush(stdout);
    if (!strcmp(behaviour, "prefork")) {
        pid_t worker = fork();
        if (worker > 0) {
            close(s);
            return supervise(worker);
        }
        behaviour = "session"; /* the worker: it serves, and keeps each client's session */
    }
    long count = 0;
    while (!g_stop) {
        struct pollfd p = {.fd = s, .events = POLLIN};
        if (poll(&p, 1, 100) <= 0)
            continue;
        int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        answer(c, behaviour, &count);
        close(c);
    }
    close(s);
    printf("netprog %s: %ld requests, stopped\n", behaviour, count);
    return 0;
}

static int load(long port, long n)
{
    long every = n >= 100 ? n / 100 : 1;
    for (long i = 1; i <= n; i++) {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = loopback(port);
        char req[32], reply[64];
        int len = snprintf(req, sizeof req, "GET %ld\n", i);
        if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0 || write(c, req, (size_t)len) != len ||
            read(c, reply, sizeof reply) <= 0) {
            fprintf(stderr, "netprog load: request %ld of %ld: no answer from 127.0.0.1:%ld\n", i, n, port);
            return 1;
        }
        close(c);
        if (i % every == 0 || i == n) {
            printf("done %ld\n", i);
            fflush(stdout);
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const char *const known[] = {"clean",  "leak",  "leak-noterm", "session",
                                        "fdleak", "crash", "crash-late",  "prefork"};
    long port = argc >= 3 ? atol(argv[2]) : 0;
    int ok = port > 0 && port < 65536 && argc == 4;
    if (ok && !strcmp(argv[1], "load") && atol(argv[3]) > 0)
        return load(port, atol(argv[3]));
    for (size_t i = 0; ok && !strcmp(argv[1], "serve") && i < sizeof known / sizeof known[0]; i++)
        if (!strcmp(argv[3], known[i]))
            return serve(port, argv[3]);
    fprintf(stderr,
            "usage: netprog serve PORT clean|leak|leak-noterm|session|fdleak|crash|crash-late|prefork\n"
            "       netprog load PORT REQUESTS\n");
    return 2;
}
