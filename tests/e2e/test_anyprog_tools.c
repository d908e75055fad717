/* test_anyprog_tools: the soak of a program of one's own as this project's tools use it:
 * train_full, generate and the BPE tokenizer soaked through --cmd (their verdicts, a fault
 * build's leak named), bisect finding the commit that broke a program of another
 * repository, and `make install` giving a flatmem that works from another folder.
 * Release variant only. */
#include "anyprog.h"

/* train_full run as somebody's program gets the built-in target's verdicts. */
static void test_train_full_through_cmd(void **state)
{
    (void)state;
    static const char *const faults[] = {"none", "leak"};
    static const char *const modes[] = {"native", "jemalloc", "lsan"};
    for (int f = 0; f < 2; f++) {
        char cmd[PATH_MAX + 128], out[64];
        snprintf(cmd, sizeof cmd, "%s/../release%s%s/train_full --tiny {iters} --quiet", g_dir,
                 f ? "-fault-" : "", f ? faults[f] : "");
        snprintf(out, sizeof out, "cmd-%s", faults[f]);
        soak_cmd(out, cmd, "--iters 2000 --modes native,jemalloc,lsan"); /* compared at 2000 */
        json_t *via_cmd = json_incref(g_doc);
        test_sh("cd '%s' && '%s/soak' --config tiny --faults %s --iters 2000 --modes native,jemalloc,lsan "
                "--no-control --out '%s/builtin-%s' >/dev/null 2>&1",
                g_root, g_dir, faults[f], test_tmpdir(), faults[f]);
        char path[PATH_MAX + 64];
        snprintf(path, sizeof path, "%s/builtin-%s/summary.json", test_tmpdir(), faults[f]);
        json_decref(g_doc);
        g_doc = json_load_file(path, 0, NULL);
        for (int m = 0; m < 3; m++) {
            const char *builtin = str(run_of(modes[m], 2000), "verdict");
            json_t *keep = g_doc;
            g_doc = via_cmd;
            const char *cmdv = str(run_of(modes[m], 2000), "verdict");
            g_doc = keep;
            if (strcmp(builtin, cmdv))
                fail_msg("fault %s, %s: built-in %s, through --cmd %s", faults[f], modes[m], builtin, cmdv);
        }
        json_decref(via_cmd);
    }
}

/* bisect, on a program of another repository: the commit that made it leak. */
static void test_bisect_a_program_of_another_repository(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    const char *git = "git -c user.email=t@example.invalid -c user.name=t";
    assert_int_equal(
        test_sh(
            "mkdir -p '%s/other' && cd '%s/other' && git init -q -b main && cp '%s/tests/programs/anyprog.c' "
            "prog.c && printf 'prog: prog.c\\n\\tcc -O1 -g -I%s/include -o prog prog.c\\n' > Makefile && "
            "printf '#!/bin/sh\\nexec ./prog clean \"$1\"\\n' > run.sh && chmod +x run.sh && "
            "git add -A && %s commit -qm base && echo 1 >> notes && git add -A && %s commit -qm harmless && "
            "sed -i 's/exec .\\/prog clean/exec .\\/prog leak/' run.sh && %s commit -qam 'make it leak' && "
            "git rev-parse HEAD > ../bad && echo 2 >> notes && git add -A && %s commit -qm harmless2",
            t, t, g_root, g_root, git, git, git, git),
        0);
    int rc = test_sh(
        "cd '%s/other' && '%s/harness/bisect' $(git rev-list --max-parents=0 HEAD) HEAD --build make "
        "--cmd './run.sh {iters}' --iters 2000 --soak '%s/soak' --out '%s/bisect-out' > '%s/bisect.log' 2>&1",
        t, g_root, g_dir, t, t);
    if (rc != 0 || test_sh("grep -q \"first bad commit: $(cat '%s/bad')\" '%s/bisect.log'", t, t) != 0)
        fail_msg("bisect (exit %d) did not name the commit (see %s/bisect.log)", rc, t);
}

/* make install into a prefix, then soak a program from another folder with it. */
/* build/release/generate: a fixed seed repeats, the interactive loop answers each line, bad
 * input is refused with the reason; and generation soaked as any program is FLAT. */
static void test_generate_program(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    assert_int_equal(test_sh("'%s/train_full' --tiny 150 --quiet --save '%s/gen.ckpt' >/dev/null", g_dir, t),
                     0);
    assert_int_equal(
        test_sh(
            "cd '%s' && G='%s/generate --checkpoint gen.ckpt --quiet --tokens 80 --seed 5' && $G >a.txt && "
            "$G >b.txt && cmp -s a.txt b.txt && test $(wc -c <a.txt) -ge 40",
            t, g_dir),
        0);
    assert_int_equal(
        test_sh("cd '%s' && printf 'HERO:\\nCLAUDIO:\\n' | '%s/generate' --checkpoint gen.ckpt --quiet "
                "--tokens 30 --interactive >i.txt && test $(wc -l <i.txt) -ge 2",
                t, g_dir),
        0);
    static const char *const bad[][2] = {
        {"", "--checkpoint"}, /* required */
        {"--checkpoint nosuch.ckpt", "nosuch.ckpt"},
        {"--checkpoint a.txt", "not a checkpoint"},
        {"--checkpoint gen.ckpt --prompt '~~'", "never saw"}, /* not in the built-in corpus */
        {"--checkpoint gen.ckpt --tokens 0", "--tokens"},
        {"--checkpoint gen.ckpt --tokens 1.5", "whole number"},
        {"--checkpoint gen.ckpt --tokenizer-file a.txt", "trained on characters"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        if (test_sh(
                "cd '%s' && '%s/generate' %s >/dev/null 2>err.txt; test $? -eq 2 && grep -q -- '%s' err.txt",
                t, g_dir, bad[k][0], bad[k][1]) != 0)
            fail_msg("generate %s: not refused with '%s'", bad[k][0], bad[k][1]);
    char cmd[PATH_MAX + 128];
    snprintf(cmd, sizeof cmd, "%s/generate --checkpoint %s/gen.ckpt --tokens {iters} --quiet", g_dir, t);
    /* a token takes some 10 us: 3000 tokens end within the soak's first few samples */
    int rc = soak_cmd("gen", cmd, "--iters 3000,30000 --modes native,jemalloc,lsan");
    if (rc != 0)
        fail_msg("generation soak: exit %d (see %s/gen.log)", rc, t);
    assert_int_equal(json_array_size(json_object_get(g_doc, "diagnosis")), 0);
    assert_int_equal(json_integer_value(json_object_get(run_of("native", 30000), "iterations_reached")),
                     30000);
    /* tokenizer training, a step per merge, on 360 KB of made-up words: long enough a run
     * to be sampled (the built-in corpus trains in milliseconds), and text whose pairs keep
     * multiplying with the merges (the pair table that doubled as they appeared grew 7 KB
     * a merge here: GROWING, caught by this soak) */
    assert_int_equal(test_sh("awk 'BEGIN { srand(1); for (i = 0; i < 60000; i++) { n = 2 + int(rand() * 7); "
                             "for (j = 0; j < n; j++) printf \"%%c\", 97 + int(rand() * 26); "
                             "printf (i %% 12 == 11 ? \"\\n\" : \" \") } }' >'%s/words.txt'",
                             t),
                     0);
    snprintf(cmd, sizeof cmd, "%s/tokenize --data %s/words.txt --merges {iters} --quiet", g_dir, t);
    rc = soak_cmd("tok", cmd, "--iters 100,800 --modes native,jemalloc,lsan");
    if (rc != 0)
        fail_msg("tokenizer soak: exit %d (see %s/tok.log)", rc, t);
    assert_int_equal(json_integer_value(json_object_get(run_of("jemalloc", 800), "iterations_reached")), 800);
}

/* BPE training that leaks 32 bytes a merge fails at 100 and 1000 merges: LeakSanitizer's
 * reports grow with the count (99 objects, then 999), a per-iteration leak of 32 B. */
static void test_bpe_leak_per_merge_fails(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    assert_int_equal(test_sh("awk 'BEGIN { srand(2); for (i = 0; i < 20000; i++) { n = 2 + int(rand() * 7); "
                             "for (j = 0; j < n; j++) printf \"%%c\", 97 + int(rand() * 26); "
                             "printf (i %% 12 == 11 ? \"\\n\" : \" \") } }' >'%s/words2.txt'",
                             t),
                     0);
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof cmd,
             "%s/../release-fault-bpe_leak/tokenize --data %s/words2.txt --merges {iters} --quiet", g_dir, t);
    assert_int_equal(soak_cmd("bpeleak", cmd, "--iters 100,1000 --modes native,lsan"), 1);
    json_t *p = problem_in("fault_bpe_merge");
    assert_string_equal(str(p, "kind"), "leak");
    expect_rate(p, 32);
    assert_true(json_is_true(json_object_get(p, "fails")));
}

static void test_install(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    assert_int_equal(
        test_sh("cd '%s' && make -s --no-print-directory install PREFIX='%s/prefix' >'%s/install.log' 2>&1",
                g_root, t, t),
        0);
    assert_int_equal(
        test_sh("cd '%s/prefix' && test -x bin/flatmem && test -f lib/flatmem/libflatmem-probe.so && "
                "test -f include/flatmem.h && test -f share/flatmem/reports/common.gp && "
                "test -f share/man/man1/flatmem.1",
                t),
        0);
    assert_int_equal(
        test_sh(
            "mkdir -p '%s/elsewhere' && cd '%s/elsewhere' && cp '%s' ./myprog && "
            "'%s/prefix/bin/flatmem' --cmd './myprog header {iters}' --iters 1500 --modes native,jemalloc "
            "--out out >log 2>&1; test $? -eq 1 && test -s out/charts/peak.png && "
            "grep -q reach_step out/summary.json && test -s out/runs/native-1500/steps.csv",
            t, t, g_prog, t),
        0);
    /* the installed tool reads as a tool for your program: its help leads with --cmd and the
     * modes with what each needs, our own workload's options after them; --version */
    assert_int_equal(
        test_sh("cd '%s/prefix' && bin/flatmem --help >help.txt && head -1 help.txt | grep -q '^usage: "
                "flatmem --cmd' && "
                "test $(grep -n '^  --cmd ' help.txt | cut -d: -f1) -lt $(grep -n '^  --faults ' help.txt | "
                "cut -d: -f1) && "
                "grep -q '^  jemalloc .*libjemalloc2' help.txt && ! grep -q 'usage: soak' help.txt && "
                "bin/flatmem --version | grep -qx 'flatmem [0-9][0-9.]*'",
                t),
        0);
    /* it calls itself by the name it was called by; every subcommand answers --help with its
     * usage and exit 0; the help lists every verdict and points to the glossary, installed */
    assert_int_equal(
        test_sh("cd '%s/prefix' && for c in merge report baseline workload list check; do "
                "bin/flatmem $c --help >sub.txt || exit 1; grep -q \"^usage: flatmem $c\" sub.txt || exit 1; "
                "done && "
                "! bin/flatmem --no-such-option 2>err.txt && grep -q \"^flatmem: \" err.txt && "
                "grep -q \"Try 'flatmem --help'\" err.txt && ! grep -q soak: err.txt && "
                "! bin/flatmem list nothing 2>err.txt && grep -q \"Try 'flatmem list --help'\" err.txt && "
                "for v in FLAT UNJUDGED INCONCLUSIVE GROWING ERROR CRASHED LOAD_FAILED TIMEOUT OVER_BUDGET "
                "NOT_RUN; "
                "do grep -q \"$v\" help.txt || exit 1; done && grep -q glossary.md help.txt && "
                "test -f share/doc/flatmem/glossary.md && test -x lib/flatmem/bisect && "
                "(cd / && '%s/prefix/bin/flatmem' bisect 2>&1 | grep -q 'GOOD')",
                t, t),
        0);
}

int main(int argc, char **argv)
{
    (void)argc;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_full_through_cmd),
        cmocka_unit_test(test_bisect_a_program_of_another_repository),
        cmocka_unit_test(test_generate_program),
        cmocka_unit_test(test_install),
        cmocka_unit_test(test_bpe_leak_per_merge_fails),
    };
    return anyprog_main(argv[0], "anyprog_tools", tests, sizeof tests / sizeof tests[0]);
}
