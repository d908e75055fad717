/* libshim.so - a preload library of "someone else's", for the soak's tests of a command
 * that sets LD_PRELOAD itself (docs/any-program.md, "Your own preloads"): it wraps
 * nanosleep, as a tracing or fault-injection shim wraps a call, and loses 256 bytes at each
 * call (shim_note: a note allocated and never freed). tests/programs/anyprog sleeps once a
 * step, so the program leaks 256 bytes a step through the shim alone:
 *
 *     soak --cmd 'env LD_PRELOAD=build/release/tests/libshim.so build/release/tests/anyprog clean {iters}'
 *
 * must catch it (LeakSanitizer names shim_note), with the soak's own preloads kept. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void *volatile shim_last; /* the last note, overwritten: the one before is lost */

__attribute__((noinline)) static void shim_note(void)
{
    char *note = malloc(256);
    if (note)
        memset(note, 'n', 256);
    shim_last = note;
    shim_last = NULL; /* dropped: nothing points at it */
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    static int (*real)(const struct timespec *, struct timespec *);
    if (!real)
        *(void **)&real = dlsym(RTLD_NEXT, "nanosleep");
    shim_note();
    return real ? real(req, rem) : -1;
}
