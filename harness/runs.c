#include "runs.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "outfile.h"
#include "samples.h"

static const char *const k_modes[MODE_COUNT] = {"native", "asan", "valgrind", "jemalloc"};
static const char *const k_variants[MODE_COUNT] = {"release", "asan", "valgrind", "jemalloc"};
static const char *const k_verdicts[V_COUNT] = {"FLAT", "GROWING", "ERROR", "CRASHED", "TIMEOUT", "OVER_BUDGET", "NOT_RUN"};

const char *mode_name(Mode m) { return m < MODE_COUNT ? k_modes[m] : "?"; }
const char *mode_variant(Mode m) { return m < MODE_COUNT ? k_variants[m] : "?"; }
const char *verdict_name(Verdict v) { return v < V_COUNT ? k_verdicts[v] : "?"; }

int mode_judges_rss(Mode m)
{
    return m == MODE_NATIVE || m == MODE_JEMALLOC;
}

int mode_parse(const char *s, Mode *m)
{
    for (int i = 0; i < MODE_COUNT; i++)
        if (!strcmp(s, k_modes[i])) {
            *m = (Mode)i;
            return 1;
        }
    return 0;
}

static const char *kill_name(Kill k)
{
    return k == KILL_BUDGET ? "budget" : k == KILL_TIMEOUT ? "timeout" : k == KILL_INTERRUPT ? "interrupt" : "none";
}

int run_write_facts(const Run *r)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/run.txt", r->dir);
    OutFile of;
    FILE *f = outfile_open(&of, path);
    if (!f)
        return -1;
    fprintf(f, "mode=%s\niterations=%ld\nresume_from=%ld\nfault=%s\nconfig=%s\nexit_code=%d\nsignal=%d\nkilled=%s\n"
               "wall_s=%.3f\npeak_rss_bytes=%llu\nbudget_bytes=%llu\n",
            mode_name(r->mode), r->iters, r->resume_from, r->fault, r->config, r->exit_code, r->signal,
            kill_name(r->killed),
            r->wall_s, (unsigned long long)r->peak_rss_bytes, (unsigned long long)r->budget_bytes);
    return outfile_commit(&of);
}

int run_read_facts(Run *r, const char *dir, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    const char *base = strrchr(dir, '/');
    snprintf(r->name, sizeof r->name, "%s", base ? base + 1 : dir);
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/run.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[512];
    int have = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        const char *k = line, *v = eq + 1;
        if (!strcmp(k, "mode"))
            have |= mode_parse(v, &r->mode) ? 1 : 0;
        else if (!strcmp(k, "iterations"))
            have |= (r->iters = strtol(v, NULL, 10)) > 0 ? 2 : 0;
        else if (!strcmp(k, "resume_from"))
            r->resume_from = strtol(v, NULL, 10);
        else if (!strcmp(k, "fault"))
            snprintf(r->fault, sizeof r->fault, "%s", v);
        else if (!strcmp(k, "config"))
            snprintf(r->config, sizeof r->config, "%s", v);
        else if (!strcmp(k, "exit_code"))
            r->exit_code = atoi(v), have |= 4;
        else if (!strcmp(k, "signal"))
            r->signal = atoi(v);
        else if (!strcmp(k, "killed"))
            r->killed = !strcmp(v, "budget") ? KILL_BUDGET : !strcmp(v, "timeout") ? KILL_TIMEOUT
                        : !strcmp(v, "interrupt") ? KILL_INTERRUPT : KILL_NONE;
        else if (!strcmp(k, "wall_s"))
            r->wall_s = atof(v);
        else if (!strcmp(k, "peak_rss_bytes"))
            r->peak_rss_bytes = strtoull(v, NULL, 10);
        else if (!strcmp(k, "budget_bytes"))
            r->budget_bytes = strtoull(v, NULL, 10);
    }
    fclose(f);
    if (have != 7) {
        snprintf(err, errlen, "%s: incomplete (needs mode, iterations and exit_code)", path);
        return -1;
    }
    r->state = 2;
    return 0;
}

/* Reads a whole (log) file, at most 4 MiB from its start; "" if absent. Caller frees. */
static char *slurp(const char *dir, const char *name)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    size_t cap = 4u << 20, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        if (f)
            fclose(f);
        return NULL;
    }
    if (f) {
        n = fread(buf, 1, cap, f);
        fclose(f);
    }
    buf[n] = 0;
    return buf;
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGKILL: return "SIGKILL";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGXFSZ: return "SIGXFSZ (file size limit: is the disk full?)";
    default: return "signal";
    }
}

static void write_run_json(const Run *r)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/run.json", r->dir);
    OutFile of;
    FILE *f = outfile_open(&of, path);
    if (!f)
        return;
    fprintf(f, "{\"mode\": \"%s\", \"iterations\": %ld, \"fault\": ", mode_name(r->mode), r->iters);
    json_str(f, r->fault);
    fprintf(f, ", \"verdict\": \"%s\", \"detail\": ", verdict_name(r->verdict));
    json_str(f, r->detail);
    fprintf(f, ", \"iterations_reached\": %llu, \"exit_code\": %d, \"signal\": %d, \"wall_s\": %.3f, "
               "\"peak_rss_bytes\": %llu}\n",
            (unsigned long long)r->iter_reached, r->exit_code, r->signal, r->wall_s,
            (unsigned long long)r->peak_rss_bytes);
    if (outfile_commit(&of) != 0)
        outfile_abort(&of);
}

void run_evaluate(Run *r, const Tolerance *t)
{
    char path[PATH_MAX + 32], err[256];
    Samples s;
    snprintf(path, sizeof path, "%s/samples.csv", r->dir);
    int have_samples = samples_load(&s, path, err, sizeof err) == 0;
    size_t bad_rows = have_samples ? s.bad_rows : 0;
    if (have_samples) {
        analyze_run(&s, (uint64_t)r->iters, t, mode_judges_rss(r->mode), &r->an);
        r->iter_reached = r->an.last_iter;
        samples_free(&s);
    } else {
        memset(&r->an, 0, sizeof r->an);
        r->an.worst = -1;
        r->an.peak_rss = NAN;
    }
    if (r->an.peak_rss > (double)r->peak_rss_bytes && r->an.peak_rss < 1e18)
        r->peak_rss_bytes = (uint64_t)r->an.peak_rss;

    /* the first report of the tool that watched the run */
    char *text = slurp(r->dir, r->mode == MODE_VALGRIND ? "valgrind.log" : "stderr.txt");
    r->has_finding = text && (r->mode == MODE_VALGRIND ? finding_from_memcheck(text, &r->finding)
                                                       : finding_from_sanitizer(text, &r->finding));
    free(text);

    r->n_sites = 0;
    if (r->killed == KILL_BUDGET) {
        r->verdict = V_OVER_BUDGET;
        snprintf(r->detail, sizeof r->detail, "stopped by the watchdog at %.1f MiB (budget %.0f MiB) at iteration %llu",
                 (double)r->peak_rss_bytes / 1048576.0, (double)r->budget_bytes / 1048576.0,
                 (unsigned long long)r->iter_reached);
    } else if (r->killed == KILL_TIMEOUT) {
        r->verdict = V_TIMEOUT;
        snprintf(r->detail, sizeof r->detail, "stopped after %.0f s at iteration %llu", r->wall_s,
                 (unsigned long long)r->iter_reached);
    } else if (r->killed == KILL_INTERRUPT) {
        r->verdict = V_NOT_RUN;
        snprintf(r->detail, sizeof r->detail, "interrupted at iteration %llu", (unsigned long long)r->iter_reached);
    } else if (r->has_finding) {
        r->verdict = V_ERROR;
        snprintf(r->detail, sizeof r->detail, "%s %s: %s", r->finding.tool, r->finding.kind, r->finding.message);
    } else if (r->signal) {
        r->verdict = V_CRASHED;
        snprintf(r->detail, sizeof r->detail, "killed by %s (%d) at iteration %llu", signal_name(r->signal), r->signal,
                 (unsigned long long)r->iter_reached);
    } else if (r->exit_code != 0) {
        r->verdict = V_CRASHED;
        char *out = slurp(r->dir, "stderr.txt");
        char first[200] = "";
        if (out)
            snprintf(first, sizeof first, "%.*s", (int)strcspn(out, "\n"), out);
        free(out);
        snprintf(r->detail, sizeof r->detail, "exit status %d at iteration %llu%s%s", r->exit_code,
                 (unsigned long long)r->iter_reached, first[0] ? ": " : "", first);
    } else if (!have_samples || r->an.n_series == 0) {
        r->verdict = V_CRASHED;
        snprintf(r->detail, sizeof r->detail, "no samples could be read (%s)", have_samples ? "no rows" : err);
    } else if (bad_rows) {
        r->verdict = V_CRASHED;
        snprintf(r->detail, sizeof r->detail, "samples.csv is damaged: %zu rows could not be read", bad_rows);
    } else if (r->iter_reached != (uint64_t)r->iters) {
        r->verdict = V_CRASHED;
        snprintf(r->detail, sizeof r->detail, "exited 0 but its samples end at iteration %llu of %ld",
                 (unsigned long long)r->iter_reached, r->iters);
    } else if (r->an.growing) {
        r->verdict = V_GROWING;
        const SeriesResult *w = &r->an.series[r->an.worst];
        int len = snprintf(r->detail, sizeof r->detail, "%s grows %.1f bytes/iteration (%.0f bytes over the run)",
                           w->name, w->slope, w->growth);
        for (int i = 0; i < r->an.n_series && len < (int)sizeof r->detail - 64; i++)
            if (r->an.series[i].growing && i != r->an.worst)
                len += snprintf(r->detail + len, sizeof r->detail - (size_t)len, "; %s", r->an.series[i].name);
        snprintf(path, sizeof path, "%s/events.bin", r->dir);
        EvRange ra = {0, 0}, rb = {0, 0};
        int n = evlog_growth(path, &ra, &rb, r->sites, RUN_MAX_SITES, err, sizeof err);
        r->n_sites = n > 0 ? n : 0;
        if (r->n_sites && len < (int)sizeof r->detail - 48)
            snprintf(r->detail + len, sizeof r->detail - (size_t)len, "; top site %s (%.1f bytes/iteration)",
                     r->sites[0].site, r->sites[0].score);
    } else {
        r->verdict = V_FLAT;
        const SeriesResult *w = r->an.worst >= 0 ? &r->an.series[r->an.worst] : NULL;
        snprintf(r->detail, sizeof r->detail, "%d series flat%s%s%s", r->an.n_series, w ? " (" : "",
                 w ? w->name : "", w ? " within tolerance)" : "");
    }
    write_run_json(r);
}

int run_cmp_canonical(const void *a, const void *b)
{
    const Run *x = a, *y = b;
    int c = strcmp(x->fault, y->fault);
    if (c)
        return !strcmp(x->fault, "none") ? -1 : !strcmp(y->fault, "none") ? 1 : c;
    if (x->mode != y->mode)
        return (int)x->mode - (int)y->mode;
    if (x->iters != y->iters)
        return (x->iters > y->iters) - (x->iters < y->iters);
    return (x->resume_from > y->resume_from) - (x->resume_from < y->resume_from);
}

int runs_load(const char *dir, Run *runs, int max, const Tolerance *t, char *err, size_t errlen)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/runs", dir);
    DIR *d = opendir(path);
    if (!d) {
        snprintf(err, errlen, "%s: %s (not a soak output folder?)", path, strerror(errno));
        return -1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        if (e->d_name[0] == '.')
            continue;
        char rdir[PATH_MAX + 300], why[512];
        snprintf(rdir, sizeof rdir, "%s/%s", path, e->d_name);
        if (run_read_facts(&runs[n], rdir, why, sizeof why) != 0) {
            fprintf(stderr, "soak: skipping %s\n", why);
            continue;
        }
        run_evaluate(&runs[n], t);
        n++;
    }
    closedir(d);
    qsort(runs, (size_t)n, sizeof runs[0], run_cmp_canonical);
    return n;
}

double run_train_value(const Run *r, const char *key)
{
    char path[PATH_MAX + 16], buf[4096], pat[80];
    snprintf(path, sizeof path, "%s/train.json", r->dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return NAN;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(buf, pat);
    return p ? strtod(p + strlen(pat), NULL) : NAN;
}
