#include "probes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void fan_out(void *ud, const EngEvent *ev)
{
    Probes *p = ud;
    if (p->log)
        evlog_event(p->log, ev);
    if (p->samples)
        sampler_event(p->samples, ev);
}

int probes_open(Probes *p, const char *events_path, const char *samples_path, uint64_t sample_every,
                uint64_t last_iter, const char *variant, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (events_path && !(p->log = evlog_open(events_path, variant))) {
        snprintf(err, errlen, "--events %s: cannot be created: %s", events_path, strerror(errno));
        return -1;
    }
    if (samples_path && !(p->samples = sampler_open(samples_path, sample_every, last_iter))) {
        snprintf(err, errlen, "--samples %s: cannot be created: %s", samples_path, strerror(errno));
        evlog_close(p->log);
        p->log = NULL;
        return -1;
    }
    if (p->log && p->samples)
        eng_hook_set(fan_out, p);
    else if (p->log)
        eng_hook_set(evlog_event, p->log);
    else if (p->samples)
        eng_hook_set(sampler_event, p->samples);
    return 0;
}

int probes_close(Probes *p, char *err, size_t errlen)
{
    eng_hook_set(NULL, NULL);
    int rc = 0;
    if (p->log && evlog_close(p->log) != 0) {
        snprintf(err, errlen, "--events: writing the event log failed: %s", strerror(errno));
        rc = -1;
    }
    if (p->samples && sampler_close(p->samples) != 0 && rc == 0) {
        snprintf(err, errlen, "--samples: writing the samples failed: %s", strerror(errno));
        rc = -1;
    }
    p->log = NULL;
    p->samples = NULL;
    return rc;
}
