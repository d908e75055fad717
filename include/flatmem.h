/* flatmem.h - lets a program mark its training steps for the flatmem soak, so that memory
 * samples are placed by step rather than by time. C and C++; header only; no link flag.
 *
 *     #include <flatmem.h>
 *     for (long step = 1; step <= steps; step++) {
 *         train_one_step();
 *         flatmem_step(step);          // after the step: its memory counts in it
 *     }
 *
 * flatmem_step calls into the soak's probe library when the soak has preloaded it
 * (flatmem --cmd ...); otherwise the weak reference is NULL and the call is one test and a
 * not-taken branch. A statically linked program never sees the probe: it gets time-placed
 * samples. See docs/any-program.md. */
#ifndef FLATMEM_H
#define FLATMEM_H

#ifdef __cplusplus
extern "C" {
#endif

/* Defined by libflatmem-probe.so; absent (NULL) when it is not loaded. */
void flatmem_probe_step(unsigned long long step) __attribute__((weak));

/* Marks the end of training step `step` (1, 2, ...). */
static inline void flatmem_step(unsigned long long step)
{
    if (flatmem_probe_step)
        flatmem_probe_step(step);
}

#ifdef __cplusplus
}
#endif

#endif
