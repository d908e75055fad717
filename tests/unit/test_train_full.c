/* test_train_full: the training program's command line and its answers to bad input
 * (exit 2, a message naming the flag or file, no output file), and a good run's summary. */
#include "testutil.h"

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "train_cli.h"

static char g_bin[PATH_MAX + 32]; /* build/<variant>/train_full */

typedef struct Result {
    int status; /* exit code, or 128 + signal */
    char out[1 << 14];
    char err[1 << 14];
} Result;

static void slurp(const char *path, char *buf, size_t cap)
{
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t n = fread(buf, 1, cap - 1, f);
    buf[n] = 0;
    fclose(f);
}

/* Runs train_full with argv (NULL-terminated, without the program name). */
static void run(Result *r, const char *const *args)
{
    char out[PATH_MAX], err[PATH_MAX];
    snprintf(out, sizeof out, "%s/stdout", test_tmpdir());
    snprintf(err, sizeof err, "%s/stderr", test_tmpdir());
    const char *argv[64] = {g_bin};
    int n = 1;
    for (; args[n - 1]; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644),
            fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fo, 1);
        dup2(fe, 2);
        execv(g_bin, (char *const *)argv);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    slurp(out, r->out, sizeof r->out);
    slurp(err, r->err, sizeof r->err);
}

static const char *tmp_file(const char *name, const void *content, size_t len)
{
    static char paths[16][PATH_MAX];
    static int next;
    char *p = paths[next++ % 16];
    snprintf(p, PATH_MAX, "%s/%s", test_tmpdir(), name);
    if (content) {
        FILE *f = fopen(p, "wb");
        assert_non_null(f);
        fwrite(content, 1, len, f);
        fclose(f);
    }
    return p;
}

typedef struct BadCase {
    const char *args[8];
    const char *must_say[2]; /* substrings of stderr */
} BadCase;

static void test_bad_input_exits_2_with_a_message(void **state)
{
    (void)state;
    const char *missing = tmp_file("missing.txt", NULL, 0);
    const char *empty = tmp_file("empty.txt", "", 0);
    const char *shortf = tmp_file("short.txt", "To be, or not to be, that is the question.\n", 43);
    const char *binary = tmp_file("binary.bin", "text\0with\0nul bytes and more text", 33);
    const char *summary = tmp_file("summary.json", NULL, 0);
    const char *nodir = "/nonexistent-dir/summary.json";
    const BadCase cases[] = {
        {{"--bogus"}, {"unknown option", "--bogus"}},
        {{"--layers"}, {"--layers", "missing value"}},
        {{"abc"}, {"ITERS", "abc"}},
        {{"-5"}, {"ITERS", "-5"}},
        {{"10", "20"}, {"unexpected argument", "20"}},
        {{"--layers", "0"}, {"--layers", "'0'"}},
        {{"--lr", "fast"}, {"--lr", "fast"}},
        {{"--batch", "-1"}, {"--batch", "-1"}},
        {{"--heads", "3"}, {"--heads 3", "--embd 32"}},
        {{"--ctx", "4000000000"}, {"--ctx", "4000000000"}},
        {{"--threads", "17"}, {"--threads", "0..16"}},
        {{"--data", missing, "--summary", summary}, {missing, "no such file"}},
        {{"--data", test_tmpdir(), "--summary", summary}, {test_tmpdir(), "directory"}},
        {{"--data", empty, "--summary", summary}, {empty, "empty"}},
        {{"--data", shortf, "--summary", summary}, {shortf, "too short for --ctx 32"}},
        {{"--data", binary, "--summary", summary}, {binary, "NUL"}},
        {{"--summary", nodir}, {"--summary", nodir}},
        {{"--summary", test_tmpdir()}, {"--summary", "directory"}},
    };
    size_t n_cases = sizeof cases / sizeof cases[0];
    for (size_t i = 0; i <= n_cases; i++) {
        if (i == n_cases) {
            /* an unreadable file: root reads everything, so only as another user */
            if (geteuid() == 0) {
                print_message("unreadable-file case skipped: running as root\n");
                break;
            }
        }
        Result r;
        unlink(summary);
        BadCase unreadable = {{"--data", NULL, "--summary", NULL}, {"permission denied", NULL}};
        const BadCase *c = &cases[i < n_cases ? i : 0];
        if (i == n_cases) {
            const char *p = tmp_file("unreadable.txt", "some text that nobody may read\n", 31);
            chmod(p, 0);
            unreadable.args[1] = p;
            unreadable.args[3] = summary;
            c = &unreadable;
        }
        run(&r, c->args);
        if (r.status != 2)
            fail_msg("case %zu (%s %s): exit %d, expected 2; stderr: %s", i, c->args[0],
                     c->args[1] ? c->args[1] : "", r.status, r.err);
        for (int k = 0; k < 2; k++)
            if (c->must_say[k] && !strstr(r.err, c->must_say[k]))
                fail_msg("case %zu: stderr does not name '%s': %s", i, c->must_say[k], r.err);
        if (access(summary, F_OK) == 0)
            fail_msg("case %zu: a summary file was written on failure", i);
    }
}

static void test_help(void **state)
{
    (void)state;
    Result r;
    run(&r, (const char *[]){"--help", NULL});
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.out, "usage: train_full"));
    assert_non_null(strstr(r.out, "--summary"));
    assert_non_null(strstr(r.out, "Exit status"));
}

static void test_summary_of_a_good_run(void **state)
{
    (void)state;
    const char *summary = tmp_file("good.json", NULL, 0);
    Result r;
    run(&r, (const char *[]){"50", "--quiet", "--summary", summary, NULL});
    if (r.status != 0)
        fail_msg("exit %d; stderr: %s", r.status, r.err);
    char json[8192];
    slurp(summary, json, sizeof json);
    static const char *const keys[] = {"\"config\"",
                                       "\"layers\"",
                                       "\"heads\"",
                                       "\"embd\"",
                                       "\"ctx\"",
                                       "\"batch\"",
                                       "\"vocab\"",
                                       "\"params\"",
                                       "\"iterations\": 50",
                                       "\"first_loss\"",
                                       "\"final_train_loss\"",
                                       "\"val_loss\"",
                                       "\"ms_per_iter_median\"",
                                       "\"tokens_per_s\"",
                                       "\"peak_rss_bytes\"",
                                       "\"arena_high_water_bytes\"",
                                       "\"arena_reserved_bytes\"",
                                       "\"tape_capacity\"",
                                       "\"heap_allocs_after_warmup\": 0\n",
                                       "\"min_bytes\"",
                                       "\"min_state_bytes\"",
                                       "\"min_activation_bytes\"",
                                       "\"matmul_kernels\""};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!strstr(json, keys[i]))
            fail_msg("summary lacks %s:\n%s", keys[i], json);
    assert_non_null(strstr(r.out, "heap allocations after warm-up 0"));
    assert_non_null(strstr(r.out, "theoretical minimum: "));
}

static const char *json_value(const char *path, const char *key, char *out, size_t cap)
{
    char json[8192], pat[64];
    slurp(path, json, sizeof json);
    snprintf(pat, sizeof pat, "\"%s\": ", key);
    const char *p = strstr(json, pat);
    out[0] = 0;
    if (p)
        snprintf(out, cap, "%.*s", (int)strcspn(p + strlen(pat), ",\n}"), p + strlen(pat));
    return out;
}

/* A run resumed from a checkpoint continues with the same losses as one that never stopped. */
static void test_checkpoint_resume_is_exact(void **state)
{
    (void)state;
    const char *whole = tmp_file("whole.json", NULL, 0), *resumed = tmp_file("resumed.json", NULL, 0);
    const char *ck = tmp_file("ck.bin", NULL, 0);
    Result r;
    run(&r, (const char *[]){"60", "--seed", "9", "--quiet", "--summary", whole, NULL});
    assert_int_equal(r.status, 0);
    run(&r, (const char *[]){"25", "--seed", "9", "--quiet", "--save", ck, NULL});
    assert_int_equal(r.status, 0);
    run(&r, (const char *[]){"60", "--resume", ck, "--quiet", "--summary", resumed, NULL});
    if (r.status != 0)
        fail_msg("resume: exit %d: %s", r.status, r.err);
    static const char *const keys[] = {"final_train_loss", "val_loss", "params"};
    for (int k = 0; k < 3; k++) {
        char a[64], b[64];
        json_value(whole, keys[k], a, sizeof a);
        json_value(resumed, keys[k], b, sizeof b);
        if (!a[0] || strcmp(a, b))
            fail_msg("%s: %s without a stop, %s after resuming at 25", keys[k], a, b);
    }
    /* damaged checkpoints are refused with a reason, exit 2 */
    static char data[1 << 20];
    FILE *f = fopen(ck, "rb");
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    assert_true(n > 1000 && n < sizeof data);
    const char *trunc = tmp_file("trunc.bin", data, n / 2);
    data[400] ^= 0x55; /* a parameter byte: the checksum must notice */
    const char *flipped = tmp_file("flipped.bin", data, n);
    const char *bad[][2] = {{trunc, "truncated"}, {flipped, "checksum"}, {whole, "not a checkpoint"}};
    for (int i = 0; i < 3; i++) {
        run(&r, (const char *[]){"60", "--resume", bad[i][0], NULL});
        if (r.status != 2 || !strstr(r.err, bad[i][1]) || !strstr(r.err, "--resume"))
            fail_msg("--resume %s: exit %d, stderr: %s", bad[i][0], r.status, r.err);
    }
}

/* --tokenizer bpe: trains the tokenizer (saved to --tokenizer-file), trains the model on its
 * tokens, reports bits per character; a checkpoint resumes only with the same tokenizer. */
static void test_bpe_tokenizer(void **state)
{
    (void)state;
    const char *tok = tmp_file("tok.bin", NULL, 0), *other = tmp_file("other.bin", NULL, 0);
    const char *ck = tmp_file("bpe.ckpt", NULL, 0), *sum = tmp_file("bpe.json", NULL, 0);
    unlink(tok);
    unlink(other);
    Result r;
    run(&r, (const char *[]){"30", "--tokenizer", "bpe", "--vocab", "400", "--tokenizer-file", tok, "--save",
                             ck, "--summary", sum, "--quiet", "--sample", "20", NULL});
    if (r.status != 0)
        fail_msg("bpe: exit %d: %s", r.status, r.err);
    char v[64];
    json_value(sum, "tokenizer", v, sizeof v);
    assert_string_equal(v, "\"bpe\"");
    json_value(sum, "vocab", v, sizeof v);
    assert_string_equal(v, "400");
    json_value(sum, "val_bits_per_char", v, sizeof v);
    assert_true(atof(v) > 0.5 && atof(v) < 8);
    assert_int_equal(access(tok, R_OK), 0);
    /* the same tokenizer (loaded from the file): resumes */
    run(&r, (const char *[]){"40", "--tokenizer", "bpe", "--tokenizer-file", tok, "--resume", ck, "--quiet",
                             NULL});
    if (r.status != 0)
        fail_msg("resume with the same tokenizer: exit %d: %s", r.status, r.err);
    /* characters, or other merges: refused, saying why */
    run(&r, (const char *[]){"40", "--resume", ck, "--quiet", NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "another tokenizer"));
    run(&r, (const char *[]){"40", "--tokenizer", "bpe", "--vocab", "300", "--tokenizer-file", other,
                             "--resume", ck, "--quiet", NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "other merges"));
    /* a damaged tokenizer file, a vocabulary out of range, --vocab without bpe */
    const char *bad = tmp_file("bad.tok", "FMBPE01", 8);
    run(&r, (const char *[]){"10", "--tokenizer", "bpe", "--tokenizer-file", bad, NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "--tokenizer-file"));
    run(&r, (const char *[]){"10", "--tokenizer", "bpe", "--vocab", "255", NULL});
    assert_int_equal(r.status, 2);
    run(&r, (const char *[]){"10", "--vocab", "512", NULL});
    assert_int_equal(r.status, 2);
    assert_non_null(strstr(r.err, "needs --tokenizer bpe"));
}

static void test_parser_overrides_and_defaults(void **state)
{
    (void)state;
    TrainOptions o;
    char err[256];
    char *argv1[] = {"train_full", "--layers", "3", "--small", "500", "--lr=3e-4", NULL};
    assert_int_equal(train_cli_parse(6, argv1, &o, err, sizeof err), CLI_OK);
    assert_string_equal(o.preset, "small");
    assert_int_equal(o.model.layers, 3); /* explicit beats preset, wherever it stands */
    assert_int_equal(o.model.embd, 128);
    assert_int_equal(o.iters, 500);
    ASSERT_CLOSE(o.opt.lr, 3e-4, 0, 1e-6, "--lr");
    char *argv2[] = {"train_full", NULL};
    assert_int_equal(train_cli_parse(1, argv2, &o, err, sizeof err), CLI_OK);
    assert_string_equal(o.preset, "tiny");
    assert_int_equal(o.iters, 100);
    assert_null(o.data);
}

int main(int argc, char **argv)
{
    (void)argc;
    char dir[PATH_MAX];
    build_dir_of(argv[0], dir, sizeof dir);
    snprintf(g_bin, sizeof g_bin, "%s/train_full", dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parser_overrides_and_defaults),    cmocka_unit_test(test_help),
        cmocka_unit_test(test_bad_input_exits_2_with_a_message), cmocka_unit_test(test_summary_of_a_good_run),
        cmocka_unit_test(test_checkpoint_resume_is_exact),       cmocka_unit_test(test_bpe_tokenizer),
    };
    return cmocka_run_group_tests_name("train_full", tests, tmpdir_setup, tmpdir_teardown);
}
