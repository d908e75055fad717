/* Shards from the engines that run them (docs/ci.md): `soak --shard auto` takes K and N
 * from FLATMEM_SHARD, a Slurm array task, a Kubernetes indexed Job or a GitHub Actions
 * matrix job, says which, and writes it into the shard's summary; the shards merge into
 * the same verdicts as one soak of the whole matrix (a shard given twice kept once);
 * shards of different splits are not merged. On a real one-node Slurm (slurmctld, slurmd
 * and munge from Debian, started here as root), tools/slurm/submit's array of 3 shards and
 * its merge (afterok) give the same verdicts as one soak; skipped, saying why, when not
 * root or Slurm is not installed. The GitHub workflow is checked by action-validator (the
 * workflow schema), which must also refuse a broken copy of it. The program soaked marks
 * its steps (anyprog header: 1 KiB kept a step), so that each run has its samples at its
 * step marks however busy the machine: a shard's verdicts are the whole soak's, not its
 * sampler's luck (a run of 0.1 s once had 8 samples in a shard, and more in the whole). */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "soakutil.h"

static char g_dir[PATH_MAX]; /* build/release */
static char g_root[PATH_MAX + 8]; /* the project */
static char g_args[PATH_MAX * 2]; /* the matrix every soak here runs */

/* `ENV soak ARGS` into OUT (ENV: assignments for env(1), or ""); its exit status. */
static int soak_env(const char *out, const char *env, const char *more)
{
    char command[PATH_MAX * 6];
    snprintf(command, sizeof command, "cd '%s' && env %s '%s/soak' %s %s", g_root, env, g_dir, g_args, more);
    return soak_into(out, command, "");
}

/* Every run of want has the same verdict in got, and both have the same overall. */
static void same_verdicts(json_t *want, json_t *got, const char *what)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(want, "runs"), i, r)
    {
        json_t *g =
            summary_run(got, str(r, "mode"), json_integer_value(json_object_get(r, "iterations")), NULL);
        if (strcmp(str(r, "verdict"), str(g, "verdict")))
            fail_msg("%s: %s %lld is %s; one soak says %s", what, str(r, "mode"),
                     (long long)json_integer_value(json_object_get(r, "iterations")), str(g, "verdict"),
                     str(r, "verdict"));
    }
    assert_int_equal(json_array_size(json_object_get(want, "runs")),
                     json_array_size(json_object_get(got, "runs")));
    assert_string_equal(str(want, "overall"), str(got, "overall"));
    assert_int_equal(json_array_size(json_object_get(want, "diagnosis")),
                     json_array_size(json_object_get(got, "diagnosis")));
}

/* The shard a summary says it is. */
static void expect_shard(const char *out, long k, long n, const char *source)
{
    json_t *doc = summary_of(out), *sh = json_object_get(doc, "shard");
    if (json_integer_value(json_object_get(sh, "index")) != k ||
        json_integer_value(json_object_get(sh, "count")) != n || strcmp(str(sh, "source"), source))
        fail_msg("%s: summary.json says shard %s; expected %ld/%ld from %s", out, json_dumps(sh, 0), k, n,
                 source);
    json_decref(doc);
    assert_int_equal(
        test_sh("grep -q 'soak: shard %ld/%ld from %s' '%s/%s.log'", k, n, source, test_tmpdir(), out), 0);
}

static void test_shard_auto_from_each_source_merges_into_one_soak(void **state)
{
    (void)state;
    const char *t = test_tmpdir();
    assert_int_equal(soak_env("whole", "", ""), 1); /* a growth: FAIL */
    json_t *whole = summary_of("whole");
    soak_env("s1", "FLATMEM_SHARD=1/3", "--shard auto");
    soak_env("s2", "SLURM_ARRAY_TASK_ID=5 SLURM_ARRAY_TASK_MIN=4 SLURM_ARRAY_TASK_COUNT=3", "--shard auto");
    soak_env("s3", "JOB_COMPLETION_INDEX=2 JOB_COMPLETIONS=3", "--shard auto");
    soak_env("g2", "GITHUB_ACTIONS=true FLATMEM_JOB_INDEX=1 FLATMEM_JOB_TOTAL=3", "--shard auto");
    expect_shard("s1", 1, 3, "FLATMEM_SHARD");
    expect_shard("s2", 2, 3, "slurm");
    expect_shard("s3", 3, 3, "kubernetes");
    expect_shard("g2", 2, 3, "github");
    assert_int_equal(
        test_sh("'%s/soak' merge '%s/s1' '%s/s2' '%s/s3' --out '%s/merged' >'%s/merged.log' 2>&1", g_dir, t,
                t, t, t, t),
        1);
    json_t *merged = summary_of("merged");
    same_verdicts(whole, merged, "three shards merged");
    json_decref(merged);
    /* shard 1 given twice, as a re-run CI job would upload it: kept once, said so */
    assert_int_equal(test_sh("'%s/soak' merge '%s/s1' '%s/s2' '%s/s1' '%s/s3' --out '%s/merged2' >/dev/null "
                             "2>'%s/merge2.log'",
                             g_dir, t, t, t, t, t, t),
                     1);
    assert_int_equal(test_sh("grep -q 'kept the first' '%s/merge2.log'", t), 0);
    merged = summary_of("merged2");
    same_verdicts(whole, merged, "three shards merged, one given twice");
    assert_null(json_object_get(merged, "shard")); /* the merge is the whole */
    json_decref(merged);
    /* the GitHub shard is the Slurm one: the same slice of the same matrix */
    json_t *g2 = summary_of("g2"), *s2 = summary_of("s2");
    same_verdicts(s2, g2, "shard 2/3 from github and from slurm");
    json_decref(g2), json_decref(s2), json_decref(whole);
    /* a shard of another split is another soak */
    soak_env("h1", "FLATMEM_SHARD=1/2", "--shard auto");
    assert_int_equal(
        test_sh("'%s/soak' merge '%s/s1' '%s/h1' --out '%s/bad' 2>'%s/bad.log'", g_dir, t, t, t, t), 2);
    assert_int_equal(test_sh("grep -q 'shard counts' '%s/bad.log'", t), 0);
}

/* ---- the GitHub workflow, checked by a validator ------------------------------------ */

static void test_workflow_validates(void **state)
{
    (void)state;
    /* action-validator: the workflow schema of SchemaStore */
    char npm[PATH_MAX + 64], av[PATH_MAX + 128];
    npm_tool(g_dir, "action-validator", "@action-validator/cli@0.6.0 @action-validator/core@0.6.0", npm,
             sizeof npm);
    snprintf(av, sizeof av, "%s/node_modules/.bin/action-validator", npm);
    if (test_sh("'%s' '%s/.github/workflows/soak-shards.yml'", av, g_root))
        fail_msg(".github/workflows/soak-shards.yml does not validate");
    /* the validator can fail: the same file with a misspelt key */
    assert_int_equal(
        test_sh("sed 's/runs-on:/run-on:/' '%s/.github/workflows/soak-shards.yml' >'%s/broken.yml'", g_root,
                test_tmpdir()),
        0);
    assert_int_not_equal(test_sh("'%s' '%s/broken.yml' >/dev/null 2>&1", av, test_tmpdir()), 0);
}

/* The array task passes every verdict on to the merge (afterok: it exits 0 for the soak's
 * 0 PASS, 1 FAIL, 3 INCONCLUSIVE) and stops it when the soak could not run (2, a signal):
 * once a shard INCONCLUSIVE under load left the merge waiting forever. */
static void test_array_task_lets_every_verdict_merge(void **state)
{
    (void)state;
    static const struct {
        int soak, task;
    } cases[] = {{0, 0}, {1, 0}, {3, 0}, {2, 2}, {137, 137}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc =
            test_sh("cd '%s' && printf '#!/bin/sh\nexit %d\n' >'%s/stub-soak' && chmod +x '%s/stub-soak' && "
                    "SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=1 FLATMEM_SOAK='%s/stub-soak' "
                    "bash tools/slurm/soak-array.sbatch '%s/stub-out'",
                    g_root, cases[i].soak, test_tmpdir(), test_tmpdir(), test_tmpdir(), test_tmpdir());
        if (rc != cases[i].task)
            fail_msg("a soak that exited %d: the task exited %d, expected %d", cases[i].soak, rc,
                     cases[i].task);
    }
}

/* ---- a real one-node Slurm ---------------------------------------------------------- */

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    bind(fd, (struct sockaddr *)&a, sizeof a);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* munged, slurmctld and slurmd with their config, state and logs in DIR. 0 when the node
 * is idle (sinfo), else -1 with the logs' ends printed. */
static int slurm_start(const char *dir)
{
    char host[256];
    gethostname(host, sizeof host);
    host[strcspn(host, ".")] = 0;
    int rc = test_sh(
        "cd '%s' && mkdir -p state spool && dd if=/dev/urandom of=munge.key bs=1024 count=1 2>/dev/null && "
        "chmod 400 munge.key && printf '%%s\\n' ClusterName=flatmemtest SlurmctldHost=%s SlurmUser=root "
        "SlurmdUser=root SlurmctldPort=%d SlurmdPort=%d AuthType=auth/munge CredType=cred/munge "
        "AuthInfo=socket=%s/munge.sock StateSaveLocation=%s/state SlurmdSpoolDir=%s/spool "
        "SlurmctldPidFile=%s/slurmctld.pid SlurmdPidFile=%s/slurmd.pid ProctrackType=proctrack/linuxproc "
        "TaskPlugin=task/none SchedulerType=sched/builtin SchedulerParameters=sched_interval=1 "
        "SelectType=select/cons_tres "
        "SelectTypeParameters=CR_Core "
        "ReturnToService=2 MpiDefault=none SlurmctldLogFile=%s/slurmctld.log SlurmdLogFile=%s/slurmd.log "
        "JobCompType=jobcomp/none AccountingStorageType=accounting_storage/none "
        "'NodeName=%s CPUs=%ld State=UNKNOWN' 'PartitionName=t Nodes=ALL Default=YES MaxTime=INFINITE "
        "State=UP' "
        ">slurm.conf && munged --force --socket=%s/munge.sock --key-file=%s/munge.key "
        "--pid-file=%s/munged.pid "
        "--log-file=%s/munged.log --seed-file=%s/munge.seed && slurmctld && slurmd -N %s",
        dir, host, free_port(), free_port(), dir, dir, dir, dir, dir, dir, dir, host,
        sysconf(_SC_NPROCESSORS_ONLN), dir, dir, dir, dir, dir, host);
    for (int i = 0; !rc && i < 100; i++) {
        if (!test_sh("sinfo -h -o %%T 2>/dev/null | grep -q idle"))
            return 0;
        usleep(100000);
    }
    test_sh("tail -5 '%s/slurmctld.log' '%s/slurmd.log' '%s/munged.log' 2>/dev/null", dir, dir, dir);
    return -1;
}

static void slurm_stop(const char *dir)
{
    test_sh("cd '%s' && for p in slurmd slurmctld munged; do test -s $p.pid && kill $(cat $p.pid) "
            "2>/dev/null; done; "
            "sleep 0.3; true",
            dir);
}

static void test_slurm_array_equals_one_soak(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        printf("(skipped: starting slurmctld and slurmd needs root)\n");
        skip();
    }
    if (test_sh("(command -v slurmctld && command -v slurmd && command -v sbatch && command -v munged) "
                ">/dev/null")) {
        printf("(skipped: Slurm is not installed: apt-get install slurmctld slurmd slurm-client munge)\n");
        skip();
    }
    char dir[PATH_MAX + 16], conf[PATH_MAX + 32];
    snprintf(dir, sizeof dir, "%s/slurm", test_tmpdir());
    snprintf(conf, sizeof conf, "%s/slurm.conf", dir);
    assert_int_equal(test_sh("mkdir -p '%s'", dir), 0);
    setenv("SLURM_CONF", conf, 1);
    if (slurm_start(dir)) {
        slurm_stop(dir);
        fail_msg("the one-node Slurm did not come up (its logs above)");
    }
    const char *t = test_tmpdir();
    /* with a history: the three shards are not recorded, their merge is, once */
    int rc = test_sh("cd '%s' && FLATMEM_HISTORY='%s/slurm-history.db' tools/slurm/submit 3 '%s/viaslurm' %s "
                     ">'%s/submit.log' 2>&1",
                     g_root, t, t, g_args, t);
    int done = 0;
    for (int i = 0; !rc && !done && i < 1200; i++) { /* 2 minutes at most */
        done = !test_sh("test -s '%s/viaslurm/merged/summary.json' && ! squeue -h | grep -q .", t);
        usleep(100000);
    }
    if (!done)
        test_sh("cat '%s/submit.log'; squeue; scontrol show job | grep -E 'JobId=|JobState=|ExitCode='; "
                "tail -n 5 '%s'/viaslurm/slurm-*.out",
                t, t);
    slurm_stop(dir);
    unsetenv("SLURM_CONF");
    assert_int_equal(rc, 0);
    if (!done)
        fail_msg("the Slurm array and its merge did not end within 2 minutes");
    assert_int_equal(
        test_sh("grep -q 'soak: shard 3/3 from slurm' '%s'/viaslurm/shard-3/../slurm-*_3.out", t), 0);
    assert_int_equal(test_sh("[ $(sqlite3 '%s/slurm-history.db' 'SELECT count(*) FROM soaks') = 1 ] && "
                             "[ $(sqlite3 '%s/slurm-history.db' 'SELECT count(*) FROM runs') -ge 6 ]",
                             t, t),
                     0);
    soak_env("whole", "", "");
    json_t *whole = summary_of("whole"), *merged = summary_of("viaslurm/merged");
    same_verdicts(whole, merged, "Slurm's three shards merged");
    json_decref(whole), json_decref(merged);
}

static int setup(void **state)
{
    if (tmpdir_setup(state))
        return -1;
    snprintf(g_root, sizeof g_root, "%s/../..", g_dir);
    snprintf(
        g_args, sizeof g_args,
        "--cmd '%s/tests/anyprog header {iters}' --modes native,lsan --iters 300,600,900 --annotate none "
        "--no-control",
        g_dir);
    return 0;
}

int main(int argc, char **argv)
{
    (void)argc;
    build_dir_of(argv[0], g_dir, sizeof g_dir);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shard_auto_from_each_source_merges_into_one_soak),
        cmocka_unit_test(test_workflow_validates),
        cmocka_unit_test(test_array_task_lets_every_verdict_merge),
        cmocka_unit_test(test_slurm_array_equals_one_soak),
    };
    test_filter_from_env();
    int rc = cmocka_run_group_tests(tests, setup, tmpdir_teardown);
    json_decref(g_doc);
    return rc;
}
