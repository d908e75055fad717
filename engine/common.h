/* common.h - error codes and checked size arithmetic shared by every engine module.
 *
 * Library code never prints or exits: it returns an EngErr (or NULL with the error
 * recorded in a Graph, see ops.h) and the program's main turns it into a message. */
#ifndef ENGINE_COMMON_H
#define ENGINE_COMMON_H

#include <stddef.h>
#include <stdint.h>

typedef enum EngErr {
    ENG_OK = 0,
    ENG_ENOMEM, /* the engine's allocator (or the arena) could not get memory */
    ENG_ESHAPE, /* tensor shapes do not fit the op */
    ENG_EOVERFLOW, /* a size computation overflowed size_t */
    ENG_EINVAL, /* an argument is out of range */
    ENG_ETAPE, /* the tape reached its entry limit */
    ENG_EIO, /* a file could not be read or written */
    ENG_EDATA /* input data is unusable (empty, too short, ...) */
} EngErr;

/* A static string naming the error, for messages printed by main. */
const char *eng_strerror(EngErr err);

/* *out = a * b; returns 0 on overflow (then *out is unspecified). */
static inline int size_mul(size_t a, size_t b, size_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

/* *out = a + b; returns 0 on overflow. */
static inline int size_add(size_t a, size_t b, size_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

#endif
