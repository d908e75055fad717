#include "opt.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int opt_long(const char *s, double lo, double hi, long *out)
{
    if (!*s)
        return 0;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || errno == ERANGE || (double)v < lo || (double)v > hi)
        return 0;
    *out = v;
    return 1;
}

int opt_double(const char *s, double lo, double hi, double *out)
{
    if (!*s)
        return 0;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (*end || errno == ERANGE || !isfinite(v) || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return OPT_ERROR;
}

const Opt *opt_find(const OptTable *t, const char *arg)
{
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    for (size_t k = 0; k < t->n; k++)
        if (strlen(t->opts[k].name) == len && !strncmp(t->opts[k].name, arg, len))
            return &t->opts[k];
    return NULL;
}

/* A non-negative whole number of 64 bits (at most hi when hi > 0). */
static int set_u64(const Opt *o, const char *v, uint64_t *dst, char *err, size_t errlen)
{
    errno = 0;
    char *end;
    unsigned long long n = strtoull(v, &end, 10);
    if (!*v || *end || errno == ERANGE || v[0] == '-' || (o->hi > 0 && (double)n > o->hi))
        return fail(err, errlen, "%s: '%s' is not a non-negative integer%s", o->name, v,
                    o->hi > 0 ? " in range" : "");
    *dst = n;
    return OPT_OK;
}

/* Stores value v of row o into target. OPT_OK, or OPT_ERROR with the message. */
static int set_value(const Opt *o, const char *v, void *target, char *err, size_t errlen)
{
    char *dst = (char *)target + o->offset, why[256] = "";
    long l;
    double d;
    switch (o->type) {
    case OPT_FLAG: *(int *)dst = 1; return OPT_OK;
    case OPT_INT:
    case OPT_LONG:
        if (!opt_long(v, o->lo, o->hi, &l))
            return fail(err, errlen, "%s: '%s' is not a whole number in %.0f..%.0f", o->name, v, o->lo,
                        o->hi);
        if (o->type == OPT_INT)
            *(int *)dst = (int)l;
        else
            *(long *)dst = l;
        return OPT_OK;
    case OPT_U64: return set_u64(o, v, (uint64_t *)dst, err, errlen);
    case OPT_DOUBLE:
    case OPT_FLOAT:
        if (!opt_double(v, o->lo, o->hi, &d))
            return fail(err, errlen, "%s: '%s' is not a number in [%g, %g]", o->name, v, o->lo, o->hi);
        if (o->type == OPT_FLOAT)
            *(float *)dst = (float)d;
        else
            *(double *)dst = d;
        return OPT_OK;
    case OPT_STR:
        if (!*v)
            return fail(err, errlen, "%s: needs a %s, got an empty string", o->name, o->metavar);
        *(const char **)dst = v;
        return OPT_OK;
    case OPT_CUSTOM: break;
    }
    if (o->set(o, v, target, why, sizeof why) != 0)
        return fail(err, errlen, "%s: '%s' %s", o->name, v, why);
    return OPT_OK;
}

/* Option argv[*i] (its value from "=..." or the next argument). */
static int parse_option(const OptTable *t, int argc, char **argv, int *i, void *target, char *err,
                        size_t errlen)
{
    const char *a = argv[*i], *eq = strchr(a, '=');
    const Opt *o = opt_find(t, a);
    char why[256] = "";
    if (!o)
        return fail(err, errlen, "unknown option '%s'", a);
    if (!o->metavar) { /* a flag */
        if (eq)
            return fail(err, errlen, "%s takes no value", o->name);
        if (o->set && o->set(o, NULL, target, why, sizeof why) != 0)
            return fail(err, errlen, "%s %s", o->name, why);
        if (!o->set)
            *(int *)((char *)target + o->offset) = 1;
        return OPT_OK;
    }
    const char *v = eq ? eq + 1 : NULL;
    if (!v) {
        if (*i + 1 >= argc)
            return fail(err, errlen, "%s: missing value (%s %s)", o->name, o->name, o->metavar);
        v = argv[++*i];
    }
    return set_value(o, v, target, err, errlen);
}

int opt_parse(const OptTable *t, int argc, char **argv, void *target, OptPositionalFn positional, char *err,
              size_t errlen)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return OPT_HELP;
        int rc;
        if (a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9'))
            rc = parse_option(t, argc, argv, &i, target, err, errlen);
        else if (!positional)
            rc = fail(err, errlen, "unexpected argument '%s'", a);
        else
            rc = positional(a, target, err, errlen) == 0 ? OPT_OK : OPT_ERROR;
        if (rc != OPT_OK)
            return rc;
    }
    return OPT_OK;
}

void opt_usage(const OptTable *t, FILE *f, int width)
{
    opt_usage_range(t, t->n ? t->opts[0].name : NULL, NULL, f, width);
}

void opt_usage_range(const OptTable *t, const char *first, const char *end, FILE *f, int width)
{
    size_t from = t->n;
    for (size_t k = 0; first && k < t->n && from == t->n; k++)
        from = strcmp(t->opts[k].name, first) ? t->n : k;
    for (size_t k = from; k < t->n && !(end && !strcmp(t->opts[k].name, end)); k++) {
        const Opt *o = &t->opts[k];
        if (!o->help)
            continue;
        char left[64];
        snprintf(left, sizeof left, "%s%s%s", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        fprintf(f, "  %-*s %s\n", width, left, o->help);
    }
}
