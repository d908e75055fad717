#include "summary_load.h"

#include <stdio.h>

json_t *summary_load(const char *path, char *err, size_t errlen)
{
    json_error_t je;
    json_t *doc = json_load_file(path, 0, &je);
    if (!doc) {
        snprintf(err, errlen, "%s: %s (line %d): not a soak summary", path, je.text, je.line);
        return NULL;
    }
    json_t *v = json_object_get(doc, "format_version");
    if (!json_is_integer(v) || json_integer_value(v) != SUMMARY_FORMAT_VERSION) {
        if (json_is_integer(v))
            snprintf(err, errlen,
                     "%s: format version %lld, this soak reads version %d: run the soak again to make it",
                     path, json_integer_value(v), SUMMARY_FORMAT_VERSION);
        else
            snprintf(err, errlen,
                     "%s: written by an older soak (no format_version): run the soak again to make it", path);
        json_decref(doc);
        return NULL;
    }
    if (!json_is_array(json_object_get(doc, "runs")) || !json_is_string(json_object_get(doc, "overall"))) {
        snprintf(err, errlen, "%s: damaged: no \"runs\" list or no \"overall\" verdict", path);
        json_decref(doc);
        return NULL;
    }
    return doc;
}
