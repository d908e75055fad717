/* cells.h - the detection matrix as data: one Cell per fault and mode, what SoakResult
 * (result.h) holds and renderers print. rules.h fills them in. No code. */
#ifndef HARNESS_CELLS_H
#define HARNESS_CELLS_H

#include "modes.h"
#include "verdicts.h"

struct Run;

/* One cell of the detection matrix: every run of one fault in one mode. */
typedef struct Cell {
    const char *fault;
    Mode mode;
    Verdict worst; /* the worst verdict of its runs */
    Verdict required; /* V_NOT_RUN: nothing is required */
    int caught; /* every run gave the required verdict (1 when none is) */
    int missed; /* required and not caught (verdict_cell_missed) */
    const struct Run *example; /* the run whose verdict is `worst` */
} Cell;

#endif
