/* modes.h - what each mode is: one row of one table (harness/common/modes.c), as SQLite describes
 * an allocator by one struct of methods. A mode is "how to wrap the start of a target so
 * that a tool can see it": its name, the build of the built-in program it runs, what it
 * preloads, the tool in front, the environment it sets, which log holds its tool's report
 * and how to read it, what it judges (memory series, leak reports, accesses, heap
 * profiles) and why it cannot see a family of problem. Adding a mode means a row here,
 * its docs (docs/soak.md, docs/any-program.md) and its tests; nothing else in the harness
 * names a mode.
 *
 * Reads: nothing. Owns: static data. */
#ifndef HARNESS_MODES_H
#define HARNESS_MODES_H

#include "evidence.h"
#include "kinds.h"

/* The tool that watched a run: lsan is LeakSanitizer preloaded into the plain build (or the
 * user's program). Identity only: everything a mode means is its row. */
typedef enum Mode {
    MODE_NATIVE,
    MODE_ASAN,
    MODE_VALGRIND,
    MODE_JEMALLOC,
    MODE_LSAN,
#ifdef FLATMEM_TEST_SIXTH_MODE
    /* tests/e2e/test_modes.c: a sixth row in a build of its own (build/release/soak-sixth-mode),
     * added here and in modes.c only, proving that a new row needs nothing elsewhere */
    MODE_SIXTH,
#endif
    MODE_COUNT
} Mode;

/* A library a mode preloads into the program it starts. */
typedef enum Preload { PRELOAD_NONE, PRELOAD_JEMALLOC, PRELOAD_LSAN } Preload;

/* Whose heap a mode's memory series count: the tool's own (sizes as asked, as far as the
 * soak knows), glibc's malloc (chunks), or jemalloc (size classes). */
typedef enum HeapKind { HEAP_TOOL, HEAP_GLIBC, HEAP_JEMALLOC } HeapKind;

/* Families of problem, for what a mode cannot see (diagnosis.h has the kinds in each). */
typedef enum Blind { BLIND_ACCESS, BLIND_LEAK, BLIND_REACHABLE, BLIND_PAGES, BLIND_COUNT } Blind;

#define MODE_MAX_ENV 4
#define MODE_MAX_WRAP 12

/* The report format of a mode's log: the sanitizers' (ASan, LSan, UBSan) or memcheck's. */
typedef enum LogFormat { LOG_SANITIZER, LOG_MEMCHECK } LogFormat;

typedef struct ModeSpec {
    Mode mode;
    const char *name; /* "native" */
    /* the built-in program: build variant (NULL: the plain build, --native-variant) */
    const char *variant;
    /* wrapping */
    Preload preload_builtin; /* into the built-in program */
    Preload preload_cmd; /* into a program of one's own (--cmd) */
    int probe; /* the soak's probe library is preloaded too (not under ASan) */
    int memcheck; /* valgrind --tool=memcheck in front (its wrapper): slow, its own allocator */
    /* the tool in front of the program, word by word, with the environment's placeholders
     * and "{log}" (the run folder's log, below), "{valgrind_supp}" --valgrind-suppressions
     * (a word starting "?" only when it is given) */
    const char *wrapper[MODE_MAX_WRAP];
    int own_build; /* --cmd: needs the user's build for this mode (--asan-cmd) */
    int attaches; /* watches a process already running (--attach): starts nothing under a tool */
    /* the environment it sets; "{dir}" the run folder, "{prof_sample}" --prof-sample,
     * "{lsan_supp}" --lsan-suppressions (an entry starting "?" only when that is given),
     * "{lsan_supp_opt}" ":suppressions=FILE" or nothing, "{tunables}" the caller's
     * GLIBC_TUNABLES and ":" or nothing */
    const char *env[MODE_MAX_ENV];
    const char *env_cmd[MODE_MAX_ENV]; /* and only for --cmd */
    /* and only for a --cmd that runs Python ("{py_frames}" --py-frames) */
    const char *env_python[MODE_MAX_ENV];
    /* what it sees */
    const char *log; /* the file of the run folder that holds the tool's report */
    LogFormat log_format; /* how judging reads a report out of it (judge/findings.h) */
    int judges_memory; /* its memory series and resident memory decide verdicts */
    int checks_leaks; /* its tool reports unreachable memory at exit */
    int heap_profiles; /* jemalloc's heap profiler: the stacks that grew (attrib.h) */
    int traces_python; /* a Python program's lines that grew, from tracemalloc: the soak's start-up
                          hook goes on its path (python/hook/sitecustomize.py; pyattrib.h) */
    int events; /* the built-in program writes its event log (sites) */
    const char *allocator_note; /* on its charts: whose statistics the red lines are, or NULL */
    HeapKind heap; /* whose blocks its heap series count (mode_block_charge) */
    const char *needs; /* for --help: what it needs installed ("valgrind (Debian: valgrind)") */
    /* defaults: the built-in program's modes, and a command's, in this order (0: not) */
    int default_builtin;
    int default_cmd;
    /* why a FLAT run of it did not see a problem of each family (NULL: FLAT at every count) */
    const char *blind[BLIND_COUNT];
} ModeSpec;

/* The row of mode m (MODE_COUNT rows, in the enum's order). */
const ModeSpec *mode_spec(Mode m);

const char *mode_name(Mode m);
int mode_parse(const char *s, Mode *m); /* 1 on success */
/* "native, asan, valgrind, jemalloc, lsan", for messages: into out, which it returns. */
const char *mode_names(char *out, size_t cap);

/* The build variant mode m runs the built-in program from (native_variant for the plain build). */
const char *mode_variant(Mode m, const char *native_variant);

/* The modes a soak runs by default, in order: the built-in program's, or a command's
 * (with_own_build: the user gave the builds a mode needs, e.g. --asan-cmd). How many. */
int mode_defaults(int is_cmd, int with_own_build, Mode *out);

/* The mode that watches a running process (--attach). */
Mode mode_attaching(void);

/* Why mode m cannot see a problem of this kind (a FLAT run of it), for people (its row's blind texts). */
const char *mode_blind_reason(Mode m, Kind kind);

/* What mode m's heap series count for a block of s bytes the program asked for: glibc's
 * chunk (s and an 8-byte header in steps of 16, at least 32), jemalloc's size class (steps
 * of 16 to 128, then four classes to each doubling), else s. */
double mode_block_charge(Mode m, double s);

#endif
