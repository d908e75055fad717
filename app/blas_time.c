#include "blas_time.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "gemm.h"
#include "par.h"

/* ---- the child: the model's products, timed ----------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One pass: forward (X W^T), input gradient (dY W) and weight gradient (dY^T X) of each
 * linear layer of a block (qkv C->3C, projection C->C, MLP C->4C and 4C->C) for the rows
 * (batch x context) and channels of --small (2048, 128) and --medium (2048, 192). Returns
 * the multiply-adds. */
static double one_pass(float *x, float *w, float *y)
{
    static const int models[][2] = {{2048, 128}, {2048, 192}};
    double macs = 0;
    for (size_t m = 0; m < sizeof models / sizeof models[0]; m++) {
        int bt = models[m][0], c = models[m][1];
        const int layers[][2] = {{c, 3 * c}, {c, c}, {c, 4 * c}, {4 * c, c}};
        for (size_t l = 0; l < sizeof layers / sizeof layers[0]; l++) {
            int in = layers[l][0], out = layers[l][1];
            gemm(0, 1, bt, out, in, 1.0f, x, in, w, in, 0.0f, y, out);
            gemm(0, 0, bt, in, out, 1.0f, y, out, w, in, 0.0f, x, in);
            gemm(1, 0, out, in, bt, 1.0f, y, out, x, in, 1.0f, w, in);
            macs += 3.0 * bt * in * out;
        }
    }
    return macs;
}

/* 1 when the set computes what the portable kernel computes (within float rounding) for
 * each transpose, on shapes with edges (older OpenBLAS builds computed wrong results with
 * some sets on some CPUs: ../shared/TOOLCHAIN.md): a wrong set is never the fastest. */
static int probe_correct(float *x, float *w, float *y)
{
    static const int shapes[][3] = {{67, 45, 130}, {256, 192, 128}, {9, 300, 33}};
    float *ref = y + 300 * 300;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int t = 0; t < 4; t++) {
            int m = shapes[s][0], n = shapes[s][1], k = shapes[s][2], ta = t & 1, tb = t >> 1;
            gemm(ta, tb, m, n, k, 1.0f, x, ta ? m : k, w, tb ? k : n, 0.0f, y, n);
            gemm_portable(ta, tb, m, n, k, 1.0f, x, ta ? m : k, w, tb ? k : n, 0.0f, ref, n);
            for (int i = 0; i < m * n; i++) {
                float d = y[i] - ref[i], mag = ref[i] < 0 ? -ref[i] : ref[i];
                if (d > 1e-4f * (mag + 1.0f) || d < -1e-4f * (mag + 1.0f))
                    return 0;
            }
        }
    return 1;
}

static void probe_run(void)
{
    const char *want = getenv("OPENBLAS_CORETYPE");
    if (!want || strcmp(want, gemm_kernels())) { /* OpenBLAS did not take the set asked for */
        printf("0 ran %s\n", gemm_kernels());
        fflush(stdout);
        _exit(3);
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    gemm_set_threads(1);
    par_init(cores < 1 ? 1 : cores > PAR_MAX_THREADS ? PAR_MAX_THREADS : (int)cores);
    size_t big = 2048 * 4 * 192; /* rows x the widest layer */
    float *x = malloc(big * sizeof *x), *w = malloc(4 * 192 * 192 * sizeof *w), *y = malloc(big * sizeof *y);
    if (!x || !w || !y)
        _exit(4);
    for (size_t i = 0; i < big; i++)
        x[i] = (float)(i % 17) * 1e-3f, y[i] = (float)(i % 13) * 1e-3f;
    for (size_t i = 0; i < 4 * 192 * 192; i++)
        w[i] = (float)(i % 11) * 1e-3f;
    if (!probe_correct(x, w, y)) {
        printf("0 wrong results\n");
        fflush(stdout);
        _exit(5);
    }
    one_pass(x, w, y); /* warm: OpenBLAS's buffers, the threads, the caches */
    double best = 1e30, macs = 0, t_end = now_s() + 0.08;
    for (int pass = 0; pass < 3 || (now_s() < t_end && pass < 50); pass++) {
        double t0 = now_s();
        macs = one_pass(x, w, y);
        double dt = now_s() - t0;
        best = dt < best ? dt : best;
    }
    printf("%.1f\n", 2 * macs / best / 1e9);
    fflush(stdout);
    _exit(0);
}

void blas_probe_if_asked(void)
{
    if (getenv("FLATMEM_BLAS_PROBE"))
        probe_run();
}

/* ---- the parent: a child per set ---------------------------------------------------------- */

/* Starts the program again with OPENBLAS_CORETYPE=set in an environment of its own and
 * returns the GFLOP/s it printed, 0 when it failed (a set the CPU cannot run: SIGILL). */
static double time_set(char **argv, const char *set)
{
    char coretype[64], ldpath[PATH_MAX + 32];
    snprintf(coretype, sizeof coretype, "OPENBLAS_CORETYPE=%s", set);
    const char *lib = getenv("LD_LIBRARY_PATH"); /* a user's own OpenBLAS stays the one timed */
    snprintf(ldpath, sizeof ldpath, "LD_LIBRARY_PATH=%s", lib ? lib : "");
    char *envp[] = {coretype, "FLATMEM_BLAS_PROBE=1", "OPENBLAS_NUM_THREADS=1", lib ? ldpath : NULL, NULL};
    int fd[2];
    if (pipe2(fd, O_CLOEXEC) != 0)
        return 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) { /* async-signal-safe calls only: the parent may have threads (OpenBLAS's) */
        int null = open("/dev/null", O_RDWR); /* its stdin and stderr: it reads nothing, says nothing */
        dup2(fd[1], 1);
        if (null >= 0)
            dup2(null, 0), dup2(null, 2);
        execve("/proc/self/exe", argv, envp);
        _exit(127);
    }
    close(fd[1]);
    char out[64] = "";
    size_t got = 0;
    struct pollfd p = {.fd = fd[0], .events = POLLIN};
    double deadline = now_s() + 60;
    while (pid > 0 && got + 1 < sizeof out && now_s() < deadline) {
        if (poll(&p, 1, 1000) <= 0)
            continue;
        ssize_t r = read(fd[0], out + got, sizeof out - 1 - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    out[got] = 0;
    close(fd[0]);
    int status = 0;
    if (pid > 0) {
        if (now_s() >= deadline)
            kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    return pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? strtod(out, NULL) : 0;
}

/* ---- the cache ------------------------------------------------------------------------------- */

/* The first processor's "name : value" line of /proc/cpuinfo, into v. */
static void cpuinfo_field(const char *info, const char *name, char *v, size_t vlen)
{
    v[0] = 0;
    size_t n = strlen(name);
    for (const char *l = info; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (*l == '\n') /* the first processor's block ends */
            return;
        if (strncmp(l, name, n) || (l[n] != ' ' && l[n] != '\t' && l[n] != ':'))
            continue;
        const char *c = strchr(l, ':'), *e = strchr(l, '\n');
        if (!c || (e && c > e))
            return;
        c += c[1] == ' ' ? 2 : 1;
        snprintf(v, vlen, "%.*s", e ? (int)(e - c) : (int)strlen(c), c);
        return;
    }
}

/* Reads at most len - 1 bytes of path into buf (NUL-terminated); -1 when it cannot. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return -1;
    size_t got = 0;
    ssize_t r;
    while (got + 1 < len && (r = read(f, buf + got, len - 1 - got)) > 0)
        got += (size_t)r;
    close(f);
    buf[got] = 0;
    return (ssize_t)got;
}

void blas_cache_key(char *key, size_t len)
{
    static char info[16384];
    char vendor[64], fam[16], model[16], step[16], name[128];
    if (read_small("/proc/cpuinfo", info, sizeof info) < 0)
        info[0] = 0;
    cpuinfo_field(info, "vendor_id", vendor, sizeof vendor);
    cpuinfo_field(info, "cpu family", fam, sizeof fam);
    cpuinfo_field(info, "model", model, sizeof model);
    cpuinfo_field(info, "stepping", step, sizeof step);
    cpuinfo_field(info, "model name", name, sizeof name);
    snprintf(key, len, "%s %s/%s/%s %s, %ld cores, %s", vendor, fam, model, step, name,
             sysconf(_SC_NPROCESSORS_ONLN), gemm_library());
    for (char *p = key; *p; p++)
        if (*p == '\t' || *p == '\n')
            *p = ' ';
}

/* The cache file's path into t->path; 0, or -1 when there is no home for it. */
static int cache_path(BlasTiming *t)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char dir[PATH_MAX];
    if (xdg && xdg[0] == '/')
        snprintf(dir, sizeof dir, "%s/flatmem", xdg);
    else if (home && home[0] == '/')
        snprintf(dir, sizeof dir, "%s/.cache/flatmem", home);
    else
        return snprintf(t->note, sizeof t->note, "neither HOME nor XDG_CACHE_HOME is set"), -1;
    for (char *p = dir + 1; *p; p++) /* mkdir -p, 0700 as the XDG spec asks */
        if (*p == '/') {
            *p = 0;
            mkdir(dir, 0700);
            *p = '/';
        }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return snprintf(t->note, sizeof t->note, "%.120s: %.40s", dir, strerror(errno)), -1;
    int n = snprintf(t->path, sizeof t->path, "%s/blas-kernels", dir);
    return n > 0 && (size_t)n < sizeof t->path - 8 ? 0 : -1;
}

static int set_index(const char *const *sets, int n, const char *name, size_t len)
{
    for (int i = 0; i < n; i++)
        if (strlen(sets[i]) == len && !strncmp(sets[i], name, len))
            return i;
    return -1;
}

static void find_fastest(BlasTiming *t)
{
    t->fastest = 0;
    for (int i = 1; i < t->n; i++)
        if (t->gflops[i] > t->gflops[t->fastest])
            t->fastest = i;
}

/* The cache's line for key, parsed into t: 1 when it has one with a figure for every set. */
static int cache_parse(const char *text, const char *key, const char *const *sets, int n, BlasTiming *t)
{
    size_t klen = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, klen) || l[klen] != '\t')
            continue;
        const char *f = strchr(l + klen + 1, '\t'), *end = strchr(l, '\n');
        if (!f || (end && f > end))
            return 0;
        int seen = 0;
        for (f++; *f && *f != '\t' && *f != '\n';) {
            const char *eq = strchr(f, '=');
            char *after;
            if (!eq || (end && eq > end))
                return 0;
            int i = set_index(sets, n, f, (size_t)(eq - f));
            double g = strtod(eq + 1, &after);
            if (i < 0 || after == eq + 1 || g < 0 || (seen & 1 << i))
                return 0;
            t->gflops[i] = g, seen |= 1 << i;
            f = after + (*after == ' ');
        }
        if (seen != (1 << n) - 1 || *f != '\t')
            return 0;
        snprintf(t->date, sizeof t->date, "%.10s", f + 1);
        return 1;
    }
    return 0;
}

/* Writes the cache again with t's line for key in place of any old one: a temporary file,
 * then rename. 0, or -1 with t->note saying why. */
static int cache_store(const char *old, const char *key, const BlasTiming *t, BlasTiming *out)
{
    static char text[65536];
    size_t len = 0, klen = strlen(key);
    len += (size_t)snprintf(text, sizeof text,
                            "# flatmem: matmul kernel sets timed on the model's products (app/blas_time.h); "
                            "delete this file to time them again\n");
    for (const char *l = old; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *e = strchr(l, '\n');
        size_t ll = e ? (size_t)(e - l) : strlen(l);
        if (l[0] == '#' || ll == 0 || (!strncmp(l, key, klen) && l[klen] == '\t') ||
            len + ll + 2 > sizeof text / 2)
            continue;
        memcpy(text + len, l, ll);
        len += ll;
        text[len++] = '\n';
    }
    len += (size_t)snprintf(text + len, sizeof text - len, "%s\t%s\t", key, t->name[t->fastest]);
    for (int i = 0; i < t->n; i++)
        len += (size_t)snprintf(text + len, sizeof text - len, "%s%s=%.1f", i ? " " : "", t->name[i],
                                t->gflops[i]);
    len += (size_t)snprintf(text + len, sizeof text - len, "\t%s\n", t->date);
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", t->path, (long)getpid());
    int f = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (f < 0 || write(f, text, len) != (ssize_t)len || close(f) != 0 || rename(tmp, t->path) != 0) {
        snprintf(out->note, sizeof out->note, "%.120s: %.60s", t->path, strerror(errno));
        if (f >= 0)
            unlink(tmp);
        return -1;
    }
    return 0;
}

static void timed_now(char **argv, const char *const *sets, int n, BlasTiming *t)
{
    for (int round = 0; round < 2; round++) /* interleaved: a slow moment of the machine is not one set's */
        for (int i = 0; i < n; i++) {
            double g = time_set(argv, sets[i]);
            t->gflops[i] = g > t->gflops[i] ? g : t->gflops[i];
        }
    time_t now = time(NULL);
    struct tm tm;
    strftime(t->date, sizeof t->date, "%Y-%m-%d", gmtime_r(&now, &tm));
}

int blas_timing(char **argv, const char *const *sets, int n, int timing, BlasTiming *t)
{
    static char old[65536];
    char key[400];
    memset(t, 0, sizeof *t);
    t->n = n < BLAS_MAX_SETS ? n : BLAS_MAX_SETS;
    for (int i = 0; i < t->n; i++)
        snprintf(t->name[i], sizeof t->name[i], "%s", sets[i]);
    blas_cache_key(key, sizeof key);
    /* no place to keep the figures: not timed (a program would pay the timing at every start) */
    char lpath[PATH_MAX + 8];
    int lock = -1;
    if (cache_path(t) == 0) {
        snprintf(lpath, sizeof lpath, "%s.lock", t->path);
        lock = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock < 0 || flock(lock, LOCK_EX) != 0) { /* programs started at once: one times, the rest wait */
            snprintf(t->note, sizeof t->note, "%.120s: %.60s", lpath, strerror(errno));
            if (lock >= 0)
                close(lock);
            lock = -1;
        }
    }
    if (lock < 0) {
        char why[sizeof t->note];
        snprintf(why, sizeof why, "no cache to keep them in (%.150s)", t->note);
        snprintf(t->note, sizeof t->note, "%s", why);
        return -1;
    }
    if (read_small(t->path, old, sizeof old) < 0)
        old[0] = 0;
    int rc = -1;
    if (cache_parse(old, key, sets, t->n, t)) {
        t->from_cache = 1, rc = 0;
        find_fastest(t);
    } else if (!timing) {
        snprintf(t->note, sizeof t->note, "not timed under Valgrind");
    } else {
        memset(t->gflops, 0, sizeof t->gflops);
        timed_now(argv, sets, t->n, t);
        find_fastest(t);
        rc = t->gflops[t->fastest] > 0 ? 0 : -1;
        if (rc)
            snprintf(t->note, sizeof t->note,
                     "no kernel set could be timed (the program could not be started again)");
        else if (cache_store(old, key, t, t) != 0)
            t->path[0] = 0; /* timed, not kept (a full disk): t->note says why */
    }
    close(lock);
    return rc;
}

int blas_time_candidates(int cpu_level, int bf16, const char *now, const char **out)
{
    static const struct {
        const char *name;
        int from, to; /* the CPU levels it is timed on */
    } k_sets[] = {
        {"Prescott", 1, 1}, {"Sandybridge", 1, 2}, {"Haswell", 2, 3},
        {"Zen", 2, 3},      {"SkylakeX", 3, 3},    {"Cooperlake", 3, 3},
    };
    int n = 0;
    for (size_t i = 0; i < sizeof k_sets / sizeof k_sets[0]; i++)
        if (cpu_level >= k_sets[i].from && cpu_level <= k_sets[i].to &&
            (strcmp(k_sets[i].name, "Cooperlake") || bf16))
            out[n++] = k_sets[i].name;
    int have = gemm_kernel_level(now), listed = 0;
    for (int i = 0; i < n; i++)
        listed |= !strcmp(out[i], now);
    if (n > 0 && !listed && have >= 0 && have <= cpu_level && n < BLAS_MAX_SETS)
        out[n++] = now; /* OpenBLAS's own pick (SapphireRapids, Excavator, ...) is timed too */
    return n;
}
