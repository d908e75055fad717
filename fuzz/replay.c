/* replay.c - a libFuzzer target run over its seed corpus without libFuzzer: each file of
 * fuzz/corpus/<target> (FUZZ_TARGET_NAME) given whole to LLVMFuzzerTestOneInput, in the
 * asan variant (ASan and UBSan, UBSan's reports fatal), so that `make test` tries in
 * seconds every input that once crashed a reader (`make fuzz` stays for finding new ones,
 * with clang's libFuzzer). Prints cmocka's summary line: "[  PASSED  ] N test(s)." with N
 * the inputs replayed; a crash ends the program with the sanitizer's report. */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The project's folder from this program's path (build/<variant>/tests/NAME). */
static void project_of(const char *argv0, char *out, size_t cap)
{
    char self[PATH_MAX], rel[PATH_MAX + 16];
    snprintf(self, sizeof self, "%s", argv0);
    snprintf(rel, sizeof rel, "%s/../../..", dirname(self));
    if (!realpath(rel, out) && (size_t)snprintf(out, cap, "%s", rel) >= cap)
        out[cap - 1] = 0;
}

static int replay(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    size_t got = buf ? fread(buf, 1, (size_t)(n > 0 ? n : 0), f) : 0;
    fclose(f);
    if (!buf)
        return 0;
    LLVMFuzzerTestOneInput(buf, got);
    free(buf);
    return 1;
}

int main(int argc, char **argv)
{
    (void)argc;
    char root[PATH_MAX], dir[PATH_MAX + 64];
    project_of(argv[0], root, sizeof root);
    snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", root, FUZZ_TARGET_NAME);
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay %s: %s: no seed corpus\n", FUZZ_TARGET_NAME, dir);
        return 1;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[PATH_MAX + 320];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        fprintf(stderr, "replay %s: %s\n", FUZZ_TARGET_NAME, e->d_name);
        n += replay(path);
    }
    closedir(d);
    printf("[  PASSED  ] %d test(s).\n", n);
    return 0;
}
