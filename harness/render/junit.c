#include "junit.h"

#include <stdio.h>
#include <string.h>

#include "outfile.h"
#include "result.h"
#include "words.h"
#include "xml.h"

static void run_case(FILE *f, const Run *r)
{
    char detail[RUN_DETAIL_MAX];
    run_detail(r, detail, sizeof detail);
    fprintf(f, "    <testcase classname=\"soak.%s", mode_name(r->mode));
    if (strcmp(r->fault, "none")) {
        fputs(".fault-", f);
        xml_str(f, r->fault);
    }
    fprintf(f, "\" name=\"%ld iterations%s\" time=\"%.3f\">", r->iters, r->resume_from ? ", resumed" : "",
            r->wall_s);
    if (r->an.sensitive >= 0) { /* what it could have seen (docs/soak.md, "Sensitivity") */
        const SeriesResult *ss = &r->an.series[r->an.sensitive];
        fprintf(f,
                "<properties><property name=\"sensitivity_series\" value=\"%s\"/>"
                "<property name=\"sensitivity_bytes_per_%s\" value=\"%.6g\"/></properties>",
                ss->name, run_step_word(r), ss->sensitivity);
    }
    if (r->unreported) { /* not run, or too short to judge: the detail says which */
        fprintf(f, "<skipped message=\"");
        xml_str(f, detail);
        fprintf(f, "\"/>");
    } else if (r->fails) {
        fprintf(f, "<failure type=\"%s\" message=\"%s (expected %s): ", verdict_name(r->verdict),
                verdict_name(r->verdict), verdict_name(r->expected));
        xml_str(f, detail);
        fprintf(f, "\">");
        xml_str(f, detail);
        for (int k = 0; k < r->finding.n_frames && r->has_finding; k++) {
            fputs("\n  at ", f);
            xml_str(f, r->finding.frames[k]);
        }
        fprintf(f, "\nrun folder: runs/");
        xml_str(f, r->name);
        fprintf(f, "</failure>");
    }
    fprintf(f, "</testcase>\n");
}

static void control_case(FILE *f, const Run *c)
{
    fprintf(f, "    <testcase classname=\"soak.control\" name=\"%s %ld iterations\" time=\"%.3f\">",
            mode_name(c->mode), c->iters, c->wall_s);
    if (c->control == 2) { /* superseded by a longer one (plan_control_longer) */
        fprintf(f, "<skipped message=\"");
        xml_str(f, c->control_why);
        fprintf(f, "\"/>");
    } else if (!c->control_caught) {
        fprintf(f, "<failure type=\"BLIND\" message=\"");
        xml_str(f, c->control_why);
        fprintf(f, "\"/>");
    }
    fprintf(f, "</testcase>\n");
}

static void sweep_case(FILE *f, const Sweep *s)
{
    fprintf(f, "    <testcase classname=\"soak.sweep\" name=\"%s ", mode_name(s->mode));
    xml_str(f, s->fault);
    fprintf(f, " peak memory vs iterations\">");
    if (s->fails)
        fprintf(f,
                "<failure type=\"GROWING\" message=\"peak RSS grows %.2f bytes per iteration across the "
                "sweep (%.0f bytes)\"/>",
                s->slope, s->growth);
    fprintf(f, "</testcase>\n");
}

static void baseline_case(FILE *f, const BaselineCompare *b)
{
    fprintf(f,
            "    <testcase classname=\"soak.baseline\" name=\"no regression against the baseline (%d runs "
            "compared)\">",
            b->matched);
    if (b->n_regressions) {
        fprintf(f, "<failure type=\"REGRESSION\" message=\"");
        xml_str(f, b->regressions[0]);
        fprintf(f, "\">");
        for (int i = 0; i < b->n_regressions; i++) {
            xml_str(f, b->regressions[i]);
            fputc('\n', f);
        }
        fprintf(f, "</failure>");
    }
    fprintf(f, "</testcase>\n");
}

int junit_write(const SoakResult *res, const char *out_dir, char *err, size_t errlen)
{
    OutFile of;
    FILE *f = outfile_open_in(&of, out_dir, "junit.xml", err, errlen);
    if (!f)
        return -1;
    int failures = 0, skipped = 0,
        tests = res->n_runs + res->n_sweeps + res->n_controls + (res->base.path != NULL);
    for (int i = 0; i < res->n_controls; i++)
        failures += !res->controls[i].control_caught && res->controls[i].control != 2,
            skipped += res->controls[i].control == 2;
    for (int i = 0; i < res->n_runs; i++) {
        failures += res->runs[i].fails;
        skipped += res->runs[i].unreported;
    }
    for (int i = 0; i < res->n_sweeps; i++)
        failures += res->sweeps[i].fails;
    failures += res->base.n_regressions > 0;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    for (int level = 0; level < 2; level++)
        fprintf(f, "%s<%s name=\"soak\" tests=\"%d\" failures=\"%d\" skipped=\"%d\" time=\"%.1f\">\n",
                level ? "  " : "", level ? "testsuite" : "testsuites", tests, failures, skipped, res->wall_s);
    for (int i = 0; i < res->n_runs; i++)
        run_case(f, &res->runs[i]);
    for (int i = 0; i < res->n_sweeps; i++)
        sweep_case(f, &res->sweeps[i]);
    for (int i = 0; i < res->n_controls; i++)
        control_case(f, &res->controls[i]);
    if (res->base.path)
        baseline_case(f, &res->base);
    fprintf(f, "  </testsuite>\n</testsuites>\n");
    return outfile_finish(&of, err, errlen);
}
