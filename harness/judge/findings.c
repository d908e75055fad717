#include "findings.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* Copies the line starting at p (without its newline) into dst. */
static void copy_line(char *dst, size_t cap, const char *p)
{
    size_t n = strcspn(p, "\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, p, n);
    dst[n] = 0;
}

/* out = "a b", truncated to fit (frames are for people: a cut tail is fine) */
static void join2(char *out, size_t cap, const char *a, const char *b)
{
    size_t n = 0;
    for (const char *p = a; *p && n + 1 < cap; p++)
        out[n++] = *p;
    if (*b && n + 1 < cap)
        out[n++] = ' ';
    for (const char *p = b; *p && n + 1 < cap; p++)
        out[n++] = *p;
    out[n] = 0;
}

static const char *next_line(const char *p)
{
    const char *nl = strchr(p, '\n');
    return nl ? nl + 1 : NULL;
}

/* out = "function place": the line from `from` cut at sep into the function and its
 * place, without a closing parenthesis; a place below the current folder (where the soak
 * runs: the project, or the workspace of a program of one's own) relative to it, so that
 * it names the file as the repository does ("engine/ops.c:95"). */
static int frame_from(const char *from, const char *sep, char *out, size_t cap)
{
    char buf[512];
    copy_line(buf, sizeof buf, from);
    char *cut = strstr(buf, sep);
    const char *where = "";
    if (cut) {
        *cut = 0;
        char *place = cut + strlen(sep), *close = strrchr(place, ')');
        if (close)
            *close = 0;
        /* no source: its module and offset, "(/usr/bin/python3.11+0x52ddfe)" */
        where = path_here(*place == '(' ? path_last(place + 1) : place);
    }
    join2(out, cap, buf, where);
    return 1;
}

/* ASan frame "    #0 0x55d1 in func /path/file.c:12:3" -> "func file.c:12:3"; one without
 * a symbol "    #1 0x50046f  (/usr/bin/python3.11+0x50046f)" -> "python3.11+0x50046f" */
static int asan_frame(const char *line, char *out, size_t cap)
{
    while (*line == ' ')
        line++;
    if (line[0] != '#' || !isdigit((unsigned char)line[1]))
        return 0;
    char buf[512];
    copy_line(buf, sizeof buf, line);
    const char *in = strstr(buf, " in ");
    char *open = strchr(buf, '(');
    if (in)
        return frame_from(line + (in - buf) + 4, " ", out, cap);
    if (!open)
        return 0;
    open[strcspn(open, ")")] = 0; /* the module's last part and the offset */
    snprintf(out, cap, "%s", path_last(open + 1));
    return 1;
}

static void kind_from_words(const char *p, char *kind, size_t cap)
{
    size_t n = 0;
    while (p[n] && p[n] != ' ' && p[n] != '\n' && n + 1 < cap)
        n++;
    memcpy(kind, p, n);
    kind[n] = 0;
}

int finding_from_sanitizer(const char *text, Finding *f)
{
    memset(f, 0, sizeof *f);
    const char *asan = strstr(text, "ERROR: AddressSanitizer: ");
    const char *lsan = strstr(text, "ERROR: LeakSanitizer: ");
    const char *ubsan = strstr(text, "runtime error: ");
    const char *first = NULL;
    const char *cands[3] = {asan, lsan, ubsan};
    for (int i = 0; i < 3; i++)
        if (cands[i] && (!first || cands[i] < first))
            first = cands[i];
    if (!first)
        return 0;
    const char *line = first;
    while (line > text && line[-1] != '\n')
        line--;
    /* the headline without its "==PID==" prefix */
    copy_line(f->message, sizeof f->message, first == ubsan ? line : first);
    if (first == asan) {
        snprintf(f->tool, sizeof f->tool, "asan");
        kind_from_words(asan + strlen("ERROR: AddressSanitizer: "), f->kind, sizeof f->kind);
    } else if (first == lsan) {
        snprintf(f->tool, sizeof f->tool, "lsan");
        const char *what = lsan + strlen("ERROR: LeakSanitizer: ");
        if (strncmp(what, "detected memory leaks", 21)) /* "SEGV on unknown address": its signal handler */
            kind_from_words(what, f->kind, sizeof f->kind);
        else
            snprintf(f->kind, sizeof f->kind, "leak");
        const char *direct = strstr(lsan, "Direct leak of ");
        if (direct) { /* "Direct leak of 1024 byte(s) in 3 object(s) allocated from:" */
            copy_line(f->message, sizeof f->message, direct);
            line = direct;
        }
    } else {
        snprintf(f->tool, sizeof f->tool, "ubsan");
        snprintf(f->kind, sizeof f->kind, "undefined-behavior");
    }
    /* the first stack after the headline, allocation wrappers left out */
    int in_stack = 0;
    for (const char *p = next_line(line); p && f->n_frames < FINDING_FRAMES; p = next_line(p)) {
        if (asan_frame(p, f->frames[f->n_frames], sizeof f->frames[0]))
            f->n_frames += (in_stack = 1, !frame_is_allocator(f->frames[f->n_frames]));
        else if (in_stack)
            break;
    }
    return 1;
}

/* "==123==    by 0x109E4A: gpt_step (gpt.c:230)" -> "gpt_step gpt.c:230" */
static int memcheck_frame(const char *line, char *out, size_t cap)
{
    const char *p = strstr(line, "== ");
    if (!p)
        return 0;
    p += 3;
    while (*p == ' ')
        p++;
    if (strncmp(p, "at 0x", 5) && strncmp(p, "by 0x", 5))
        return 0;
    const char *colon = strchr(p, ':');
    return colon ? frame_from(colon + 2, " (", out, cap) : 0;
}

int finding_from_memcheck(const char *text, Finding *f)
{
    memset(f, 0, sizeof *f);
    static const struct {
        const char *needle, *kind;
    } kinds[] = {
        {"Invalid read of size", "invalid-read"},
        {"Invalid write of size", "invalid-write"},
        {"Invalid free()", "invalid-free"},
        {"Mismatched free()", "mismatched-free"},
        {"Conditional jump or move depends on uninitialised value", "uninitialised-value"},
        {"Use of uninitialised value", "uninitialised-value"},
        {"Syscall param", "syscall-param"},
        {"are definitely lost in loss record", "definitely-lost"},
        {"Source and destination overlap", "overlap"},
    };
    const char *first = NULL, *kind = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const char *p = strstr(text, kinds[i].needle);
        if (p && (!first || p < first)) {
            first = p;
            kind = kinds[i].kind;
        }
    }
    if (!first)
        return 0;
    snprintf(f->tool, sizeof f->tool, "memcheck");
    snprintf(f->kind, sizeof f->kind, "%s", kind);
    const char *line = first;
    while (line > text && line[-1] != '\n')
        line--;
    const char *msg = strstr(line, "== ");
    copy_line(f->message, sizeof f->message, msg && msg < first ? msg + 3 : line);
    for (const char *p = next_line(line); p && f->n_frames < FINDING_FRAMES; p = next_line(p)) {
        char fr[256];
        if (!memcheck_frame(p, fr, sizeof fr))
            break;
        /* skip the allocator's own frames, keep ours */
        if (frame_is_allocator(fr) || strstr(fr, "vg_replace"))
            continue;
        join2(f->frames[f->n_frames++], sizeof f->frames[0], fr, "");
    }
    return 1;
}

static double grouped_number(const char *p)
{
    double v = 0;
    for (; isdigit((unsigned char)*p) || *p == ','; p++)
        if (*p != ',')
            v = v * 10 + (*p - '0');
    return v;
}

/* The line of a tool log's leak summary, just past its mark, or NULL. */
static const char *leak_summary(const char *text)
{
    static const char *const marks[] = {
        "SUMMARY: AddressSanitizer: ", "SUMMARY: LeakSanitizer: ", "definitely lost: "};
    for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
        const char *p = strstr(text, marks[i]);
        if (p && isdigit((unsigned char)p[strlen(marks[i])]) &&
            (i == 2 || strstr(p, "leaked") < strchr(p, '\n')))
            return p + strlen(marks[i]);
    }
    return NULL;
}

double finding_leak_bytes(const char *text)
{
    const char *p = leak_summary(text);
    return p ? grouped_number(p) : NAN;
}

/* Where the number of bytes of a leak report's headline starts, if line is one: "Direct
 * leak of 153600 byte(s) ..." (LeakSanitizer), "==12== 153,600 bytes in 600 blocks are
 * definitely lost ..." (memcheck); else NULL. */
static const char *leak_headline_bytes(const char *line, const char *eol)
{
    const char *p = strstr(line, "leak of ");
    if (p && p < eol)
        return p + strlen("leak of ");
    p = strstr(line, " are definitely lost");
    const char *num = strstr(line, "== ");
    return p && p < eol && num && num < p ? num + 3 : NULL;
}

double finding_leak_bytes_in(const char *text, const char *function)
{
    double sum = NAN;
    const char *head = NULL; /* the bytes of the report being read */
    int counted = 0;
    for (const char *line = text; *line;) {
        const char *eol = strchr(line, '\n');
        eol = eol ? eol : line + strlen(line);
        const char *h = leak_headline_bytes(line, eol);
        if (h)
            head = h, counted = 0;
        const char *f = strstr(line, function);
        if (f && f < eol && head && !counted && isdigit((unsigned char)*head)) {
            sum = (isnan(sum) ? 0 : sum) + grouped_number(head);
            counted = 1; /* once per report */
        }
        line = *eol ? eol + 1 : eol;
    }
    return sum;
}

double finding_leak_objects(const char *text)
{
    const char *p = leak_summary(text), *eol = p ? strchr(p, '\n') : NULL, *in = p ? strstr(p, " in ") : NULL;
    if (!in || (eol && in > eol) || !isdigit((unsigned char)in[4]))
        return NAN;
    return grouped_number(in + 4);
}

/* What a descriptor is open on, as grouped: files by path, sockets and pipes by kind (each
 * has an inode of its own). */
static void fd_target(const char *s, char *out, size_t cap)
{
    static const char *const kinds[] = {"socket", "pipe", "anon_inode"};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strncmp(s, kinds[i], strlen(kinds[i]))) {
            snprintf(out, cap, "%s", kinds[i]);
            return;
        }
    copy_line(out, cap, s);
}

int finding_open_fds(const char *text, FdGrowth *out)
{
    enum { MAX_GROUPS = 32 };
    FdGrowth g[MAX_GROUPS];
    int n = 0, best = -1;
    memset(out, 0, sizeof *out);
    for (const char *p = text ? strstr(text, "== Open ") : NULL; p; p = strstr(p + 1, "== Open ")) {
        const char *colon = strchr(p, ':'), *eol = strchr(p, '\n');
        if (!colon || (eol && colon > eol))
            continue;
        FdGrowth one = {.count = 1};
        char target[160];
        copy_line(target, sizeof target, colon + 1 + (colon[1] == ' '));
        if (strstr(p, " socket ") && strstr(p, " socket ") < colon)
            snprintf(target, sizeof target, "socket");
        fd_target(target, one.target, sizeof one.target);
        for (const char *l = next_line(p); l; l = next_line(l)) {
            char fr[256];
            if (!memcheck_frame(l, fr, sizeof fr))
                break;
            if (!frame_is_allocator(fr)) {
                snprintf(one.frame, sizeof one.frame, "%.*s", (int)sizeof one.frame - 1, fr);
                break;
            }
        }
        if (!one.frame[0])
            continue; /* inherited from the parent, or opened by the runtime alone */
        int k = 0;
        while (k < n && (strcmp(g[k].target, one.target) || strcmp(g[k].frame, one.frame)))
            k++;
        if (k == n && n < MAX_GROUPS) {
            g[n] = one;
            g[n++].count = 0;
        }
        if (k < n) {
            g[k].count++;
            best = best < 0 || g[k].count > g[best].count ? k : best;
        }
    }
    if (best >= 0)
        *out = g[best];
    return best >= 0 ? out->count : 0;
}

int finding_thread_creator(const char *text, char *frame, size_t cap)
{
    int n = 0;
    frame[0] = 0;
    for (const char *p = text ? strstr(text, "pthread_create") : NULL; p;
         p = next_line(p) ? strstr(next_line(p), "pthread_create") : NULL) { /* a line once */
        const char *l = next_line(p); /* the frames below pthread_create: its caller first */
        char fr[256];
        for (; l && memcheck_frame(l, fr, sizeof fr); l = next_line(l))
            if (!frame_is_allocator(fr) && !strstr(fr, "pthread_create")) {
                if (!frame[0])
                    snprintf(frame, cap, "%.*s", (int)cap - 1, fr);
                n++;
                break;
            }
    }
    return n;
}
