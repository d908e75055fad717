/* console.h - the soak's result as a person reads it in a terminal: a table of the runs,
 * the sweeps, the baseline comparison, the detection matrix's misses, the overall verdict
 * and where the files are. Renders only: conclude.h decided. */
#ifndef HARNESS_CONSOLE_H
#define HARNESS_CONSOLE_H

#include "result.h"

/* report_ok: whether index.html was written. */
void console_print(const SoakResult *res, const char *out, int report_ok);

#endif
