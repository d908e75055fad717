/* tensor.h - the engine's one tensor type: a 2-D float matrix with an optional gradient.
 *
 * Every tensor is [rows, cols], row-major (a vector is [1, n], a scalar [1, 1]).
 *
 * Ownership:
 * - persistent tensors (parameters; their gradients and AdamW moments live in blocks owned
 *   by the model) are created once at model creation and freed with the model;
 * - transient tensors (activations, their gradients) are allocated from the step's arena
 *   by graph_tensor() and die at the arena reset that ends the step. */
#ifndef ENGINE_TENSOR_H
#define ENGINE_TENSOR_H

#include <stddef.h>

typedef enum TensorRole { ROLE_PARAMETER = 0, ROLE_GRADIENT, ROLE_OPTIMIZER, ROLE_ACTIVATION } TensorRole;

typedef struct Tensor {
    float *data; /* [rows * cols] */
    float *grad; /* [rows * cols]; transients get one lazily during backward */
    int rows, cols;
    size_t numel; /* rows * cols, checked for overflow at creation */
    unsigned char role; /* TensorRole */
    unsigned char persistent; /* 1: owned by the model; 0: lives in the arena */
    const char *name; /* static string: parameter name or the op that made it */
} Tensor;

#endif
