#include "report_coverage.h"

#include <jansson.h>
#include <limits.h>
#include <string.h>

#include "xml.h"

static const char *class_text(const char *cls)
{
    if (!strcmp(cls, "missed"))
        return "training runs it, the soak does not";
    if (!strcmp(cls, "failpoint"))
        return "only allocation failure reaches it (the failpoint sweep runs it)";
    return "training does not run it (bad input, other builds)";
}

static void file_row(FILE *f, json_t *file)
{
    json_t *floor = json_object_get(file, "floor_pct");
    int below = json_is_true(json_object_get(file, "below_floor"));
    fprintf(f, "<tr><td><code>");
    xml_str(f, json_string_value(json_object_get(file, "file")));
    fprintf(f, "</code></td><td>%lld</td><td>%lld</td><td>%.1f%%</td><td>",
            json_integer_value(json_object_get(file, "training_lines")),
            json_integer_value(json_object_get(file, "soak_of_training_lines")),
            json_number_value(json_object_get(file, "soak_of_training_pct")));
    if (json_is_number(floor))
        fprintf(f, "%.0f%%", json_number_value(floor));
    else
        fprintf(f, "none");
    fprintf(f, "</td><td>%lld</td><td style=\"background:%s\">%s</td></tr>\n",
            json_integer_value(json_object_get(file, "failpoint_lines")), below ? "#ffcdd2" : "#d4f4dd",
            below ? "below floor" : "ok");
}

static void file_lines(FILE *f, json_t *file)
{
    json_t *lines = json_object_get(file, "lines_not_run");
    if (!json_array_size(lines))
        return;
    fprintf(f, "<details><summary><code>");
    xml_str(f, json_string_value(json_object_get(file, "file")));
    fprintf(f,
            "</code>: %zu lines the soak never "
            "runs</summary>\n<table><tr><th>line</th><th>why</th><th>source</th></tr>\n",
            json_array_size(lines));
    size_t i;
    json_t *l;
    json_array_foreach(lines, i, l)
    {
        fprintf(f, "<tr><td>%lld</td><td>", json_integer_value(json_object_get(l, "line")));
        xml_str(f, class_text(json_string_value(json_object_get(l, "class")) ?: ""));
        fprintf(f, "</td><td><code>");
        xml_str(f, json_string_value(json_object_get(l, "source")) ?: "");
        fprintf(f, "</code></td></tr>\n");
    }
    fprintf(f, "</table></details>\n");
}

void report_coverage_section(FILE *f, const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/coverage.json", dir);
    json_error_t jerr;
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc) {
        if (strstr(jerr.text, "unable to open") == NULL) {
            fprintf(f, "<h2>Engine lines the soak runs</h2>\n<p>coverage.json could not be read: ");
            xml_str(f, jerr.text);
            fprintf(f, " (line %d). Run <code>make soak-coverage</code> again.</p>\n", jerr.line);
        }
        return;
    }
    json_t *files = json_object_get(doc, "files");
    fprintf(
        f,
        "<h2>Engine lines the soak runs (gcov, <code>make soak-coverage</code>)</h2>\n"
        "<p>For each engine file: the lines that training with every preset runs (two threads, "
        "evaluation, sampled text, checkpoints, resume), how many of those the soak's own runs "
        "run too, and the file's floor (docs/coverage-floors.tsv): %s. Lines that only "
        "allocation failure reaches are run by the failpoint sweep instead; they are listed "
        "apart below.</p>\n<div class=\"scroll\"><table><tr><th>file</th><th>lines training runs</th>"
        "<th>of them, run by the soak</th><th>share</th><th>floor</th><th>allocation-failure-only lines</th>"
        "<th>status</th></tr>\n",
        json_is_true(json_object_get(doc, "floors_met")) ? "every floor is met" : "<b>a floor is missed</b>");
    size_t i;
    json_t *file;
    json_array_foreach(files, i, file) file_row(f, file);
    fprintf(f, "</table></div>\n");
    json_array_foreach(files, i, file) file_lines(f, file);
    json_decref(doc);
}
