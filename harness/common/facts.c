#include "facts.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "util.h"

static const char *const k_kills[] = {"none", "budget", "timeout", "interrupt"};

typedef enum FactKind { F_MODE, F_LONG, F_INT, F_STR, F_KILL, F_DOUBLE, F_U64 } FactKind;

static const struct {
    const char *key;
    FactKind kind;
    size_t offset, size;
    int required;
} k_facts[] = {
#define FACT(key, kind, field, req)                                     \
    {                                                                   \
        key, kind, offsetof(Run, field), sizeof(((Run *)0)->field), req \
    }
    FACT("mode", F_MODE, mode, 1),
    FACT("iterations", F_LONG, iters, 1),
    FACT("resume_from", F_LONG, resume_from, 0),
    FACT("fault", F_STR, fault, 0),
    FACT("config", F_STR, config, 0),
    FACT("exit_code", F_INT, exit_code, 1),
    FACT("signal", F_INT, signal, 0),
    FACT("killed", F_KILL, killed, 0),
    FACT("wall_s", F_DOUBLE, wall_s, 0),
    FACT("peak_rss_bytes", F_U64, peak_rss_bytes, 0),
    FACT("budget_bytes", F_U64, budget_bytes, 0),
    FACT("attached", F_INT, attached, 0),
    FACT("service", F_INT, service, 0),
    FACT("service_end", F_STR, service_end, 0),
    FACT("ready_s", F_DOUBLE, ready_s, 0),
    FACT("load_exit", F_INT, load_exit, 0),
    FACT("load_signal", F_INT, load_signal, 0),
    FACT("longer_of", F_LONG, longer_of, 0),
    FACT("control", F_INT, control, 0),
    FACT("control_keep", F_LONG, control_keep, 0),
    FACT("control_lose", F_LONG, control_lose, 0),
    FACT("control_ms", F_LONG, control_ms, 0),
    FACT("control_until_ms", F_LONG, control_until_ms, 0),
#undef FACT
};
#define N_FACTS (sizeof k_facts / sizeof k_facts[0])

int run_write_facts(const Run *r)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/run.txt", r->dir);
    OutFile of;
    FILE *f = outfile_open(&of, path);
    if (!f)
        return -1;
    fprintf(
        f,
        "mode=%s\niterations=%ld\nresume_from=%ld\nfault=%s\nconfig=%s\nexit_code=%d\nsignal=%d\nkilled=%s\n"
        "wall_s=%.3f\npeak_rss_bytes=%llu\nbudget_bytes=%llu\n",
        mode_name(r->mode), r->iters, r->resume_from, r->fault, r->config, r->exit_code, r->signal,
        k_kills[r->killed], r->wall_s, (unsigned long long)r->peak_rss_bytes,
        (unsigned long long)r->budget_bytes);
    if (r->attached)
        fprintf(f, "attached=1\n");
    if (r->longer_of) /* run by the soak to decide the run of this count (plan_longer) */
        fprintf(f, "longer_of=%ld\n", r->longer_of);
    if (r->control) /* what the probe planted (plan_controls) */
        fprintf(f, "control=%d\ncontrol_keep=%ld\ncontrol_lose=%ld\ncontrol_ms=%ld\ncontrol_until_ms=%ld\n",
                r->control, r->control_keep, r->control_lose, r->control_ms, r->control_until_ms);
    if (r->service)
        fprintf(f, "service=1\nservice_end=%s\nready_s=%.3f\nload_exit=%d\nload_signal=%d\n", r->service_end,
                r->ready_s, r->load_exit, r->load_signal);
    return outfile_commit(&of);
}

/* Stores value v of fact k into r; 0 when v is not a value of its kind. */
static int set_fact(Run *r, size_t k, const char *v)
{
    char *dst = (char *)r + k_facts[k].offset;
    long l;
    switch (k_facts[k].kind) {
    case F_MODE: return mode_parse(v, (Mode *)dst);
    case F_LONG: return parse_long(v, 0, 1000000000L, (long *)dst);
    case F_INT: return parse_long(v, -1, 255, &l) ? (*(int *)dst = (int)l, 1) : 0;
    case F_STR: return (size_t)snprintf(dst, k_facts[k].size, "%s", v) < k_facts[k].size;
    case F_DOUBLE: return parse_double(v, 0, 1e12, (double *)dst);
    case F_U64: return (*(uint64_t *)dst = strtoull(v, NULL, 10), 1);
    case F_KILL:
        for (int i = 0; i < 4; i++)
            if (!strcmp(v, k_kills[i]))
                return (*(Kill *)dst = (Kill)i, 1);
        return 0;
    }
    return 0;
}

int run_read_facts(Run *r, const char *dir, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    snprintf(r->dir, sizeof r->dir, "%s", dir);
    const char *base = strrchr(dir, '/');
    snprintf(r->name, sizeof r->name, "%s", base ? base + 1 : dir);
    snprintf(r->fault, sizeof r->fault, "none");
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/run.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char line[512];
    unsigned seen = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *eq = strchr(line, '=');
        if (!eq)
            continue;
        *eq = 0;
        for (size_t k = 0; k < N_FACTS; k++)
            if (!strcmp(line, k_facts[k].key) && set_fact(r, k, eq + 1))
                seen |= 1u << k;
    }
    fclose(f);
    for (size_t k = 0; k < N_FACTS; k++)
        if (k_facts[k].required && !(seen & 1u << k)) {
            snprintf(err, errlen, "%s: incomplete (no valid %s)", path, k_facts[k].key);
            return -1;
        }
    r->state = RUN_DONE;
    return 0;
}
