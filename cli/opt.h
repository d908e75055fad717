/* opt.h - one option table that both parses a command line and prints its --help, for
 * every program of the project (train_full, generate, tokenize, soak and its subcommands).
 *
 * A table row names an option, its type, where its value goes (an offset into the
 * caller's struct), the accepted range of a number, and its help line. "--name value" and
 * "--name=value" are both read; "-h" and "--help" ask for help; a word that does not start
 * with "-" (or is a negative number) is a positional argument, handed to the caller.
 * Messages name the option and what is wrong with the value: "--tokens: '1.5' is not a
 * whole number in 1..1000000000".
 *
 *     static const Opt k_opts[] = {
 *         {"--tokens", OPT_LONG, offsetof(Opts, tokens), 1, 1e9, "N", "tokens to generate (200)"},
 *         {"--quiet", OPT_FLAG, offsetof(Opts, quiet), 0, 0, NULL, "no progress lines"},
 *     };
 *     static const OptTable k_table = {k_opts, sizeof k_opts / sizeof k_opts[0]};
 *     int rc = opt_parse(&k_table, argc, argv, &o, NULL, err, sizeof err);
 *
 * Parsing allocates nothing: strings point into argv. No dependency but libc. */
#ifndef CLI_OPT_H
#define CLI_OPT_H

#include <stddef.h>
#include <stdio.h>

typedef enum OptType {
    OPT_FLAG, /* int, set to 1; no value (or the setter is called with NULL) */
    OPT_INT, /* int, a whole number in lo..hi */
    OPT_LONG, /* long, a whole number in lo..hi */
    OPT_U64, /* uint64_t, a non-negative whole number (at most hi when hi > 0) */
    OPT_DOUBLE, /* double in [lo, hi] */
    OPT_FLOAT, /* float in [lo, hi] */
    OPT_STR, /* const char *, not empty */
    OPT_CUSTOM, /* the row's setter decides */
} OptType;

typedef struct Opt Opt;

/* A custom setter: stores value (NULL for a flag) into target (the caller's struct). 0, or
 * -1 with what is wrong in why ("is not a list of at most 16 counts"), which the message
 * puts after the option and the value. */
typedef int (*OptSetFn)(const Opt *o, const char *value, void *target, char *why, size_t cap);

struct Opt {
    const char *name; /* "--tokens" */
    OptType type;
    size_t offset; /* into the caller's struct */
    double lo, hi; /* numbers: the accepted range */
    const char *metavar; /* "N"; NULL: a flag, it takes no value */
    const char *help; /* its --help line; NULL: not listed */
    OptSetFn set; /* OPT_CUSTOM, or an OPT_FLAG with more to do than set an int */
};

typedef struct OptTable {
    const Opt *opts;
    size_t n;
} OptTable;

enum { OPT_OK = 0, OPT_HELP = 1, OPT_ERROR = 2 };

/* A positional argument: 0, or -1 with the whole message in err. */
typedef int (*OptPositionalFn)(const char *arg, void *target, char *err, size_t cap);

/* Parses argv[1..argc) into target. Positional arguments go to positional (NULL: each is
 * refused). OPT_OK, OPT_HELP, or OPT_ERROR with a one-line message in err. */
int opt_parse(const OptTable *t, int argc, char **argv, void *target, OptPositionalFn positional, char *err,
              size_t errlen);

/* The row of an argument ("--tokens" or "--tokens=5"), or NULL. */
const Opt *opt_find(const OptTable *t, const char *arg);

/* The --help lines of the listed rows: "  --tokens N      tokens to generate (200)", the
 * help text starting at column width + 3. */
void opt_usage(const OptTable *t, FILE *f, int width);

/* The same for the rows from the one named first up to, not including, the one named end
 * (NULL: to the last): a table in groups, each under its own heading. */
void opt_usage_range(const OptTable *t, const char *first, const char *end, FILE *f, int width);

/* A whole number or a number of a string, within lo..hi: 1 and *out, or 0. */
int opt_long(const char *s, double lo, double hi, long *out);
int opt_double(const char *s, double lo, double hi, double *out);

#endif
