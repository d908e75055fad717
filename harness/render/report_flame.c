#include "report_flame.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnosis.h"
#include "frames.h"
#include "outfile.h"
#include "util.h"
#include "xml.h"

#define FLAME_W 1200.0
#define ROW_H 17
#define TOP 34 /* room for the title */
#define MAX_DEPTH 96

typedef struct Stack {
    char *frames[MAX_DEPTH];
    int n;
    double bytes;
} Stack;

typedef struct Flame {
    FILE *f;
    const char *highlight;
    double scale; /* pixels per byte */
    int height; /* of the drawing */
    double total;
} Flame;

/* "f<0000abcd>" -> "f" (in place). */
static char *undecorate(char *frame)
{
    char *lt = strchr(frame, '<');
    if (lt && lt != frame && strchr(lt, '>'))
        *lt = 0;
    return frame;
}

static int cmp_stack(const void *a, const void *b)
{
    const Stack *x = a, *y = b;
    for (int i = 0; i < x->n && i < y->n; i++) {
        int c = strcmp(x->frames[i], y->frames[i]);
        if (c)
            return c;
    }
    return x->n - y->n;
}

/* The folded lines of text into stacks (pointing into text). Returns how many. */
static int parse(char *text, Stack **out, int *depth, double *total)
{
    int cap = 256, n = 0;
    Stack *s = malloc((size_t)cap * sizeof *s);
    *depth = 0;
    *total = 0;
    for (char *line = strtok(text, "\n"); s && line; line = strtok(NULL, "\n")) {
        char *sp = strrchr(line, ' ');
        double bytes = sp ? strtod(sp + 1, NULL) : 0;
        if (!sp || bytes <= 0)
            continue;
        *sp = 0;
        if (n == cap) {
            Stack *t = realloc(s, (size_t)(cap *= 2) * sizeof *s);
            if (!t)
                break;
            s = t;
        }
        Stack *st = &s[n++];
        st->n = 0;
        st->bytes = bytes;
        for (char *p = line, *semi; p && st->n < MAX_DEPTH; p = semi ? semi + 1 : NULL) {
            semi = strchr(p, ';');
            if (semi)
                *semi = 0;
            st->frames[st->n++] = undecorate(p);
        }
        *depth = st->n > *depth ? st->n : *depth;
        *total += bytes;
    }
    *out = s;
    return s ? n : -1;
}

static const char *colour(const Flame *fl, const char *name, char *buf, size_t cap)
{
    if (fl->highlight[0] && !strcmp(name, fl->highlight))
        return "#e53935";
    if (frame_is_allocator(name) && strncmp(name, "__libc_start", 12))
        return "#c8c8c8";
    unsigned h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    snprintf(buf, cap, "#%02x%02x%02x", 230 + h % 26, 120 + (h >> 8) % 90, 40 + (h >> 16) % 50);
    return buf;
}

static void box(const Flame *fl, const char *name, double x, int depth, double bytes)
{
    double w = bytes * fl->scale;
    if (w < 0.4)
        return;
    int y = TOP + fl->height - (depth + 1) * ROW_H;
    char b[32], fill[16];
    fmt_bytes(b, sizeof b, bytes);
    fprintf(fl->f, "<g><title>");
    xml_str(fl->f, name);
    fprintf(
        fl->f,
        ": %s (%.1f%%)</title><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" rx=\"2\"/>",
        b, 100.0 * bytes / fl->total, x, y, w, ROW_H - 1, colour(fl, name, fill, sizeof fill));
    int chars = (int)((w - 6) / 6.6);
    if (chars >= 3) {
        char label[128];
        int len = (int)strlen(name);
        snprintf(label, sizeof label, len > chars ? "%.*s.." : "%.*s", len > chars ? chars - 2 : len, name);
        fprintf(fl->f, "<text x=\"%.1f\" y=\"%d\">", x + 3, y + ROW_H - 5);
        xml_str(fl->f, label);
        fprintf(fl->f, "</text>");
    }
    fprintf(fl->f, "</g>\n");
}

/* Draws the frames at `depth` of stacks[lo..hi) (sorted, sharing frames[0..depth)) from x. */
static void draw(const Flame *fl, const Stack *s, int lo, int hi, int depth, double x)
{
    for (int i = lo; i < hi;) {
        if (s[i].n <= depth) { /* ends below: its bytes are its parent's own */
            i++;
            continue;
        }
        int j = i;
        double bytes = 0;
        while (j < hi && s[j].n > depth && !strcmp(s[j].frames[depth], s[i].frames[depth]))
            bytes += s[j++].bytes;
        box(fl, s[i].frames[depth], x, depth, bytes);
        draw(fl, s, i, j, depth + 1, x);
        x += bytes * fl->scale;
        i = j;
    }
}

int flame_write(const char *folded, const char *collapsed, const char *svg_path, const char *title,
                const char *highlight, char *err, size_t errlen)
{
    char *text = folded ? strdup(folded) : NULL;
    if (!text) {
        snprintf(err, errlen, "%s: %s", collapsed, folded ? strerror(errno) : strerror(ENOENT));
        return -1;
    }
    Stack *s = NULL;
    int depth = 0;
    double total = 0;
    int n = parse(text, &s, &depth, &total);
    if (n <= 0) {
        free(s);
        free(text);
        return n < 0 ? (snprintf(err, errlen, "%s: out of memory", collapsed), -1) : 0;
    }
    qsort(s, (size_t)n, sizeof s[0], cmp_stack);
    OutFile of;
    Flame fl = {.f = outfile_open(&of, svg_path),
                .highlight = highlight ? highlight : "",
                .scale = (FLAME_W - 20) / total,
                .height = depth * ROW_H,
                .total = total};
    if (!fl.f) {
        snprintf(err, errlen, "%s: cannot be written: %s", svg_path, strerror(errno));
    } else {
        char b[32];
        fmt_bytes(b, sizeof b, total);
        fprintf(fl.f,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
                "width=\"%.0f\" height=\"%d\" viewBox=\"0 0 %.0f %d\" font-family=\"monospace\" "
                "font-size=\"11\">\n"
                "<rect width=\"100%%\" height=\"100%%\" fill=\"#fffdf7\"/>\n<text x=\"10\" y=\"20\" "
                "font-size=\"14\">",
                FLAME_W, TOP + fl.height + 8, FLAME_W, TOP + fl.height + 8);
        xml_str(fl.f, title);
        fprintf(
            fl.f,
            " (%s; width: bytes grown; red: where it is charged)</text>\n<g transform=\"translate(10,0)\">\n",
            b);
        draw(&fl, s, 0, n, 0, 0);
        fprintf(fl.f, "</g>\n</svg>\n");
    }
    free(s);
    free(text);
    if (!fl.f)
        return -1;
    return outfile_finish(&of, err, errlen) ? -1 : n;
}
