#include "progress.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void progress_start(Progress *p, int total, int jobs, double (*expected_s)(const Run *, void *), void *ctx)
{
    memset(p, 0, sizeof *p);
    p->tty = isatty(2);
    p->total = total;
    p->jobs = jobs > 0 ? jobs : 1;
    p->t0 = now_s();
    p->expected_s = expected_s;
    p->ctx = ctx;
}

void progress_finished(Progress *p, const Run *r)
{
    char el[32], label[160];
    p->done++;
    fmt_duration(el, sizeof el, r->wall_s);
    run_label(r, label, sizeof label);
    fprintf(stderr, "%s[%d/%d] %s: %s (%s, peak %.1f MiB)\n", p->tty ? "\r\033[K" : "", p->done, p->total,
            label, verdict_name(r->verdict), el, (double)r->peak_rss_bytes / MIB);
}

/* The iteration of the last complete row of a run's samples. */
static long last_sample_iter(const Run *r)
{
    char path[PATH_MAX + 16], buf[512];
    snprintf(path, sizeof path, "%s/samples.csv", r->dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long size = ftell(f), from = size > (long)sizeof buf - 1 ? size - (long)sizeof buf + 1 : 0;
    fseek(f, from, SEEK_SET);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    if (n == 0 || buf[n - 1] != '\n')
        return 0;
    buf[n - 1] = 0;
    char *line = strrchr(buf, '\n');
    return line ? atol(line + 1) : 0;
}

void progress_tick(Progress *p, const Run *runs, int n)
{
    double t = now_s();
    if (!p->tty || t - p->last_draw < 0.5)
        return;
    p->last_draw = t;
    double remaining = 0;
    char cur[160] = "";
    for (int i = 0; i < n; i++) {
        const Run *r = &runs[i];
        if (r->state == RUN_DONE)
            continue;
        double left = 1.0;
        if (r->state == RUN_RUNNING) {
            long at = last_sample_iter(r);
            left = fmax(0.0, 1.0 - (double)at / (double)r->iters);
            if (!cur[0]) {
                char label[128];
                run_label(r, label, sizeof label);
                snprintf(cur, sizeof cur, "%s: iteration %ld", label, at);
            }
        }
        remaining += p->expected_s(r, p->ctx) * left;
    }
    char el[32], eta[32];
    fmt_duration(el, sizeof el, t - p->t0);
    fmt_duration(eta, sizeof eta, remaining / p->jobs);
    fprintf(stderr, "\r\033[K[%d/%d done] %s | elapsed %s | ~%s left", p->done, p->total, cur, el, eta);
}
