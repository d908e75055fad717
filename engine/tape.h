/* tape.h - the reverse-mode tape: one entry per op recorded during a forward pass.
 *
 * Owns: its entry array (from mem_alloc). An entry stores its inputs INSIDE the entry
 * (in[], never a pointer to the caller's array: the seed engine's dangling `inputs[]`
 * bug cannot happen), its output, its backward function and a context allocated from the
 * step's arena (so the context dies with the step).
 *
 * Cleared at the end of every step; the array's capacity is kept, so after the first
 * step the tape never allocates again. It grows by doubling up to max_entries and never
 * past it (a graph that keeps growing is an error, not a slow leak). */
#ifndef ENGINE_TAPE_H
#define ENGINE_TAPE_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "tensor.h"

#define TAPE_MAX_INPUTS 3
#define TAPE_DEFAULT_MAX_ENTRIES ((size_t)1 << 24)

struct Graph;
typedef struct TapeEntry TapeEntry;

/* Accumulates the gradient of e->out into the gradients of e->in[]. */
typedef EngErr (*TapeBackwardFn)(struct Graph *g, const TapeEntry *e);

struct TapeEntry {
    Tensor *in[TAPE_MAX_INPUTS]; /* copies of the input pointers, owned by the entry */
#ifdef ENGINE_FAULT_STACK_INPUTS
    Tensor **inputs; /* FAULT stack_inputs: the seed's bug, a pointer to the caller's stack array */
#endif
    int n_in;
    Tensor *out;
    TapeBackwardFn backward;
    void *ctx; /* op context, from the arena; NULL if the op needs none */
    const char *op; /* static op name, e.g. "matmul" */
};

typedef struct Tape {
    TapeEntry *entries; /* [cap] */
    size_t len; /* tape.entries */
    size_t base; /* entries of this step start here (0 unless FAULT=tape_keep) */
    size_t cap; /* tape.capacity */
    size_t max_entries;
    uint64_t grows; /* times the array was reallocated */
} Tape;

/* The inputs of an entry, as backward functions must read them. */
#ifdef ENGINE_FAULT_STACK_INPUTS
#define TAPE_IN(e) ((e)->inputs)
#else
#define TAPE_IN(e) ((e)->in)
#endif

void tape_init(Tape *t, size_t max_entries);

/* Appends a copy of *e. ENG_ENOMEM or ENG_ETAPE on failure (the tape is unchanged). */
EngErr tape_push(Tape *t, const TapeEntry *e);

/* Forgets every entry; keeps the capacity. */
void tape_clear(Tape *t);

/* Frees the entry array. */
void tape_free(Tape *t);

#endif
