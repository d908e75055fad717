#include "frames.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static const char *const k_allocators[] = {
    "malloc",
    "calloc",
    "realloc",
    "reallocarray",
    "free",
    "posix_memalign",
    "aligned_alloc",
    "memalign",
    "valloc",
    "pvalloc",
    "strdup",
    "strndup",
    "wcsdup",
    "asprintf",
    "vasprintf",
    "getline",
    "getdelim",
    "open_memstream",
    "imalloc",
    "operator new",
    "operator new[]",
    "mem_alloc",
    "mem_calloc",
    "malloc_usable_size",
    "mallocx",
    "sallocx",
    "rallocx",
    "xallocx",
    /* families: glibc's internal aliases and its stdio, the dynamic loader, jemalloc's own
     * frames, the sanitizers', libstdc++'s containers and strings */
    "__",
    "_IO_",
    "_dl_",
    "je_",
    "std::",
    "__gnu_cxx::",
};

/* glibc's own source folders, as its frames name them (jeprof: "./string/./string/strdup.c:42",
 * "./elf/dl-init.c:70"; memcheck: "io/../sysdeps/unix/sysv/linux/open64.c:41", relative: a
 * program's own files are named by their whole path): a frame there is the C library's. */
static const char *const k_glibc_dirs[] = {"string", "stdlib", "libio",        "elf",    "malloc",  "misc",
                                           "posix",  "nptl",   "stdio-common", "dirent", "io",      "wcsmbs",
                                           "intl",   "iconv",  "locale",       "time",   "sysdeps", "resolv",
                                           "inet",   "csu",    "dlfcn",        "assert"};

/* The function of a frame without what decorates it: the location after the last blank
 * ("f file.c:3"), template arguments, parameters, a return type ("void std::vector<int>::
 * _M_realloc_insert<int>(...)" -> "std::vector::_M_realloc_insert"), jeprof's "[inline]" and
 * "<addr>". out: the name, loc: the location ("" when none). */
static void frame_parts(const char *frame, char *out, size_t cap, const char **loc)
{
    const char *sp = strrchr(frame, ' '),
               *in = strstr(frame, " in /"); /* memcheck: "malloc in /usr/lib..." */
    size_t len =
        sp && strchr(sp, ':') && !strchr(sp, '(') && !strchr(sp, '>') ? (size_t)(sp - frame) : strlen(frame);
    *loc = len < strlen(frame) ? frame + len + 1 : "";
    if (in && (size_t)(in - frame) < len) {
        len = (size_t)(in - frame);
        *loc = in + 4;
    }
    int signature = memchr(frame, '(', len) != NULL; /* a C++ signature may carry a return type */
    size_t n = 0;
    int depth = 0;
    for (size_t i = 0; i < len && n + 1 < cap; i++) {
        char c = frame[i];
        int op = i >= 8 && !strncmp(frame + i - 8, "operator", 8); /* operator< and operator() are names */
        if ((c == '(' || c == '[') && !op && depth == 0)
            break;
        if (c == '<' && !op)
            depth++;
        else if (c == '>' && depth > 0)
            depth--;
        else if (depth == 0)
            out[n++] = c;
    }
    out[n] = 0;
    while (n > 0 && out[n - 1] == ' ')
        out[--n] = 0;
    /* a return type before the name: keep what follows the last blank before it ("operator
     * new" has a blank of its own) */
    char *oper = strstr(out, "operator"), *cut = NULL;
    for (char *q = out; signature && *q && (!oper || q < oper); q++)
        cut = *q == ' ' ? q : cut;
    if (cut)
        memmove(out, cut + 1, strlen(cut + 1) + 1);
}

/* Names ending in '_' or ':' (and "operator new") are families: a prefix is enough;
 * the others must be the whole function name. A frame in glibc's own sources is the C
 * library's too. */
int frame_is_allocator(const char *frame)
{
    char name[256];
    const char *loc;
    frame_parts(frame, name, sizeof name, &loc);
    for (size_t i = 0; i < sizeof k_allocators / sizeof k_allocators[0]; i++) {
        const char *a = k_allocators[i];
        size_t n = strlen(a);
        int family = a[n - 1] == '_' || a[n - 1] == ':' || !strncmp(a, "operator new", 12);
        if (!strncmp(name, a, n) && (family || !name[n]))
            return 1;
    }
    /* the soak's probe standing between the program and libc (its open, fopen, ...): the
     * tool's, not the program's; its planted control's frames are what a control looks for */
    if ((strstr(loc, "flatmem_probe.c") || strstr(loc, "libflatmem-probe")) &&
        strncmp(name, "flatmem_control_", 16))
        return 1;
    const char *rel = !strncmp(loc, "./", 2) ? loc + 2 : loc; /* memcheck: "io/../sysdeps/..." */
    for (size_t i = 0; i < sizeof k_glibc_dirs / sizeof k_glibc_dirs[0]; i++) {
        size_t n = strlen(k_glibc_dirs[i]);
        if (!strncmp(rel, k_glibc_dirs[i], n) && rel[n] == '/')
            return 1;
    }
    return 0;
}

/* A number that may have thousands separators ("1,024"). */
