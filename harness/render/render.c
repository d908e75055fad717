#include "render.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ci.h"
#include "console.h"
#include "junit.h"
#include "profiles.h"
#include "report.h"
#include "runjson.h"
#include "summary.h"

void soak_default_out(char *out, size_t cap, const char *suffix)
{
    char id[64];
    time_t t = time(NULL);
    strftime(id, sizeof id, "%Y%m%d-%H%M%S", localtime(&t));
    snprintf(out, cap, "reports/out/%s-%d%s", id, (int)getpid(), suffix);
}

/* reports/latest -> out/<run-id>, replaced atomically (only for folders below reports/out/). */
static void update_latest(const char *out)
{
    const char *rel = strstr(out, "reports/out/");
    if (!rel)
        return;
    char target[PATH_MAX], tmp[64];
    snprintf(target, sizeof target, "%s", rel + strlen("reports/"));
    snprintf(tmp, sizeof tmp, "reports/.latest.%d", (int)getpid());
    unlink(tmp);
    if (symlink(target, tmp) == 0 && rename(tmp, "reports/latest") != 0)
        unlink(tmp);
}

/* summary.md always; with --annotate github the annotations and the step summary. */
static int write_ci(const SoakResult *res, const char *out, char *err, size_t errlen)
{
    if (ci_write_summary_md(res, out, err, errlen) != 0)
        return -1;
    if (res->annotate)
        ci_annotate(res, stdout);
    if (res->annotate && ci_step_summary(out, err, errlen) != 0)
        return -1;
    return 0;
}

int render_soak(const SoakResult *res, const char *out, const char *templates, int what, char *err,
                size_t errlen)
{
    for (int i = 0; i < res->n_runs; i++)
        runjson_write(&res->runs[i]);
    for (int i = 0; i < res->n_controls; i++)
        runjson_write(&res->controls[i]);
    if ((what & RENDER_SUMMARY) &&
        (summary_write(res, out, err, errlen) != 0 || junit_write(res, out, err, errlen) != 0))
        return -1;
    if (what & RENDER_LATEST)
        update_latest(out);
    profiles_write(res);
    char report_err[1024];
    int report_ok = report_write(res, out, templates, report_err, sizeof report_err) == 0;
    if (what & RENDER_CONSOLE)
        console_print(res, out, report_ok);
    if (write_ci(res, out, err, errlen) != 0)
        return -1;
    if (!report_ok)
        snprintf(err, errlen, "%s", report_err);
    return report_ok ? 0 : RENDER_PAGE_FAILED;
}
