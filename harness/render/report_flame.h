/* report_flame.h - a flame graph of the memory that grew, as a static SVG (no script, no
 * external resource: an <img> of the report shows it, and opened on its own each box
 * says its function, bytes and share on hover).
 *
 * Draws folded stacks ("root;caller;leaf BYTES" per line, as jeprof --collapsed writes
 * RUN/growth.collapsed); lines of 0 or fewer bytes are left out. The root is at the
 * bottom; each box is as wide as the bytes allocated below it; the function the growth is
 * charged to is red, allocator frames grey. */
#ifndef HARNESS_REPORT_FLAME_H
#define HARNESS_REPORT_FLAME_H

#include <stddef.h>

/* Writes the flame graph of the folded stacks `folded` (the run's model: NULL when it has
 * none; `collapsed` names their file for messages) into svg_path (temporary file, then
 * renamed), with title above it and `highlight` (a function name, or "") in red. Returns
 * the number of stacks drawn (0: nothing grew: no file is written), or -1 with a message
 * in err. */
int flame_write(const char *folded, const char *collapsed, const char *svg_path, const char *title,
                const char *highlight, char *err, size_t errlen);

#endif
