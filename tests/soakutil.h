/* soakutil.h - for the tests that run the soak end to end (test_soak, test_anyprog): run it
 * into a folder of the scratch folder with its output in a log beside it, read the
 * summary.json it wrote, find a run in it. */
#ifndef TESTS_SOAKUTIL_H
#define TESTS_SOAKUTIL_H

#include <jansson.h>

#include "testutil.h"

/* The summary.json of the last soak_into (NULL when it wrote none). */
static json_t *g_doc;

/* Runs `COMMAND --out SCRATCH/OUT ARGS >SCRATCH/OUT.log 2>&1` (command: the soak program
 * and what comes before --out) and loads SCRATCH/OUT/summary.json into g_doc. Returns the
 * soak's exit status. */
static inline int soak_into(const char *out, const char *command, const char *args)
{
    char path[PATH_MAX + 64];
    int rc = test_sh("%s --out '%s/%s' %s >'%s/%s.log' 2>&1", command, test_tmpdir(), out, args,
                     test_tmpdir(), out);
    snprintf(path, sizeof path, "%s/%s/summary.json", test_tmpdir(), out);
    json_decref(g_doc);
    g_doc = json_load_file(path, 0, NULL);
    return rc;
}

/* SCRATCH/OUT/summary.json, which must be there (the caller json_decrefs). */
static inline json_t *summary_of(const char *out)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s/summary.json", test_tmpdir(), out);
    json_t *doc = json_load_file(path, 0, NULL);
    if (!doc)
        fail_msg("%s: no summary.json (see %s/%s.log)", out, test_tmpdir(), out);
    return doc;
}

/* The string at key of o ("" when none). */
static inline const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The summary's run of mode and count trained from scratch, of fault (NULL: any); a test
 * failure when there is none. */
static inline json_t *summary_run(json_t *doc, const char *mode, long iters, const char *fault)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(doc, "runs"), i, r)
    {
        if (!strcmp(str(r, "mode"), mode) && (!fault || !strcmp(str(r, "fault"), fault)) &&
            json_integer_value(json_object_get(r, "iterations")) == iters &&
            json_integer_value(json_object_get(r, "resume_from")) == 0)
            return r;
    }
    fail_msg("the summary has no run %s/%ld/%s", mode, iters, fault ? fault : "any fault");
    return NULL;
}

#endif
