#include "paths.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The folder of the running soak program. */
static void exe_dir(char *out, size_t cap)
{
    ssize_t n = readlink("/proc/self/exe", out, cap - 1);
    out[n > 0 ? n : 0] = 0;
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = 0;
}

/* The first of the places (relative to the soak program) where name exists. */
static void own_file(const char *const *places, int n, char *out, size_t cap)
{
    char dir[PATH_MAX];
    exe_dir(dir, sizeof dir);
    for (int i = 0; i < n; i++)
        if ((size_t)snprintf(out, cap, "%s/%s", dir, places[i]) < cap && access(out, R_OK) == 0)
            return;
    out[0] = 0;
}

void target_probe_library(char *out, size_t cap)
{
    static const char *const places[] = {"libflatmem-probe.so", "../lib/flatmem/libflatmem-probe.so"};
    own_file(places, 2, out, cap);
}

void target_python_dir(char *out, size_t cap)
{
    static const char *const places[] = {"../../python/flatmem.py", "../lib/flatmem/python/flatmem.py"};
    own_file(places, 2, out, cap);
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = 0;
}

void target_bisect_script(char *out, size_t cap)
{
    static const char *const places[] = {"../../harness/bisect", "../lib/flatmem/bisect"};
    own_file(places, 2, out, cap);
}

void target_templates_for(const char *file, char *out, size_t cap)
{
    char here[PATH_MAX + 16], a[PATH_MAX + 48], b[PATH_MAX + 48];
    snprintf(here, sizeof here, "reports/%s", file);
    if (access(here, R_OK) == 0) { /* run from the project folder */
        snprintf(out, cap, "reports");
        return;
    }
    snprintf(a, sizeof a, "../../reports/%s", file);
    snprintf(b, sizeof b, "../share/flatmem/reports/%s", file);
    const char *const places[] = {a, b};
    own_file(places, 2, out, cap);
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = 0;
}

void target_templates(char *out, size_t cap)
{
    target_templates_for("common.gp", out, cap);
}
