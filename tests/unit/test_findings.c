/* test_findings: the first report of each tool, parsed from logs in the tools' formats. */
#include "testutil.h"

#include <string.h>

#include "findings.h"

static void test_asan_stack_use_after_return(void **state)
{
    (void)state;
    const char *log =
        "train_full: tiny, 1 layers\n"
        "=================================================================\n"
        "==18410==ERROR: AddressSanitizer: stack-use-after-return on address 0x7fef56a94b30 at pc 0x55e8 bp "
        "0x7ffd sp 0x7ffd\n"
        "READ of size 8 at 0x7fef56a94b30 thread T0\n"
        "    #0 0x55e8ea255006 in bias_add_backward engine/ops.c:95\n"
        "    #1 0x55e8ea24a1b2 in graph_backward /elsewhere/engine/autograd.c:121:19\n"
        "    #2 0x55e8ea24f0d0 in gpt_step engine/gpt.c:260\n"
        "    #3 0x55e8ea24f0d0 in main app/train_full.c:300\n"
        "\n"
        "Address 0x7fef56a94b30 is located in stack of thread T0\n"
        "    #0 0x55e8ea24a000 in graph_record engine/autograd.c:90\n"
        "SUMMARY: AddressSanitizer: stack-use-after-return engine/ops.c:95 in bias_add_backward\n";
    Finding f;
    assert_int_equal(finding_from_sanitizer(log, &f), 1);
    assert_string_equal(f.tool, "asan");
    assert_string_equal(f.kind, "stack-use-after-return");
    assert_true(!strncmp(f.message, "ERROR: AddressSanitizer: stack-use-after-return on address", 58));
    assert_int_equal(f.n_frames, 3);
    assert_string_equal(f.frames[0],
                        "bias_add_backward engine/ops.c:95"); /* the path as the repository has it */
    assert_string_equal(f.frames[1], "graph_backward /elsewhere/engine/autograd.c:121:19");
    assert_int_equal(finding_from_memcheck(log, &f), 0);
}

/* LeakSanitizer's signal handler reports a crash, not a leak: the kind says which. */
static void test_lsan_deadly_signal(void **state)
{
    (void)state;
    const char *log = "==55==ERROR: LeakSanitizer: SEGV on unknown address 0x7f1900010013 (pc 0x5583 bp "
                      "0x7ffc sp 0x7ffc T0)\n"
                      "    #0 0x5583e520a190 in graph_grad engine/autograd.c:125\n";
    Finding f;
    assert_int_equal(finding_from_sanitizer(log, &f), 1);
    assert_string_equal(f.tool, "lsan");
    assert_string_equal(f.kind, "SEGV");
    assert_string_equal(f.frames[0], "graph_grad engine/autograd.c:125");
    /* a path below the current folder is made relative to it */
    char cwd[PATH_MAX], text[PATH_MAX + 200];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(text, sizeof text,
             "==1==ERROR: AddressSanitizer: heap-use-after-free\n    #0 0x1 in f %s/src/a.c:7\n", cwd);
    assert_int_equal(finding_from_sanitizer(text, &f), 1);
    assert_string_equal(f.frames[0], "f src/a.c:7");
}

static void test_lsan_leak(void **state)
{
    (void)state;
    const char *log = "done: 100 iterations\n"
                      "=================================================================\n"
                      "==18390==ERROR: LeakSanitizer: detected memory leaks\n"
                      "\n"
                      "Direct leak of 102400 byte(s) in 100 object(s) allocated from:\n"
                      "    #0 0x7f0 in __interceptor_posix_memalign "
                      "../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:226\n"
                      "    #1 0x55d in mem_alloc engine/mem.c:16\n"
                      "    #2 0x55e in fault_per_step engine/gpt.c:200\n";
    Finding f;
    assert_int_equal(finding_from_sanitizer(log, &f), 1);
    assert_string_equal(f.tool, "lsan");
    assert_string_equal(f.kind, "leak");
    assert_string_equal(f.message, "Direct leak of 102400 byte(s) in 100 object(s) allocated from:");
    /* the allocator's frames (the interceptor, the engine's heap path) are left out: the
     * first frame is the code that asked for the memory */
    assert_int_equal(f.n_frames, 1);
    assert_string_equal(f.frames[0], "fault_per_step engine/gpt.c:200");
    assert_true(frame_is_allocator("mem_alloc mem.c:16"));
    assert_true(frame_is_allocator("operator new(unsigned long) new_op.cc:50"));
    assert_false(frame_is_allocator("freeze_weights train.c:10")); /* "free" is a whole name */
    assert_false(frame_is_allocator("malloc_trim_pool pool.c:3"));
    /* a runtime library's internals: glibc's aliases and sources, libstdc++, the loader */
    assert_true(frame_is_allocator("__GI___strdup ./string/./string/strdup.c:42"));
    assert_true(frame_is_allocator("__libc_calloc"));
    assert_true(frame_is_allocator("call_init ./elf/dl-init.c:70"));
    assert_true(
        frame_is_allocator("void std::vector<int, std::allocator<int> >::_M_realloc_insert<int const&>("
                           "__gnu_cxx::__normal_iterator<int*, std::vector<int> >, int const&)"));
    assert_true(frame_is_allocator(
        "std::__cxx11::basic_string<char>::_M_mutate(unsigned long) basic_string.tcc:317"));
    assert_true(frame_is_allocator("operator new[](unsigned long)"));
    assert_true(frame_is_allocator("je_prof_backtrace"));
    assert_true(frame_is_allocator(
        "std::map<long, trainer::Entry, std::less<long>, std::allocator<std::pair<long const, "
        "trainer::Entry> > >::operator[](long const&)[inline]"));
    assert_true(frame_is_allocator("void* operator new(unsigned long)"));
    assert_true(frame_is_allocator("malloc in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so"));
    /* the program's own code, however it is written */
    assert_false(frame_is_allocator("Registry::add(long) tests/programs/reg.cc:10"));
    assert_false(frame_is_allocator("Registry::add[inline]"));
    assert_false(frame_is_allocator("trainer::Registry::add(long, double)<0000000000001dc4>"));
    assert_false(frame_is_allocator("record_step ./train.c:5"));
    assert_false(frame_is_allocator("bool operator<(Key const&, Key const&) key.h:3"));
    /* the summary's byte count, with or without thousands separators */
    assert_true(finding_leak_bytes("SUMMARY: LeakSanitizer: 102400 byte(s) leaked in 100 allocation(s).\n") ==
                102400);
    assert_true(finding_leak_bytes("==7==    definitely lost: 1,024 bytes in 1 blocks\n") == 1024);
    assert_true(isnan(finding_leak_bytes("no summary here\n")));
}

/* A frame without a symbol (a stripped interpreter's) is named by its module and offset;
 * the next report's "in 5 object(s)" is not read as its function (it was, once). */
static void test_lsan_frame_without_symbol(void **state)
{
    (void)state;
    const char *log = "==2261==ERROR: LeakSanitizer: detected memory leaks\n\n"
                      "Direct leak of 29888 byte(s) in 13 object(s) allocated from:\n"
                      "    #0 0x7fd3e8a13545 in __interceptor_malloc "
                      "../../../../src/libsanitizer/lsan/lsan_interceptors.cpp:75\n"
                      "    #1 0x50046f  (/usr/bin/python3.11+0x50046f)\n"
                      "    #2 0x52ddfe in _PyEval_EvalFrameDefault (/usr/bin/python3.11+0x52ddfe)\n\n"
                      "Direct leak of 3008 byte(s) in 5 object(s) allocated from:\n"
                      "    #0 0x7fd3e8a13545 in __interceptor_malloc x.cpp:75\n";
    Finding f;
    assert_int_equal(finding_from_sanitizer(log, &f), 1);
    assert_int_equal(f.n_frames, 2);
    assert_string_equal(f.frames[0], "python3.11+0x50046f");
    assert_string_equal(f.frames[1], "_PyEval_EvalFrameDefault python3.11+0x52ddfe"); /* its module, no "(" */
}

static void test_ubsan(void **state)
{
    (void)state;
    const char *log =
        "engine/ops.c:40:12: runtime error: signed integer overflow: 2147483647 + 1 cannot be represented\n"
        "    #0 0x1 in op_add engine/ops.c:40\n";
    Finding f;
    assert_int_equal(finding_from_sanitizer(log, &f), 1);
    assert_string_equal(f.tool, "ubsan");
    assert_string_equal(f.kind, "undefined-behavior");
    assert_non_null(strstr(f.message, "signed integer overflow"));
}

static void test_memcheck_invalid_read_and_leak(void **state)
{
    (void)state;
    const char *log = "==2000== Memcheck, a memory error detector\n"
                      "==2000== Invalid read of size 4\n"
                      "==2000==    at 0x10A2B4: gemm_portable (gemm.c:80)\n"
                      "==2000==    by 0x10C111: matmul_backward (ops.c:44)\n"
                      "==2000==    by 0x10D000: graph_backward (autograd.c:121)\n"
                      "==2000==    by 0x10E000: gpt_step (gpt.c:260)\n"
                      "==2000==  Address 0x5a0 is 16 bytes inside a block of size 1,048,576 free'd\n"
                      "==2000== 1,024 bytes in 1 blocks are definitely lost in loss record 1 of 1\n";
    Finding f;
    assert_int_equal(finding_from_memcheck(log, &f), 1);
    assert_string_equal(f.tool, "memcheck");
    assert_string_equal(f.kind, "invalid-read");
    assert_string_equal(f.message, "Invalid read of size 4");
    assert_int_equal(f.n_frames, 3);
    assert_string_equal(f.frames[0], "gemm_portable gemm.c:80");
    const char *leak = "==7== HEAP SUMMARY:\n"
                       "==7== 102,400 bytes in 100 blocks are definitely lost in loss record 3 of 3\n"
                       "==7==    at 0x4848899: memalign (vg_replace_malloc.c:1531)\n"
                       "==7==    by 0x484D9E1: posix_memalign (vg_replace_malloc.c:1703)\n"
                       "==7==    by 0x10B0AA: mem_alloc (mem.c:16)\n"
                       "==7==    by 0x10B1CC: fault_per_step (gpt.c:200)\n";
    assert_int_equal(finding_from_memcheck(leak, &f), 1);
    assert_string_equal(f.kind, "definitely-lost");
    assert_string_equal(f.frames[0], "fault_per_step gpt.c:200"); /* allocator frames skipped */
}

/* Threads that never ended hold their thread-local storage at exit, "possibly lost" from
 * pthread_create: the program's frame that called it places the thread leak (the probe's
 * own frames, in flatmem_probe.c, are the tool's and looked past elsewhere). */
static void test_memcheck_thread_creator(void **state)
{
    (void)state;
    const char *log =
        "==16454== 5,184 bytes in 18 blocks are possibly lost in loss record 1 of 1\n"
        "==16454==    at 0x48465EF: calloc (in /usr/libexec/valgrind/vgpreload_memcheck-amd64-linux.so)\n"
        "==16454==    by 0x4010CB2: calloc (elf/../include/rtld-malloc.h:44)\n"
        "==16454==    by 0x4010CB2: allocate_dtv (elf/../elf/dl-tls.c:401)\n"
        "==16454==    by 0x401171D: _dl_allocate_tls (elf/../elf/dl-tls.c:670)\n"
        "==16454==    by 0x48F0DAE: allocate_stack (nptl/./nptl/allocatestack.c:423)\n"
        "==16454==    by 0x48F0DAE: pthread_create@@GLIBC_2.34 (nptl/./nptl/pthread_create.c:650)\n"
        "==16454==    by 0x1095A0: start_worker_step (/src/tests/programs/anyprog.c:144)\n"
        "==16454==    by 0x109B4B: main (/src/tests/programs/anyprog.c:234)\n"
        "==16454== \n";
    char frame[256];
    assert_int_equal(finding_thread_creator(log, frame, sizeof frame), 1);
    assert_string_equal(frame, "start_worker_step /src/tests/programs/anyprog.c:144");
    assert_int_equal(finding_thread_creator("==1== HEAP SUMMARY:\n", frame, sizeof frame), 0);
    assert_string_equal(frame, "");
}

static void test_clean_logs_have_no_finding(void **state)
{
    (void)state;
    Finding f;
    assert_int_equal(finding_from_sanitizer("train_full: tiny\ndone: 100 iterations\n", &f), 0);
    assert_int_equal(
        finding_from_memcheck("==1== HEAP SUMMARY:\n==1==     in use at exit: 0 bytes in 0 blocks\n"
                              "==1== All heap blocks were freed -- no leaks are possible\n",
                              &f),
        0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asan_stack_use_after_return),
        cmocka_unit_test(test_lsan_leak),
        cmocka_unit_test(test_lsan_deadly_signal),
        cmocka_unit_test(test_lsan_frame_without_symbol),
        cmocka_unit_test(test_ubsan),
        cmocka_unit_test(test_memcheck_invalid_read_and_leak),
        cmocka_unit_test(test_clean_logs_have_no_finding),
        cmocka_unit_test(test_memcheck_thread_creator),
    };
    return cmocka_run_group_tests_name("findings", tests, NULL, NULL);
}
