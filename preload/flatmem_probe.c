/* libflatmem-probe.so - preloaded by the soak into a program it runs (--cmd), and into the
 * engine's jemalloc runs. It measures nothing by itself and replaces nothing: jemalloc (when
 * it is preloaded too) interposes malloc, records stacks and writes heap profiles; this
 * library only asks it for them, and records the program's step marks.
 *
 * It acts only in the process the soak started (FLATMEM_PID is that process's pid: a child
 * the program starts inherits the environment but is left alone) and only with FLATMEM_DIR
 * set (the run folder). There it writes, with write(2) and no allocation:
 *   span.csv    "t_ns,0" when the program's own start-up has begun (this constructor) and
 *               "t_ns,1" at its exit (exit()'s handlers, before the tools': probe_exit):
 *               the program's time without a tool's start-up and leak check, for
 *               samples placed by time
 *   steps.csv   "t_ns,step" for each flatmem_step(step) (include/flatmem.h)
 *   mmaps.csv   "t_ns,1,addr,len,ret1;ret2;..." for each mapping the program makes with
 *               mmap (glibc's malloc maps through its own internal call, not this one),
 *               with up to PROBE_FRAMES return addresses of its stack, and "t_ns,0,addr,len"
 *               for each munmap: memory mapped outside malloc, charged to the code that
 *               mapped it (harness/judge/mapattrib.h); mapping calls are rare enough to
 *               record each one's stack
 *   fdops.csv   "t_ns,1,fd,1,ret1;ret2;..." for each descriptor the program opens (open,
 *               openat, creat, dup, dup2, dup3, socket, accept, accept4, pipe, pipe2,
 *               socketpair, fopen) with its stack, "t_ns,0,fd,1" for each it closes
 *               (close, fclose): the descriptors left open charged to the code that
 *               opened them; what libc opens inside itself (opendir) is not seen
 *   maps.txt    /proc/self/maps at its exit: where each library was, to name the frames
 *   probe.csv   "t_ns,allocated,active,resident,mapped,retained": jemalloc's statistics
 *               (allocated without its profiler's weight: probes/je_allocated.h)
 *               every 2 ms at first, then every 1/50 of the time so far, at most every
 *               FLATMEM_SAMPLE_MS (100) milliseconds, when jemalloc is there; and,
 *               for a program that marks its steps with FLATMEM_ITERS=N set, at the
 *               end of every N/64-th step (from the marking thread: a run whose
 *               sampler thread was not given the core still has its 64 rows)
 *   malloc.csv  "t_ns,in_use": glibc's heap in use (mallinfo2: uordblks + hblkhd) as
 *               often, with FLATMEM_MALLINFO=1 (native runs) and no jemalloc
 *   dumps.csv   "t_ns,file": heap profiles it had jemalloc dump (jeprof.t<ms>.heap) at
 *               0.05, 0.1, 0.2, 0.4, ... seconds after start (each time doubled), when
 *               jemalloc's profiler is on; and, for a program that marks its steps with
 *               FLATMEM_ITERS=N set (the run's count), at the first mark of step N/8 or
 *               more, 2N/8, ..., N (jeprof.s<step>.heap): placed at their step exactly
 * With FLATMEM_CONTROL=KEEP,LOSE,MS[,UNTIL] (the soak's control run of a mode, docs/soak.md,
 * "Controls") it also plants a known growth: at each step mark (MS 0), or every MS
 * milliseconds from its start (until UNTIL ms when given), KEEP bytes kept (flatmem_control_keep: a chain of
 * blocks reachable from a static) and LOSE bytes lost (flatmem_control_lose: allocated, dropped), through the
 * program's own malloc, so that each mode's tool sees them as the program's; control.csv: "t_ns,keep,lose"
 * for each planting. t_ns: CLOCK_MONOTONIC, the clock the soak's own samples use. Format:
 * docs/any-program.md. */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "je_allocated.h"

typedef int (*MallctlFn)(const char *, void *, size_t *, void *, size_t);

static struct {
    int active;
    char dir[3072];
    int steps_fd, probe_fd, dumps_fd, malloc_fd, span_fd, mmaps_fd, fds_fd;
    pid_t pid; /* the process it acts in (a forked child inherits this state, not the role) */
    MallctlFn mallctl;
    long sample_ms;
    int prof; /* jemalloc's profiler is on: dumps */
    unsigned long long iters, next_mark; /* FLATMEM_ITERS; the step of the next dump by step */
    int marks_done;
    unsigned long long every, next_sample; /* a sample at every `every`-th step mark (FLATMEM_ITERS / 64) */
    volatile uint64_t loop_ns; /* the first step mark (0: none yet) */
} g = {.steps_fd = -1,
       .probe_fd = -1,
       .dumps_fd = -1,
       .malloc_fd = -1,
       .span_fd = -1,
       .mmaps_fd = -1,
       .fds_fd = -1};

/* ---- the control: a known growth the soak plants to prove a mode sees (FLATMEM_CONTROL) ---- */

static struct {
    unsigned long keep, lose, ms; /* bytes kept, bytes lost, at each mark (ms 0) or every ms */
    unsigned long until_ms; /* by time: none after this many ms (0: no end) */
    volatile int stopped; /* the program is exiting: a tool's leak check may be under way */
} ctl;
static void *volatile ctl_chain; /* the kept blocks, each pointing at the one before */
static void *volatile ctl_dropped;

void flatmem_control_keep(unsigned long bytes);
__attribute__((noinline)) void flatmem_control_keep(unsigned long bytes)
{
    void **p = malloc(bytes < sizeof(void *) ? sizeof(void *) : bytes);
    if (!p)
        return;
    memset(p, 0xc5, bytes);
    *p = ctl_chain;
    ctl_chain = p;
}

void flatmem_control_lose(unsigned long bytes);
__attribute__((noinline)) void flatmem_control_lose(unsigned long bytes)
{
    char *p = malloc(bytes);
    if (p)
        memset(p, 0xc6, bytes);
    ctl_dropped = p;
    ctl_dropped = NULL; /* nothing points at it any more */
}

static int ctl_fd = -1; /* control.csv: "t_ns,keep,lose" for each planting */
static void put_line(int fd, const uint64_t *v, int n, const char *rest);
static uint64_t now_ns(void);

/* At exit: no more planting (a leak check would miss what comes after it). */
static void control_stop(void)
{
    ctl.stopped = 1;
}

static void control_plant(void)
{
    static int registered;
    if (ctl.stopped)
        return;
    if (!registered) { /* at the first planting, after every library's constructor: so it runs
                        * before LeakSanitizer's leak check, which its initializer registered */
        registered = 1;
        atexit(control_stop);
    }
    if (ctl_fd >= 0)
        put_line(ctl_fd, (uint64_t[3]){now_ns(), ctl.keep, ctl.lose}, 3, NULL);
    if (ctl.keep)
        flatmem_control_keep(ctl.keep);
    if (ctl.lose)
        flatmem_control_lose(ctl.lose);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Appends a line of up to four numbers (and an optional string) with one write(2). */
static void put_line(int fd, const uint64_t *v, int n, const char *s)
{
    char buf[4096];
    int len = 0;
    for (int i = 0; i < n && len < (int)sizeof buf - 32; i++)
        len +=
            snprintf(buf + len, sizeof buf - (size_t)len, "%s%llu", i ? "," : "", (unsigned long long)v[i]);
    if (s)
        len += snprintf(buf + len, sizeof buf - (size_t)len, ",%s", s);
    if (len < (int)sizeof buf - 1) {
        buf[len++] = '\n';
        ssize_t w = write(fd, buf, (size_t)len);
        (void)w;
    }
}

/* ---- mappings: mmap and munmap, each recorded with its stack --------------------------- */

#define PROBE_FRAMES 12

static __thread int t_inside; /* a mapping made while recording one is not recorded */

/* A line of out (mmaps.csv, fdops.csv): "t_ns,made,what,len[,ret;ret;...]", the stack's
 * return addresses past this function and the call recorded when made. */
static void record_op(int out, int made, uint64_t what, uint64_t len)
{
    if (out < 0 || t_inside || syscall(SYS_getpid) != g.pid)
        return;
    t_inside = 1;
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "%llu,%d,%llu,%llu", (unsigned long long)now_ns(), made,
                     (unsigned long long)what, (unsigned long long)len);
    if (made) {
        void *frames[PROBE_FRAMES + 2];
        int k = backtrace(frames, PROBE_FRAMES + 2);
        for (int i = 2; i < k && n < (int)sizeof buf - 24; i++) /* past this function and mmap */
            n += snprintf(buf + n, sizeof buf - (size_t)n, "%s%llx", i == 2 ? "," : ";",
                          (unsigned long long)(uintptr_t)frames[i]);
    }
    buf[n++] = '\n';
    ssize_t w = write(out, buf, (size_t)n);
    (void)w;
    t_inside = 0;
}

static void record_mapping(int made, void *addr, size_t len)
{
    record_op(g.mmaps_fd, made, (uint64_t)(uintptr_t)addr, len);
}

/* The system calls themselves: no dlsym (it allocates, and an allocator maps its memory
 * through here before anything is set up). */
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    void *p = (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
    if (p != MAP_FAILED)
        record_mapping(1, p, len);
    return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return mmap(addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len)
{
    int rc = (int)syscall(SYS_munmap, addr, len);
    if (rc == 0)
        record_mapping(0, addr, len);
    return rc;
}

/* ---- descriptors: each one the program opens, with its stack, and each close ------------ */

/* fdops.csv: "t_ns,1,fd,1,ret;ret;..." for each descriptor made, "t_ns,0,fd,1" for each
 * closed: the descriptors still open at the end charged to the code that opened them, as
 * mappings are (harness/judge/mapattrib.h). Through the system calls themselves (no dlsym:
 * an allocator opens files as it starts), and fopen/fclose through the next library's. */
static int fd_made(long fd)
{
    if (fd >= 0)
        record_op(g.fds_fd, 1, (uint64_t)fd, 1);
    return (int)fd;
}

static void fd_closed(int fd)
{
    if (fd >= 0)
        record_op(g.fds_fd, 0, (uint64_t)fd, 1);
}

/* The mode argument of an open that creates (O_CREAT, O_TMPFILE), else 0. */
static mode_t mode_arg(int flags, va_list *ap)
{
    return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(*ap, mode_t) : 0;
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, &ap);
    va_end(ap);
    return fd_made(syscall(SYS_openat, dirfd, path, flags, mode));
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, &ap);
    va_end(ap);
    return openat(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int creat(const char *path, mode_t mode)
{
    return fd_made(syscall(SYS_openat, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode));
}

int dup(int fd)
{
    return fd_made(syscall(SYS_dup, fd));
}

int dup3(int fd, int to, int flags)
{
    int was_open = fcntl(to, F_GETFD) >= 0;
    int rc = (int)syscall(SYS_dup3, fd, to, flags);
    if (rc >= 0 && was_open)
        fd_closed(to); /* dup3 closed what was there */
    return fd_made(rc);
}

int dup2(int fd, int to)
{
    if (fd == to) /* dup3 refuses it; dup2 checks fd and returns it */
        return fcntl(fd, F_GETFD) >= 0 ? to : -1;
    return dup3(fd, to, 0);
}

int socket(int domain, int type, int protocol)
{
    return fd_made(syscall(SYS_socket, domain, type, protocol));
}

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    return fd_made(syscall(SYS_accept4, fd, addr, len, flags));
}

int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    return accept4(fd, addr, len, 0);
}

int pipe2(int fds[2], int flags)
{
    int rc = (int)syscall(SYS_pipe2, fds, flags);
    if (rc == 0)
        fd_made(fds[0]), fd_made(fds[1]);
    return rc;
}

int pipe(int fds[2])
{
    return pipe2(fds, 0);
}

int socketpair(int domain, int type, int protocol, int fds[2])
{
    int rc = (int)syscall(SYS_socketpair, domain, type, protocol, fds);
    if (rc == 0)
        fd_made(fds[0]), fd_made(fds[1]);
    return rc;
}

int close(int fd)
{
    int rc = (int)syscall(SYS_close, fd);
    if (rc == 0 || errno == EINTR) /* Linux closes it even then */
        fd_closed(fd);
    return rc;
}

typedef FILE *(*FopenFn)(const char *, const char *);

static FILE *fopen_next(const char *name, const char *path, const char *mode)
{
    FopenFn next;
    *(void **)&next = dlsym(RTLD_NEXT, name);
    FILE *f = next ? next(path, mode) : NULL;
    if (f)
        fd_made(fileno(f));
    return f;
}

FILE *fopen(const char *path, const char *mode)
{
    return fopen_next("fopen", path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
    return fopen_next("fopen64", path, mode);
}

int fclose(FILE *f)
{
    int (*next)(FILE *);
    *(void **)&next = dlsym(RTLD_NEXT, "fclose");
    int fd = f ? fileno(f) : -1;
    int rc = next ? next(f) : EOF;
    fd_closed(fd); /* closed whether or not its buffer could be written */
    return rc;
}

/* Copies /proc/self/maps into the run folder, with read and write. */
static void copy_maps(void)
{
    char path[sizeof g.dir + 16], buf[8192];
    snprintf(path, sizeof path, "%s/maps.txt", g.dir);
    int in = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    int out = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ssize_t n;
    while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            break;
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
}

#define PROBE_STEP_DUMPS 8 /* dumps by step in a run of FLATMEM_ITERS steps */
#define PROBE_MARK_SAMPLES 64 /* samples at step marks in such a run */

static void dump_named(const char *name)
{
    uint64_t t = now_ns();
    char file[sizeof g.dir + 64];
    snprintf(file, sizeof file, "%s/%s", g.dir, name);
    const char *p = file;
    if (g.mallctl("prof.dump", NULL, NULL, (void *)&p, sizeof p) == 0) {
        uint64_t v[1] = {t};
        put_line(g.dumps_fd, v, 1, name);
    }
}

static void sample(void);

void flatmem_probe_step(unsigned long long step);
void flatmem_probe_step(unsigned long long step)
{
    if (!ctl.ms && getpid() == g.pid)
        control_plant();
    if (g.every && step >= g.next_sample && (g.probe_fd >= 0 || g.malloc_fd >= 0)) {
        sample(); /* at the end of a step, whatever the sampler thread was given of the core */
        g.next_sample = step + g.every;
    }
    if (g.steps_fd >= 0) {
        uint64_t v[2] = {now_ns(), step};
        put_line(g.steps_fd, v, 2, NULL);
        if (!g.loop_ns)
            g.loop_ns = v[0];
    }
    if (g.prof && g.iters && g.marks_done < PROBE_STEP_DUMPS && step >= g.next_mark) {
        char name[64];
        snprintf(name, sizeof name, "jeprof.s%llu.heap", step);
        dump_named(name);
        while (g.marks_done < PROBE_STEP_DUMPS && step >= g.next_mark) {
            g.marks_done++;
            g.next_mark =
                (g.iters * (unsigned long long)(g.marks_done + 1) + PROBE_STEP_DUMPS - 1) / PROBE_STEP_DUMPS;
        }
    }
}

static int open_out(const char *name)
{
    char path[sizeof g.dir + 32];
    snprintf(path, sizeof path, "%s/%s", g.dir, name);
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

static uint64_t stat_of(const char *name)
{
    size_t v = 0, len = sizeof v;
    return g.mallctl(name, &v, &len, NULL, 0) == 0 ? v : 0;
}

static void sample_glibc(void)
{
    struct mallinfo2 mi = mallinfo2();
    uint64_t v[2] = {now_ns(), mi.uordblks + mi.hblkhd};
    put_line(g.malloc_fd, v, 2, NULL);
}

static pthread_mutex_t g_sample_lock = PTHREAD_MUTEX_INITIALIZER;

static void sample_locked(void);

/* One row of statistics; the sampler thread and the step marks take turns (rows in order). */
static void sample(void)
{
    pthread_mutex_lock(&g_sample_lock);
    sample_locked();
    pthread_mutex_unlock(&g_sample_lock);
}

static void sample_locked(void)
{
    if (!g.mallctl) {
        sample_glibc();
        return;
    }
    uint64_t epoch = 1;
    size_t len = sizeof epoch;
    g.mallctl("epoch", &epoch, &len, &epoch, len);
    int ok;
    uint64_t v[6] = {now_ns(),
                     je_allocated_exact(g.mallctl, &ok),
                     stat_of("stats.active"),
                     stat_of("stats.resident"),
                     stat_of("stats.mapped"),
                     stat_of("stats.retained")};
    char rest[64];
    snprintf(rest, sizeof rest, "%llu,%llu", (unsigned long long)v[4], (unsigned long long)v[5]);
    put_line(g.probe_fd, v, 4, rest);
}

static void dump(uint64_t t0)
{
    char name[64];
    snprintf(name, sizeof name, "jeprof.t%llu.heap", (unsigned long long)((now_ns() - t0) / 1000000u));
    dump_named(name);
}

static void *sampler(void *arg)
{
    (void)arg;
    uint64_t t0 = now_ns(), next_dump_ms = 50, next_sample_ms = 0, next_plant_ms = ctl.ms;
    int prof = g.prof;
    for (;;) { /* wakes every 2 ms: statistics every 2 ms at first (as the soak reads RSS),
                * then every 1/50 of the time so far (from the first step mark again, as the
                * soak does), at most every sample_ms; dumps on their schedule */
        uint64_t now = now_ns(), ms = (now - t0) / 1000000u, loop = g.loop_ns;
        uint64_t gap = (loop && now > loop ? (now - loop) / 1000000u : ms) / 50;
        while (ctl.ms && ms >= next_plant_ms && (!ctl.until_ms || next_plant_ms <= ctl.until_ms)) {
            control_plant();
            next_plant_ms += ctl.ms;
        }
        if ((g.probe_fd >= 0 || g.malloc_fd >= 0) && ms >= next_sample_ms) {
            sample();
            next_sample_ms = ms + (gap < 2 ? 2 : gap > (uint64_t)g.sample_ms ? (uint64_t)g.sample_ms : gap);
        }
        if (prof && ms >= next_dump_ms) {
            dump(t0);
            next_dump_ms *= 2;
        }
        struct timespec ts = {0, 2 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

__attribute__((constructor)) static void probe_start(void)
{
    const char *dir = getenv("FLATMEM_DIR"), *pid = getenv("FLATMEM_PID");
    if (!dir || !pid || atol(pid) != (long)getpid() || strlen(dir) >= sizeof g.dir)
        return;
    strcpy(g.dir, dir);
    g.pid = getpid();
    t_inside = 1; /* the probe's own files are not the program's descriptors */
    void *warm[2];
    backtrace(warm, 2); /* its first call loads libgcc's unwinder (and allocates): now, not in mmap */
    g.mmaps_fd = open_out("mmaps.csv");
    g.fds_fd = open_out("fdops.csv");
    g.span_fd = open_out("span.csv");
    if (g.span_fd >= 0)
        put_line(g.span_fd, (uint64_t[2]){now_ns(), 0}, 2, NULL);
    g.steps_fd = open_out("steps.csv");
    const char *ms = getenv("FLATMEM_SAMPLE_MS");
    g.sample_ms = ms && atol(ms) > 0 ? atol(ms) : 100;
    *(void **)&g.mallctl = dlsym(RTLD_DEFAULT, "mallctl");
    const char *it = getenv("FLATMEM_ITERS");
    g.iters = it ? strtoull(it, NULL, 10) : 0;
    g.every = g.iters ? (g.iters + PROBE_MARK_SAMPLES - 1) / PROBE_MARK_SAMPLES : 0;
    const char *mi = getenv("FLATMEM_MALLINFO");
    if (g.mallctl) {
        g.probe_fd = open_out("probe.csv");
        g.dumps_fd = open_out("dumps.csv");
        _Bool on = 0;
        size_t len = sizeof on;
        g.prof = g.mallctl("opt.prof", &on, &len, NULL, 0) == 0 && on;
        g.next_mark = (g.iters + PROBE_STEP_DUMPS - 1) / PROBE_STEP_DUMPS;
    } else if (mi && *mi == '1') {
        g.malloc_fd = open_out("malloc.csv");
    }
    const char *control = getenv("FLATMEM_CONTROL");
    if (control && sscanf(control, "%lu,%lu,%lu,%lu", &ctl.keep, &ctl.lose, &ctl.ms, &ctl.until_ms) < 3)
        ctl.keep = ctl.lose = ctl.ms = 0;
    if (ctl.keep || ctl.lose)
        ctl_fd = open_out("control.csv");
    t_inside = 0;
    if (g.probe_fd < 0 && g.malloc_fd < 0 && !ctl.ms)
        return; /* steps only */
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&t, &attr, sampler, NULL);
    pthread_attr_destroy(&attr);
}

/* The program's end: at exit(), from a handler registered as main starts (below), so
 * that it runs after the program's own handlers (registered later) and before those of
 * the tools and the loader (registered while the libraries started): LeakSanitizer's leak
 * check and jemalloc's last profile are not the program's time. A leak check that finds
 * leaks ends the process itself, before any destructor: with the mark in a destructor
 * there was no end, and the check's seconds were placed as the last steps (a thread leak
 * read flat under load). The destructor is the fallback (a program whose main is not
 * started by glibc's __libc_start_main). */
static int ended;
static void probe_exit(void)
{
    if (ended || g.span_fd < 0 || getpid() != g.pid)
        return;
    ended = 1;
    put_line(g.span_fd, (uint64_t[2]){now_ns(), 1}, 2, NULL);
    if (g.mmaps_fd >= 0 || g.fds_fd >= 0)
        copy_maps();
}

__attribute__((destructor)) static void probe_end(void)
{
    probe_exit();
}

typedef int (*MainFn)(int, char **, char **);
static MainFn program_main;

static int probe_main(int argc, char **argv, char **envp)
{
    if (g.span_fd >= 0 && getpid() == g.pid)
        atexit(probe_exit);
    return program_main(argc, argv, envp);
}

/* glibc's start of every dynamically linked program (crt1's _start calls it through the
 * PLT): the program's main, with probe_exit registered first. */
int __libc_start_main(MainFn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end);
int __libc_start_main(MainFn main, int argc, char **argv, void (*init)(void), void (*fini)(void),
                      void (*rtld_fini)(void), void *stack_end)
{
    int (*real)(MainFn, int, char **, void (*)(void), void (*)(void), void (*)(void), void *);
    *(void **)&real = dlsym(RTLD_NEXT, "__libc_start_main");
    program_main = main;
    return real(probe_main, argc, argv, init, fini, rtld_fini, stack_end);
}
