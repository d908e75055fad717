/* frames.h - what a stack frame of a tool's report or a heap profile is: the program's own
 * code, or an allocation function or runtime library that passes an allocation on (every
 * stage reads frames: the judge to charge a growth past them, the flame graph to grey them). */
#ifndef HARNESS_FRAMES_H
#define HARNESS_FRAMES_H

/* 1 when a stack frame ("function file:line", or jeprof's "function[inline]") is not the
 * program's own code but passes an allocation on: an allocation function ("malloc",
 * "strdup", "operator new", the engine's "mem_alloc"), a runtime library's internals
 * (names beginning "__": glibc's __GI_ and __libc_ aliases, the sanitizers' interceptors;
 * "_IO_", "_dl_"; jemalloc's "je_"; libstdc++'s "std::" and "__gnu_cxx::", return types
 * and template arguments looked past), or a frame in glibc's own sources ("./string/...").
 * A report names the first frame above these. */
int frame_is_allocator(const char *frame);

#endif
