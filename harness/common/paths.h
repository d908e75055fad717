/* paths.h - where the soak's own files are: its probe library and its chart templates,
 * next to the soak program (a build folder) or where `make install` put them. Reads: the
 * file system. Owns: nothing. */
#ifndef HARNESS_PATHS_H
#define HARNESS_PATHS_H

#include <stddef.h>

/* The probe library (libflatmem-probe.so) and the folder of the chart templates (reports/
 * of the current folder first, the project's): "" when not found. */
void target_probe_library(char *out, size_t cap);

/* The folder of the flatmem Python module (python/flatmem.py, or PREFIX/lib/flatmem/python),
 * "" when not there. */
void target_python_dir(char *out, size_t cap);
void target_templates(char *out, size_t cap);

/* The folder of the chart templates that holds file (history.gp): reports/ of the current
 * folder when it has it (a project's older commit may not), else the soak's own. */
void target_templates_for(const char *file, char *out, size_t cap);

/* The bisect script (harness/bisect in the sources, PREFIX/lib/flatmem/bisect installed),
 * "" when neither is there. */
void target_bisect_script(char *out, size_t cap);

#endif
