/* Profiles in the formats other tools read (docs/reports.md): the pprof encoder's output is
 * read back by Go's own pprof (`go tool pprof`, Debian's golang-go): values, labels, lines,
 * inlined functions, negative values; a soak of a program that keeps 1 KiB a step writes,
 * for its jemalloc runs, growth.pb.gz whose `pprof -top` names the growing function at
 * about 1 KiB per iteration with the run's mode, count and commit as labels, heap-early and
 * heap-late whose `-diff_base` shows the same growth, and growth.speedscope.json, which
 * validates against the schema the speedscope package ships (npm; ajv-cli validates, and
 * refuses a broken copy); the page links them. Release variant only. */
#include "soakutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pprof.h"

static char g_dir[PATH_MAX]; /* build/release */
static char g_root[PATH_MAX + 8]; /* the project */

/* `go tool pprof ARGS` into SCRATCH/NAME.txt; fails the test when it fails. */
static void pprof(const char *name, const char *args)
{
    if (test_sh("go tool pprof %s >'%s/%s.txt' 2>&1", args, test_tmpdir(), name))
        fail_msg("go tool pprof %s failed (see %s/%s.txt)", args, test_tmpdir(), name);
}

/* The first row of a `pprof -top` in SCRATCH/NAME.txt: its flat value ("14.14kB") and name. */
static void top_row(const char *name, char *flat, char *function)
{
    char path[PATH_MAX + 64], line[1024];
    snprintf(path, sizeof path, "%s/%s.txt", test_tmpdir(), name);
    FILE *f = fopen(path, "r");
    int header = 0;
    flat[0] = function[0] = 0;
    while (f && fgets(line, sizeof line, f))
        if (header && sscanf(line, "%63s %*s %*s %*s %*s %255[^\n]", flat, function) == 2)
            break;
        else
            header |= strstr(line, "flat%") != NULL;
    if (f)
        fclose(f);
    if (!function[0])
        fail_msg("%s: no row in pprof's -top (see %s)", name, path);
}

/* pprof's "1.02kB", "127B", "-1kB" as bytes. */
static double bytes_of(const char *v)
{
    char *end;
    double x = strtod(v, &end);
    return !strcmp(end, "kB") ? x * 1024 : !strcmp(end, "MB") ? x * 1048576 : x;
}

static int contains(const char *name, const char *text)
{
    return test_sh("grep -qF -- '%s' '%s/%s.txt'", text, test_tmpdir(), name) == 0;
}

static void need_go(void)
{
    if (test_sh("go version >/dev/null 2>&1"))
        fail_msg("go is not installed (Debian: golang-go; make test installs it as root)");
}

/* The encoder, read by pprof itself: a stack with an inlined function, labels, a
 * negative sample. */
static void test_encoding_read_by_pprof(void **state)
{
    (void)state;
    need_go();
    static const char *const types[2][2] = {{"growth_space", "bytes"}, {"growth_per_iteration", "bytes"}};
    static const char *const period[2] = {"space", "bytes"};
    Pprof *p = pprof_new(types, 2, period, 131072);
    pprof_comment(p, "made by test_profiles");
    uint64_t m = pprof_mapping(p, 0x400000, 0x500000, 0, "/opt/prog");
    uint64_t leaky = pprof_function(p, "leaky", "src/leaky.c"), inl = pprof_function(p, "helper", "src/h.h"),
             mn = pprof_function(p, "main", "src/main.c"), shr = pprof_function(p, "shrinker", "src/s.c");
    assert_int_equal(pprof_function(p, "leaky", "src/leaky.c"), leaky); /* stored once */
    uint64_t l1 = pprof_location(p, m, 0x401000, (uint64_t[]){inl, leaky}, (int64_t[]){7, 42}, 2);
    uint64_t l2 = pprof_location(p, m, 0x402000, (uint64_t[]){mn}, (int64_t[]){9}, 1);
    uint64_t l3 = pprof_location(p, m, 0x403000, (uint64_t[]){shr}, (int64_t[]){3}, 1);
    pprof_label(p, "mode", "jemalloc", 0);
    pprof_label(p, "count", NULL, 1500);
    pprof_sample(p, (uint64_t[]){l1, l2}, 2, (int64_t[]){300000, 200});
    pprof_sample(p, (uint64_t[]){l3, l2}, 2, (int64_t[]){-1000, -1});
    char path[PATH_MAX + 32], err[512], args[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/made.pb.gz", test_tmpdir());
    if (pprof_write(p, path, err, sizeof err) != 0)
        fail_msg("%s", err);
    pprof_free(p);
    snprintf(args, sizeof args, "-raw '%s'", path);
    pprof("made-raw", args);
    assert_true(contains("made-raw", "growth_space/bytes[dflt] growth_per_iteration/bytes"));
    assert_true(contains("made-raw", "300000        200: 1 2"));
    assert_true(contains("made-raw", "-1000         -1: 3 2"));
    assert_true(contains("made-raw", "mode:[jemalloc]"));
    assert_true(contains("made-raw", "count:[1500]"));
    assert_true(contains("made-raw", "helper src/h.h:7 s=0"));
    assert_true(contains("made-raw", "leaky src/leaky.c:42 s=0"));
    assert_true(contains("made-raw", "made by test_profiles"));
    char flat[64], fn[256];
    snprintf(args, sizeof args, "-top -lines '%s'", path);
    pprof("made-top", args);
    top_row("made-top", flat, fn);
    assert_string_equal(fn, "helper src/h.h:7 (inline)"); /* the innermost function holds it */
    ASSERT_CLOSE(bytes_of(flat), 300000, 0, 0.01, "the flat bytes of the growing stack");
    /* something that is not a profile is refused by the reader the test trusts */
    assert_int_equal(test_sh("echo hello | gzip >'%s/not.pb.gz'", test_tmpdir()), 0);
    assert_int_not_equal(test_sh("go tool pprof -top '%s/not.pb.gz' >/dev/null 2>&1", test_tmpdir()), 0);
}

/* The folder of run NAME of soak OUT that its profiles are in (attrib/ when re-run). */
static void profile_dir(const char *out, const char *name, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/%s/runs/%s/attrib", test_tmpdir(), out, name);
    if (access(dir, F_OK) != 0)
        snprintf(dir, cap, "%s/%s/runs/%s", test_tmpdir(), out, name);
}

static void test_soak_writes_profiles_that_name_the_growth(void **state)
{
    (void)state;
    need_go();
    char cmd[PATH_MAX * 4], dir[PATH_MAX + 64], args[2 * PATH_MAX + 256], flat[64], fn[256];
    /* one sample per 4 KiB: some 300 samples in the window (test_anyprog's reach test) */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s/soak' --cmd '%s/tests/anyprog reach {iters}' --modes jemalloc --prof-sample 12 "
             "--no-control",
             g_root, g_dir, g_dir);
    int rc = soak_into("reach", cmd, "--iters 300,1500");
    if (rc != 1)
        fail_msg("soak exited %d, expected 1 (see %s/reach.log)", rc, test_tmpdir());
    profile_dir("reach", "jemalloc-1500", dir, sizeof dir);
    /* the growth: pprof -top names the program's function (not malloc), at about 1 KiB a step */
    snprintf(args, sizeof args, "-top '%s/growth.pb.gz'", dir);
    pprof("growth", args);
    top_row("growth", flat, fn);
    assert_string_equal(fn, "reach_step");
    snprintf(args, sizeof args, "-top -sample_index=growth_per_iteration '%s/growth.pb.gz'", dir);
    pprof("per-iter", args);
    top_row("per-iter", flat, fn);
    assert_string_equal(fn, "reach_step");
    double per_iter = bytes_of(flat);
    if (per_iter < 800 || per_iter > 1300)
        fail_msg("reach_step: %s (%.0f B) per iteration in growth.pb.gz, expected about 1024", flat,
                 per_iter);
    snprintf(args, sizeof args, "-top -lines '%s/growth.pb.gz'", dir);
    pprof("lines", args);
    top_row("lines", flat, fn);
    assert_non_null(strstr(fn, "tests/programs/anyprog.c:"));
    /* labels: the run's mode, count and commit */
    snprintf(args, sizeof args, "-tags '%s/growth.pb.gz'", dir);
    pprof("tags", args);
    assert_true(contains("tags", "jemalloc"));
    assert_true(contains("tags", "1500"));
    assert_true(contains("tags", str(g_doc, "commit")[0] ? str(g_doc, "commit") : "unknown"));
    /* the two heaps: -diff_base shows the same function growing */
    snprintf(args, sizeof args, "-top -diff_base '%s/heap-early.pb.gz' '%s/heap-late.pb.gz'", dir, dir);
    pprof("diff", args);
    top_row("diff", flat, fn);
    assert_string_equal(fn, "reach_step");
    /* 1 KiB a step between the two heaps: their iterations are growth.txt's first line (the
     * dumps are placed by time: on a busy machine fewer steps fall between them) */
    char path[PATH_MAX + 96], line[512];
    long from = 0, to = 0;
    snprintf(path, sizeof path, "%s/growth.txt", dir);
    FILE *g = fopen(path, "r");
    if (!g || !fgets(line, sizeof line, g) ||
        sscanf(line, "# the heap's growth from iteration %ld (%*[^)]) to %ld", &from, &to) != 2 || to <= from)
        fail_msg("%s: no iterations on its first line", path);
    fclose(g);
    if (bytes_of(flat) < 0.5 * 1024.0 * (double)(to - from))
        fail_msg("-diff_base: %s of reach_step between iterations %ld and %ld, expected about 1 KiB a step",
                 flat, from, to);
    /* speedscope: the file validates against the schema its package ships; a broken copy does not */
    char npm[PATH_MAX + 64];
    npm_tool(g_dir, "speedscope", "ajv-cli@5.0.0 speedscope@1.25.0", npm, sizeof npm);
    if (test_sh("'%s/node_modules/.bin/ajv' validate -s '%s/node_modules/speedscope/dist/release/"
                "file-format-schema.json' -d '%s/growth.speedscope.json' >'%s/ajv.txt' 2>&1",
                npm, npm, dir, test_tmpdir()))
        fail_msg("growth.speedscope.json does not validate (see %s/ajv.txt)", test_tmpdir());
    assert_int_equal(test_sh("grep -q reach_step '%s/growth.speedscope.json'", dir), 0);
    assert_int_equal(test_sh("sed 's/\"unit\":\"bytes\"/\"unit\":\"furlongs\"/' '%s/growth.speedscope.json' "
                             ">'%s/broken.speedscope.json'",
                             dir, test_tmpdir()),
                     0);
    assert_int_not_equal(
        test_sh("'%s/node_modules/.bin/ajv' validate -s '%s/node_modules/speedscope/dist/"
                "release/file-format-schema.json' -d '%s/broken.speedscope.json' >/dev/null 2>&1",
                npm, npm, test_tmpdir()),
        0);
    /* the page links them */
    assert_int_equal(
        test_sh("grep -q 'href=\"runs/jemalloc-1500/[a-z/]*growth.pb.gz\"' '%s/reach/index.html'",
                test_tmpdir()),
        0);
}

static int setup(void **state)
{
    snprintf(g_root, sizeof g_root, "%s/../..", g_dir);
    return tmpdir_setup(state);
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encoding_read_by_pprof),
        cmocka_unit_test(test_soak_writes_profiles_that_name_the_growth),
    };
    test_filter_from_env();
    int rc = cmocka_run_group_tests(tests, setup, tmpdir_teardown);
    json_decref(g_doc);
    return rc;
}
