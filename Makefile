# Build variants, tests and soaks of the autograd engine. `make help` lists the targets.
#
# One variant per configuration, built out of tree into build/<variant>/ (with the fault
# name appended when FAULT is not none), flags recorded in build/<variant>/flags.txt.

CC ?= cc
FAULT ?= none
# builds use every core unless -j is given (make -j1: one at a time); sub-makes share the
# top make's job slots
ifeq ($(MAKELEVEL)$(filter -j% j%,$(MAKEFLAGS)),0)
  MAKEFLAGS += -j$(shell nproc 2>/dev/null || echo 1)
endif
VARIANT ?= release
PROBES ?= 1

# ---- per-variant configuration --------------------------------------------------------
WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Wno-psabi
# engine/ is compiled without -Iprobes: it cannot include anything from probes/
# -fno-math-errno: nothing reads errno after a math call, and it lets sqrtf vectorise
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE -pthread -fno-math-errno -ffp-contract=off $(WARN) -Iengine
HAVE_OPENBLAS := $(shell pkg-config --exists openblas 2>/dev/null && echo yes)
OPENBLAS_CFLAGS := $(shell pkg-config --cflags openblas 2>/dev/null)
OPENBLAS_LIBS := $(shell pkg-config --libs openblas 2>/dev/null)

ifeq ($(VARIANT),release)
  OPT := -O3 -g
  BLAS := openblas
else ifeq ($(VARIANT),asan)
  OPT := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
  BLAS := openblas
  # the test build of robustness: mem_alloc can be told to fail the Nth allocation
  EXTRA_CFLAGS := -DENGINE_ALLOC_FAILPOINTS=1
else ifeq ($(VARIANT),valgrind)
  # memcheck runs OpenBLAS's kernels ~3000x slower: the portable kernel, vectorised, instead
  OPT := -O1 -g -DENGINE_VALGRIND=1
  BLAS := portable
  GEMM_OPT := -O3
else ifeq ($(VARIANT),coverage)
  # make soak-coverage: gcov line counts of what the soak runs (and allocation failpoints,
  # so the failpoint sweep can show the error paths only allocation failure reaches)
  OPT := -O0 -g --coverage
  BLAS := openblas
  EXTRA_CFLAGS := -DENGINE_ALLOC_FAILPOINTS=1
else ifeq ($(VARIANT),jemalloc)
  OPT := -O3 -g
  BLAS := openblas
  EXTRA_LIBS := -ljemalloc
else
  $(error VARIANT=$(VARIANT): unknown variant; use release, asan, valgrind, jemalloc or coverage)
endif

ifeq ($(BLAS),openblas)
  ifeq ($(HAVE_OPENBLAS),yes)
    BLAS_CFLAGS := -DENGINE_BLAS_OPENBLAS=1 $(OPENBLAS_CFLAGS)
    BLAS_LIBS := $(OPENBLAS_LIBS)
  else
    $(warning OpenBLAS not found (pkg-config openblas): building $(VARIANT) with the portable matmul; install libopenblas-dev for speed)
    BLAS := portable
  endif
endif

ifeq ($(FAULT),none)
  BUILD := build/$(VARIANT)
else
  BUILD := build/$(VARIANT)-fault-$(FAULT)
  FAULT_CFLAGS := -DENGINE_FAULT_$(shell echo $(FAULT) | tr a-z A-Z)=1
endif
ifeq ($(PROBES),0)
  BUILD := $(BUILD)-noprobes
  FAULT_CFLAGS += -DENGINE_PROBES=0
endif
# A fault build compiles only what its fault changes: engine/fault.c, which holds every
# fault's hooks; its other objects and libraries are the variant's own (build/<variant>,
# brought up to date first, unless SHARED_FRESH=1 says the caller just did: faults-build).
# stack_inputs changes the tape's layout (engine/tape.h), which only the engine reads: its
# engine is compiled whole, the rest is the variant's. The builds without probes are whole.
SHARED_BUILD :=
ifeq ($(filter none,$(FAULT))$(filter 0,$(PROBES)),)
  SHARED_BUILD := build/$(VARIANT)
endif

CFLAGS_ALL := $(BASE_CFLAGS) $(OPT) $(EXTRA_CFLAGS) $(BLAS_CFLAGS) $(FAULT_CFLAGS) -DENGINE_VARIANT='"$(VARIANT)"' $(CFLAGS)
LDFLAGS_ALL := $(OPT) -pthread $(LDFLAGS)
LIBS_ALL := $(BLAS_LIBS) $(EXTRA_LIBS) -lm -ldl
# JSON (summaries, train.json) is read and written with jansson (libjansson-dev); pprof
# profiles are gzipped with zlib (zlib1g-dev)
# and the soak history is a SQLite database (libsqlite3-dev: docs/history.md)
JSON_LIBS := -ljansson -lz -lsqlite3

# Quiet by default: one short line per file; `make V=1` prints the full commands.
ifeq ($(V),1)
  Q :=
  say :=
else
  Q := @
  say = @printf '  %-6s %s\n' $(1) $(2);
endif

ENGINE_SRC := $(wildcard engine/*.c)
ENGINE_OBJ := $(ENGINE_SRC:engine/%.c=$(BUILD)/obj/%.o)
PROBE_SRC := $(filter-out probes/probe_dump.c,$(wildcard probes/*.c))
PROBE_OBJ := $(PROBE_SRC:probes/%.c=$(BUILD)/obj/probes/%.o)
# cli/: the option-table parser every program uses (libc only)
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(CLI_SRC:cli/%.c=$(BUILD)/obj/cli/%.o)
APP_SRC := $(filter-out app/train_full.c app/generate.c app/tokenize.c app/serve.c,$(wildcard app/*.c))
APP_OBJ := $(APP_SRC:app/%.c=$(BUILD)/obj/app/%.o)
# harness/: the soak's stages, a folder each, in the order data flows (docs/design.md);
# harness/*.c run them (the soak's commands)
HARNESS_STAGES := common plan run judge conclude render history
HARNESS_INC := -Iharness $(HARNESS_STAGES:%=-Iharness/%)
HARNESS_SRC := $(filter-out harness/soak.c,$(wildcard harness/*.c $(HARNESS_STAGES:%=harness/%/*.c)))
HARNESS_OBJ := $(HARNESS_SRC:harness/%.c=$(BUILD)/obj/harness/%.o)
# The tier is the folder: tests/unit/ (no soak: `make check`) and tests/e2e/ (they run real
# soaks, the other variants' builds, servers, bisects: `make test`). The end-to-end tests and
# the unit tests that drive this variant's harness or programs run in the release variant
# only, test_oom in the failpoint build (asan) only: elsewhere they are not built, so a
# "skipped" in `make test` is something to look at.
E2E_TESTS := $(patsubst tests/e2e/%.c,%,$(wildcard tests/e2e/test_*.c))
FUZZ_TARGETS := evlog samples cli data checkpoint bpe serve_req
RELEASE_TESTS := $(E2E_TESTS) test_serve test_serve_conn test_report test_blas
ASAN_TESTS := test_oom
TEST_NAMES := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c)) $(E2E_TESTS)
ifneq ($(VARIANT),release)
  TEST_NAMES := $(filter-out $(RELEASE_TESTS),$(TEST_NAMES))
endif
ifneq ($(VARIANT),asan)
  TEST_NAMES := $(filter-out $(ASAN_TESTS),$(TEST_NAMES))
endif
# The harness (the soak and its unit tests) is built in the release variant, and in asan to
# run its tests under ASan and UBSan; valgrind and jemalloc are builds of the programs the
# soak runs, with the engine's tests (~30 s less to build on 2 cores)
HARNESS_TESTS := test_analysis test_conclude test_findings test_heapgrowth test_shard test_history
HARNESS_BIN := $(BUILD)/soak
HARNESS_LIB := $(BUILD)/libharness.a
ifneq ($(filter valgrind jemalloc,$(VARIANT)),)
  TEST_NAMES := $(filter-out $(HARNESS_TESTS),$(TEST_NAMES))
  HARNESS_BIN :=
  HARNESS_LIB :=
endif
TEST_BIN := $(TEST_NAMES:%=$(BUILD)/tests/%)
# every libFuzzer target replayed over its seed corpus (fuzz/replay.c) in the asan variant:
# make test tries each input that once crashed a reader
ifeq ($(VARIANT),asan)
  TEST_BIN += $(FUZZ_TARGETS:%=$(BUILD)/tests/fuzz_replay_%)
endif
# programs of "someone else's" that test_anyprog soaks through --cmd (release variant)
CXX ?= c++
ifeq ($(VARIANT),release)
  TEST_PROGRAMS := $(BUILD)/tests/anyprog $(BUILD)/tests/anyprog_cpp $(BUILD)/tests/netprog $(BUILD)/soak-sixth-mode $(BUILD)/tests/libshim.so
endif
# the compiler writes each object's header dependencies next to it (-MMD -MP)
DEPS := $(wildcard $(BUILD)/obj/*.d $(BUILD)/obj/*/*.d $(BUILD)/obj/*/*/*.d $(BUILD)/obj-sixth/*/*/*.d $(BUILD)/obj-sixth/*/*.d)

.PHONY: check bench-harness false-alarms accuracy tokenize serve soak-serve bench-serve soak-tokenize soak-generate bench-bpe bench-attrib install uninstall print-tests soak-coverage bench all build train faults-build faults baseline bisect print-train fuzz fuzz-build release asan valgrind jemalloc variants test soak soak-quick report deps bench-probes clean help
.DEFAULT_GOAL := all

all: release

release asan valgrind jemalloc:
	@$(MAKE) --no-print-directory build VARIANT=$@

variants: release asan valgrind jemalloc

build: $(BUILD)/train_full $(BUILD)/generate $(BUILD)/serve $(BUILD)/tokenize $(BUILD)/probe-dump $(HARNESS_BIN) $(BUILD)/libflatmem-probe.so $(BUILD)/libengine.a $(TEST_BIN) $(TEST_PROGRAMS) $(BUILD)/tests/victim $(BUILD)/flags.txt

# only the training program (fault builds need nothing else)
train: $(BUILD)/train_full $(BUILD)/flags.txt

# the tokenizer program alone (a fault build of the tokenizer: FAULT=bpe_leak)
tokenize: $(BUILD)/tokenize $(BUILD)/flags.txt

# the server alone (a fault build of the server: FAULT=slot_leak, keep_requests or chat_leak)
serve: $(BUILD)/serve $(BUILD)/flags.txt

# where `make train` puts the training program for this VARIANT and FAULT (for bisect)
print-train:
	@echo $(BUILD)/train_full

# the test programs of this VARIANT (tools/run-tests runs these)
print-tests:
	@echo $(TEST_BIN)

# engine/ is compiled without -Iprobes: it cannot include anything from probes/
$(BUILD)/obj/%.o: engine/%.c | $(BUILD)/obj
	$(call say,CC,$@)$(CC) $(CFLAGS_ALL) -MMD -MP -c -o $@ $<

$(BUILD)/obj/probes/%.o: probes/%.c | $(BUILD)/obj/probes
	$(call say,CC,$@)$(CC) $(CFLAGS_ALL) -Iprobes -MMD -MP -c -o $@ $<

$(BUILD)/obj/cli/%.o: cli/%.c | $(BUILD)/obj/cli
	$(call say,CC,$@)$(CC) $(CFLAGS_ALL) -Icli -MMD -MP -c -o $@ $<

$(BUILD)/obj/app/%.o: app/%.c | $(BUILD)/obj/app
	$(call say,CC,$@)$(CC) $(CFLAGS_ALL) -Iprobes -Iapp -Icli -Iinclude -MMD -MP -c -o $@ $<

$(BUILD)/obj/harness/%.o: harness/%.c
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(CFLAGS_ALL) -Iprobes $(HARNESS_INC) -Icli -MMD -MP -c -o $@ $<

# the matmul kernel may be optimised harder than the rest (the Valgrind build's long pole)
$(BUILD)/obj/gemm.o: CFLAGS_ALL += $(GEMM_OPT)

$(BUILD)/libprobes.a: $(PROBE_OBJ)
$(BUILD)/libapp.a: $(APP_OBJ)
$(BUILD)/libharness.a: $(HARNESS_OBJ)
$(BUILD)/libcli.a: $(CLI_OBJ)
$(BUILD)/libprobes.a $(BUILD)/libapp.a $(BUILD)/libharness.a $(BUILD)/libcli.a:
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

ifeq ($(SHARED_BUILD),)
OBJ_APP := $(BUILD)/obj/app
LIB_APP := $(BUILD)/libapp.a
LIB_CLI := $(BUILD)/libcli.a
LIB_PROBES := $(BUILD)/libprobes.a
$(BUILD)/libengine.a: $(ENGINE_OBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^
else
OBJ_APP := $(SHARED_BUILD)/obj/app
LIB_APP := $(SHARED_BUILD)/libapp.a
LIB_CLI := $(SHARED_BUILD)/libcli.a
LIB_PROBES := $(SHARED_BUILD)/libprobes.a
# the variant's own objects and libraries, made (or found up to date) by make itself
ifneq ($(SHARED_FRESH),1)
$(OBJ_APP)/train_full.o $(OBJ_APP)/tokenize.o $(OBJ_APP)/generate.o $(OBJ_APP)/serve.o $(LIB_APP) $(LIB_CLI) $(LIB_PROBES) \
  $(SHARED_BUILD)/libengine.a: FORCE
	@$(MAKE) -s --no-print-directory VARIANT=$(VARIANT) FAULT=none PROBES=$(PROBES) $@
endif
ifeq ($(FAULT),stack_inputs)
$(BUILD)/libengine.a: $(ENGINE_OBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^
else
# the variant's engine with this build's fault.o in place of its own
$(BUILD)/libengine.a: $(BUILD)/obj/fault.o $(SHARED_BUILD)/libengine.a
	$(call say,AR,$@)rm -f $@ && cp $(SHARED_BUILD)/libengine.a $@ && ar rs $@ $(BUILD)/obj/fault.o
endif
endif

$(BUILD)/train_full: $(OBJ_APP)/train_full.o $(LIB_APP) $(LIB_CLI) $(LIB_PROBES) $(BUILD)/libengine.a
	$(call say,LINK,$@)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(JSON_LIBS) $(LIBS_ALL)

$(BUILD)/generate: $(OBJ_APP)/generate.o $(LIB_APP) $(LIB_CLI) $(BUILD)/libengine.a
	$(call say,LINK,$@)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

# the completions server (docs/serve.md): HTTP from libmicrohttpd, JSON from jansson
$(BUILD)/serve: $(OBJ_APP)/serve.o $(LIB_APP) $(LIB_CLI) $(BUILD)/libengine.a
	$(call say,LINK,$@)$(CC) $(LDFLAGS_ALL) -o $@ $^ -lmicrohttpd $(JSON_LIBS) $(LIBS_ALL)

$(BUILD)/tokenize: $(OBJ_APP)/tokenize.o $(LIB_CLI) $(LIB_PROBES) $(BUILD)/libengine.a
	$(call say,LINK,$@)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

$(BUILD)/probe-dump: $(BUILD)/obj/probes/probe_dump.o $(BUILD)/libprobes.a $(BUILD)/libengine.a
	$(call say,LINK,$@)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(LIBS_ALL)

$(BUILD)/soak: $(BUILD)/obj/harness/soak.o $(BUILD)/libharness.a $(BUILD)/libcli.a $(BUILD)/libprobes.a $(BUILD)/libengine.a
	$(call say,LINK,$@)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(JSON_LIBS) $(LIBS_ALL)

# A soak with a sixth mode (tests/e2e/test_modes.c): the harness compiled again with one more
# row in common/modes.c and nothing else, proving that a mode is its row
SIXTH_SRC := $(HARNESS_SRC) harness/soak.c
SIXTH_OBJ := $(SIXTH_SRC:harness/%.c=$(BUILD)/obj-sixth/harness/%.o)
$(BUILD)/obj-sixth/harness/%.o: harness/%.c
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(CFLAGS_ALL) -O1 -DFLATMEM_TEST_SIXTH_MODE=1 -Iprobes $(HARNESS_INC) -Icli -MMD -MP -c -o $@ $<
$(BUILD)/soak-sixth-mode: $(SIXTH_OBJ) $(BUILD)/libcli.a $(BUILD)/libprobes.a $(BUILD)/libengine.a
	$(call say,LINK,$@)$(CC) $(LDFLAGS_ALL) -o $@ $^ $(JSON_LIBS) $(LIBS_ALL)

$(BUILD)/tests/fuzz_replay_%: fuzz/fuzz_%.c fuzz/replay.c $(BUILD)/libharness.a $(BUILD)/libapp.a $(BUILD)/libcli.a $(BUILD)/libprobes.a $(BUILD)/libengine.a | $(BUILD)/tests
	$(call say,CC,$@)$(CC) $(CFLAGS_ALL) -Wno-missing-prototypes -DFUZZ_TARGET_NAME='"$*"' -Iprobes $(HARNESS_INC) -Iapp -Icli -o $@ fuzz/fuzz_$*.c fuzz/replay.c $(BUILD)/libharness.a $(BUILD)/libapp.a $(BUILD)/libcli.a $(BUILD)/libprobes.a $(BUILD)/libengine.a $(LDFLAGS_ALL) $(JSON_LIBS) $(LIBS_ALL)

TEST_LIBS := $(HARNESS_LIB) $(BUILD)/libapp.a $(BUILD)/libcli.a $(BUILD)/libprobes.a $(BUILD)/libengine.a
$(BUILD)/tests/%: tests/unit/%.c $(TEST_LIBS) | $(BUILD)/tests $(BUILD)/obj/tests
	$(call say,CC,$@)$(CC) $(CFLAGS_ALL) -Iprobes $(HARNESS_INC) -Iapp -Icli -Itests -MMD -MP -MF $(BUILD)/obj/tests/$*.d -o $@ $< $(TEST_LIBS) $(LDFLAGS_ALL) -lcmocka $(JSON_LIBS) $(LIBS_ALL)
$(BUILD)/tests/%: tests/e2e/%.c $(TEST_LIBS) | $(BUILD)/tests $(BUILD)/obj/tests
	$(call say,CC,$@)$(CC) $(CFLAGS_ALL) -Iprobes $(HARNESS_INC) -Iapp -Icli -Itests -MMD -MP -MF $(BUILD)/obj/tests/$*.d -o $@ $< $(TEST_LIBS) $(LDFLAGS_ALL) -lcmocka $(JSON_LIBS) $(LIBS_ALL)

# the probe library the soak preloads into programs it runs (docs/any-program.md): built
# plain in every variant, as it goes into programs that are not ours
$(BUILD)/libflatmem-probe.so: preload/flatmem_probe.c probes/je_allocated.h | $(BUILD)
	$(call say,CC,$@)$(CC) -std=c11 -D_GNU_SOURCE -O2 -g -fPIC -shared $(WARN) -Iprobes -pthread -o $@ $< -ldl

# -O1 -g and nothing of ours: they stand for programs built elsewhere
$(BUILD)/tests/anyprog: tests/programs/anyprog.c include/flatmem.h | $(BUILD)/tests
	$(call say,CC,$@)$(CC) -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -Iinclude -o $@ $< -pthread
$(BUILD)/tests/libshim.so: tests/programs/shim.c | $(BUILD)/tests
	$(call say,CC,$@)$(CC) -std=c11 -O1 -g -fPIC -shared $(WARN) -o $@ $< -ldl
$(BUILD)/tests/netprog: tests/programs/netprog.c | $(BUILD)/tests
	$(call say,CC,$@)$(CC) -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -o $@ $<
$(BUILD)/tests/anyprog_cpp: tests/programs/anyprog_cpp.cpp include/flatmem.h | $(BUILD)/tests
	$(call say,CXX,$@)$(CXX) -std=c++17 -O1 -g -Wall -Wextra -Werror -Iinclude -o $@ $<

$(BUILD)/tests/victim: tests/victim.c | $(BUILD)/tests
	$(call say,CC,$@)$(CC) $(CFLAGS_ALL) -o $@ $< $(LDFLAGS_ALL)

-include $(DEPS)

# Rewritten only when the flags change, so every binary's build settings stay on record.
$(BUILD)/flags.txt: FORCE | $(BUILD)
	@printf 'variant: %s\nfault: %s\ncc: %s\ncc_version: %s\ncflags: %s\nldflags: %s\nlibs: %s\nmatmul: %s\n' \
	  '$(VARIANT)' '$(FAULT)' '$(CC)' "$$($(CC) --version | head -1)" '$(CFLAGS_ALL)' '$(LDFLAGS_ALL)' '$(LIBS_ALL)' '$(BLAS)' > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(BUILD)/obj $(BUILD)/obj/probes $(BUILD)/obj/app $(BUILD)/obj/cli $(BUILD)/obj/tests $(BUILD)/tests $(BUILD):
	@mkdir -p $@

FORCE:

# ---- set-up, tests, soak ----------------------------------------------------------------
deps:
	@tools/ensure-deps

# `make test`: installs what is missing, builds every variant, runs every suite in each
# (natively: the valgrind variant's suites exercise its checked arena), and
# ends with one line "N passed, N failed" (non-zero exit when anything failed).
# The fault builds are the soak's table (harness/common/faults.c): `soak list faults`.
VARIANTS := release asan valgrind jemalloc

# the training program of every fault in every variant
# (each build in a make of its own, as many at once as there are cores: each compiles one
# file and links; the variants they share are built first and only read)
faults-build:
	@$(MAKE) --no-print-directory $(VARIANTS) FAULT=none
	@{ for f in $$(build/release/soak list faults | grep -vx none); do for v in $(VARIANTS); do \
	  echo "train VARIANT=$$v FAULT=$$f"; done; done; echo "tokenize VARIANT=release FAULT=bpe_leak"; \
	  for f in slot_leak keep_requests chat_leak; do echo "serve VARIANT=release FAULT=$$f"; done; } | \
	  xargs -P $$(nproc) -L 1 env -u MAKEFLAGS -u MFLAGS $(MAKE) --no-print-directory -j1 SHARED_FRESH=1

# `make check`: the fast tier, for the loop you work in: the release build and its unit
# tests, no soak and no other variant (under a minute on 2 cores once built)
check:
	@tools/ensure-deps
	@$(MAKE) --no-print-directory release
	@SKIP_TESTS="$(E2E_TESTS)" tools/run-tests release

# (the test-only packages, as root, install in the background while the variants build;
# the test programs that need none of them, tests/early, start before they are in)
test:
	@tools/ensure-deps test --background
	@$(MAKE) --no-print-directory $(VARIANTS)
	@$(MAKE) --no-print-directory faults-build
	@+TEST_GATE='tools/ensure-deps wait' tools/run-tests $(VARIANTS)

# `make soak`: checks the names given, builds the variants, runs the matrix (ITERS, MODES,
# CONFIG, DATA, JOBS, OUT, FAULT, BASELINE, HISTORY=FILE.db: docs/history.md), writes the
# report and exits 0 only if the
# overall verdict is PASS. FAULT may name several builds: FAULT=leak,creep. CMD='PROG
# {iters}' soaks a program of your own instead (docs/any-program.md); with LOAD='CLIENT
# {iters}' the program is a service (READY_PORT, READY_REGEX; {port}: a free port per run).
ITERS ?=
MODES ?=
CONFIG ?=
DATA ?=
JOBS ?=
OUT ?=
BASELINE ?=
HISTORY ?=
# SHARD=K/N or SHARD=auto (docs/ci.md); ANNOTATE=none for a shard (the merge annotates)
SHARD ?=
ANNOTATE ?=
CMD ?=
LOAD ?=
READY_PORT ?=
READY_REGEX ?=
SOAK_ARGS = $(if $(CMD),--cmd '$(CMD)') $(if $(LOAD),--load '$(LOAD)') $(if $(READY_PORT),--ready-port $(READY_PORT)) \
  $(if $(READY_REGEX),--ready-regex '$(READY_REGEX)') $(if $(ITERS),--iters "$(ITERS)") $(if $(MODES),--modes "$(MODES)") $(if $(CONFIG),--config $(CONFIG)) \
  $(if $(DATA),--data "$(DATA)") $(if $(JOBS),--jobs $(JOBS)) $(if $(OUT),--out "$(OUT)") \
  $(if $(filter-out none,$(FAULT)),--faults $(FAULT)) $(if $(BASELINE),--baseline "$(BASELINE)") \
  $(if $(SHARD),--shard $(SHARD)) $(if $(ANNOTATE),--annotate $(ANNOTATE)) $(if $(HISTORY),--history "$(HISTORY)")

soak: deps
	@$(MAKE) --no-print-directory release FAULT=none
	@build/release/soak check $(SOAK_ARGS)
	@$(MAKE) --no-print-directory asan valgrind jemalloc FAULT=none
	@$(if $(filter-out none,$(FAULT)),for f in $$(echo '$(FAULT)' | tr , ' '); do for v in $(VARIANTS); do \
	  $(MAKE) --no-print-directory train VARIANT=$$v FAULT=$$f || exit 1; done; done)
	@build/release/soak $(SOAK_ARGS)

# CI's soak: the same with short counts (about a minute)
soak-quick:
	@$(MAKE) --no-print-directory soak ITERS="100 1000"

# generation soaked like any program (docs/generate.md): a --tiny checkpoint, then
# build/<variant>/generate for 100 to 10000 tokens in every mode; each token is a step
GEN_CKPT := build/soak-generate.ckpt
soak-generate: deps
	@$(MAKE) --no-print-directory release asan FAULT=none
	@test -s $(GEN_CKPT) || build/release/train_full --tiny 300 --quiet --save $(GEN_CKPT) >/dev/null
	@build/release/soak --cmd "build/release/generate --checkpoint $(GEN_CKPT) --tokens {iters} --quiet" \
	  --asan-cmd "build/asan/generate --checkpoint $(GEN_CKPT) --tokens {iters} --quiet" \
	  --modes native,asan,valgrind,jemalloc,lsan --iters "$(or $(ITERS),1000 10000 50000)" $(if $(OUT),--out "$(OUT)")

# the completions server soaked under load (docs/serve.md): build/<variant>/serve on a
# --tiny checkpoint, the official openai client (tools/serve-load-openai) sending 100 to
# 10000 requests, 4 at once, completions and chats, streamed and whole, with refused
# requests and streams cut mid-answer mixed in, in every mode (ITERS=, MODES=, OUT=)
SERVE_CMD = --port {port} --slots 8 --quiet --checkpoint $(GEN_CKPT)
ALL_MODES := native,asan,valgrind,jemalloc,lsan
soak-serve: deps
	@tools/ensure-npm
	@$(MAKE) --no-print-directory release asan FAULT=none
	@test -s $(GEN_CKPT) || build/release/train_full --tiny 300 --quiet --save $(GEN_CKPT) >/dev/null
	@build/release/soak --cmd "build/release/serve $(SERVE_CMD)" --asan-cmd "build/asan/serve $(SERVE_CMD)" \
	  --load "tools/serve-load-openai {port} {iters} 4" --step-regex 'done ([0-9]+)' \
	  --modes $(or $(MODES),$(ALL_MODES)) --iters "$(or $(ITERS),100 1000 10000)" $(if $(OUT),--out "$(OUT)")

# tokenizer training soaked as any program (docs/tokenizer.md): build/<variant>/tokenize to
# 100, 1000 and 3000 merges of DATA (the Shakespeare corpus) in every mode; a merge is a step
soak-tokenize: deps
	@$(MAKE) --no-print-directory release asan FAULT=none
	@d='$(or $(DATA),../shared/data/tinyshakespeare.txt)'; test -r "$$d" || { echo "soak-tokenize: DATA=$$d: no such file (give DATA=FILE)" >&2; exit 2; }; \
	build/release/soak --cmd "build/release/tokenize --data $$d --merges {iters} --quiet" \
	  --asan-cmd "build/asan/tokenize --data $$d --merges {iters} --quiet" \
	  --modes native,asan,valgrind,jemalloc,lsan --iters "$(or $(ITERS),100 1000 3000)" $(if $(OUT),--out "$(OUT)")

# which engine lines the soak runs, against what training with the presets runs
# (docs/soak.md "Coverage"); fails when a file is below its floor (docs/coverage-floors.tsv)
soak-coverage: deps
	@$(MAKE) --no-print-directory release FAULT=none
	@$(MAKE) --no-print-directory train VARIANT=coverage FAULT=none
	@+tools/soak-coverage $(if $(ITERS),--iters "$(ITERS)") $(if $(OUT),--out "$(OUT)") $(if $(DATA),--data "$(DATA)")

# every fault in every mode at short counts: PASS when each is caught as docs/faults.md requires
faults: deps
	@$(MAKE) --no-print-directory $(VARIANTS) FAULT=none
	@$(MAKE) --no-print-directory faults-build
	@build/release/soak --faults "$$(build/release/soak list faults | paste -sd,)" --iters "$(or $(ITERS),100 1000)" \
	  --expect-faults $(if $(JOBS),--jobs $(JOBS)) $(if $(OUT),--out "$(OUT)")

# save the newest soak's summary as the baseline for `make soak BASELINE=reports/baseline.json`
# (only a complete soak that passed; FORCE=1 takes it all the same)
baseline:
	@$(MAKE) --no-print-directory release FAULT=none
	@build/release/soak baseline $(or $(OUT),reports/latest) --to reports/baseline.json $(if $(FORCE),--force)

# which commit made memory grow: make bisect GOOD=<rev> BAD=<rev> [ITERS=N]
bisect:
	@test -n "$(GOOD)" -a -n "$(BAD)" || { echo "usage: make bisect GOOD=<rev> BAD=<rev> [ITERS=300] [CONFIG=soak]" >&2; exit 2; }
	@$(MAKE) --no-print-directory release FAULT=none
	@+harness/bisect $(GOOD) $(BAD) $(if $(ITERS),--iters $(ITERS)) $(if $(CONFIG),--config $(CONFIG))

# libFuzzer targets (clang): the event-log reader, the samples reader, train_full's command
# line, the data loader, serve's request parser. `make fuzz` runs each for FUZZ_SECONDS from fuzz/corpus/<target>;
# new inputs go to build/fuzz/corpus-<target>, crashing ones to build/fuzz/artifacts/.
FUZZ_SECONDS ?= 60
FUZZ_CC ?= clang
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -Wno-psabi \
  -fno-sanitize-recover=undefined -Iengine -Iprobes $(HARNESS_INC) -Iapp -Icli
FUZZ_LIB_SRC := $(wildcard engine/*.c) $(PROBE_SRC) $(APP_SRC) $(CLI_SRC) harness/judge/analysis.c \
  harness/judge/verdict.c harness/judge/findings.c harness/common/modes.c harness/common/kinds.c \
  harness/common/verdicts.c harness/common/evidence.c harness/common/util.c harness/common/frames.c

build/fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_SRC) $(wildcard engine/*.h probes/*.h harness/*/*.h)
	@mkdir -p build/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $< $(FUZZ_LIB_SRC) $(JSON_LIBS) -lm -ldl

fuzz-build: $(FUZZ_TARGETS:%=build/fuzz/fuzz_%)

fuzz:
	@tools/ensure-deps fuzz
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tools/run-fuzz $(FUZZ_TARGETS)

# speed and footprint: engine (and, once bench/torch_ref.py exists, PyTorch) side by side
build/bench/sgemm_ceiling: bench/sgemm_ceiling.c build/release/libapp.a build/release/libcli.a build/release/libengine.a
	@mkdir -p build/bench
	$(CC) $(CFLAGS_ALL) -Iapp -o $@ $< build/release/libapp.a build/release/libcli.a build/release/libengine.a \
	  $(LDFLAGS_ALL) $(LIBS_ALL)

build/bench/cpu_clock: bench/cpu_clock.c
	@mkdir -p build/bench
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

# the machine's single-precision limit, measured: FMA chains of each vector width on every core
build/bench/fma_peak: bench/fma_peak.c
	@mkdir -p build/bench
	$(CC) -O2 -Wall -Wextra -Werror -pthread -o $@ $<

bench: deps
	@$(MAKE) --no-print-directory release FAULT=none
	@$(MAKE) --no-print-directory build/bench/sgemm_ceiling build/bench/bpe_train build/bench/cpu_clock build/bench/fma_peak VARIANT=release FAULT=none
	@+bench/run

# the false-alarm campaign (issue 19): clean soaks many times over, half with the other core
# busy; zero not-PASS is the bar (about 40 minutes; docs/soak.md has the table)
false-alarms: deps
	@$(MAKE) --no-print-directory $(VARIANTS) FAULT=none
	@+bench/false-alarms

# the soak's accuracy on a labelled corpus of some 45 programs (issue 33): false alarms,
# misses, place, rate, each mode's blind cases; its table goes into docs/accuracy.md
accuracy: deps
	@$(MAKE) --no-print-directory $(VARIANTS) FAULT=none
	@$(MAKE) --no-print-directory faults-build
	@+bench/accuracy

# the BPE tokenizer: training time to 512, 1024, 4096 tokens and encode speed (DATA=FILE)
build/bench/bpe_train: bench/bpe_train.c build/release/libengine.a
	@mkdir -p build/bench
	$(CC) $(CFLAGS_ALL) -o $@ $< build/release/libengine.a $(LDFLAGS_ALL) $(LIBS_ALL)
bench-bpe: deps
	@$(MAKE) --no-print-directory release FAULT=none
	@$(MAKE) --no-print-directory build/bench/bpe_train VARIANT=release FAULT=none
	@for v in 512 1024 4096; do build/bench/bpe_train $(or $(DATA),../shared/data/tinyshakespeare.txt) $$v 5 || exit 1; done

# serve's tokens per second, first-token and per-token latency at 1, 2 and 4 clients and
# memory per slot, side by side with the PyTorch reference generating with its own cache
bench-serve: deps
	@tools/ensure-deps test
	@$(MAKE) --no-print-directory release FAULT=none
	@bench/serve $(if $(DATA),--data "$(DATA)")

# the report of the newest soak (or OUT=DIR)
report:
	@$(MAKE) --no-print-directory release FAULT=none
	@build/release/soak report $(if $(OUT),"$(OUT)",reports/latest) $(if $(BASELINE),--baseline "$(BASELINE)")

# what naming the growing functions costs a program: alone, jemalloc, our jemalloc-profiler
# mode, heaptrack, side by side (docs/any-program.md)
bench-attrib:
	@tools/ensure-deps bench-attrib
	@$(MAKE) --no-print-directory release FAULT=none
	@+bench/attrib

# what a --cmd soak costs beyond its runs (the harness's own time), on a C++ loop, the C
# trainer and a Python loop, and that it starts no jeprof (docs/performance.md)
bench-harness: deps
	@tools/ensure-deps bench-harness
	@$(MAKE) --no-print-directory release FAULT=none
	@bench/harness-cost $(REPS)

# ms/iteration with probes compiled out, idle, samples only and full event log
bench-probes: deps
	@$(MAKE) --no-print-directory release
	@$(MAKE) --no-print-directory build VARIANT=release PROBES=0
	@+tools/bench-probes

# `make install PREFIX=/usr/local DESTDIR=`: the soak as `flatmem`, for programs of your own
# (docs/any-program.md). The installed program finds its library and templates next to it.
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_DIRS := bin lib/flatmem include share/flatmem/reports share/man/man1 share/doc/flatmem
install:
	@$(MAKE) --no-print-directory release FAULT=none
	@for d in $(INSTALL_DIRS); do install -d "$(DESTDIR)$(PREFIX)/$$d" || exit 1; done
	install -m 755 build/release/soak "$(DESTDIR)$(PREFIX)/bin/flatmem"
	install -m 644 build/release/libflatmem-probe.so "$(DESTDIR)$(PREFIX)/lib/flatmem/"
	install -m 755 harness/bisect "$(DESTDIR)$(PREFIX)/lib/flatmem/"
	install -m 644 include/flatmem.h "$(DESTDIR)$(PREFIX)/include/"
	install -d "$(DESTDIR)$(PREFIX)/lib/flatmem/python"
	install -m 644 python/flatmem.py python/flatmem_pytrace.py "$(DESTDIR)$(PREFIX)/lib/flatmem/python/"
	install -d "$(DESTDIR)$(PREFIX)/lib/flatmem/python/hook"
	install -m 644 python/hook/sitecustomize.py "$(DESTDIR)$(PREFIX)/lib/flatmem/python/hook/"
	@site=$$(python3 -c 'import sysconfig; print(sysconfig.get_path("purelib", vars={"base": "$(PREFIX)"}))' 2>/dev/null); \
	  if [ -n "$$site" ]; then install -d "$(DESTDIR)$$site" && install -m 644 python/flatmem.py "$(DESTDIR)$$site/" && \
	  echo "install: flatmem.py -> $$site (import flatmem)"; fi
	install -m 644 reports/*.gp "$(DESTDIR)$(PREFIX)/share/flatmem/reports/"
	install -m 644 docs/flatmem.1 "$(DESTDIR)$(PREFIX)/share/man/man1/"
	install -m 644 docs/any-program.md docs/python.md docs/services.md docs/failed.md docs/glossary.md \
	  "$(DESTDIR)$(PREFIX)/share/doc/flatmem/"

uninstall:
	rm -f "$(DESTDIR)$(PREFIX)/bin/flatmem" "$(DESTDIR)$(PREFIX)/include/flatmem.h" \
	  "$(DESTDIR)$(PREFIX)/share/man/man1/flatmem.1"
	rm -rf "$(DESTDIR)$(PREFIX)/lib/flatmem" "$(DESTDIR)$(PREFIX)/share/flatmem" "$(DESTDIR)$(PREFIX)/share/doc/flatmem"
	@site=$$(python3 -c 'import sysconfig; print(sysconfig.get_path("purelib", vars={"base": "$(PREFIX)"}))' 2>/dev/null); \
	  if [ -n "$$site" ]; then rm -f "$(DESTDIR)$$site/flatmem.py"; fi

clean:
	rm -rf build

help:
	@echo "make              (make all, make release) build build/release (train_full, libengine.a, tests)"
	@echo "make asan|valgrind|jemalloc   build that variant into build/<variant>/ (make variants: all four)"
	@echo "make build VARIANT=v   build one variant; make train VARIANT=v FAULT=f: its train_full alone"
	@echo "make deps         install the Debian packages the build, tests and soaks need (as root)"
	@echo "make check        the fast tier: the release build and its unit tests (no soak), under a minute"
	@echo "make test         install missing packages, build the four variants and every fault build,"
	@echo "                  run every test suite (two at a time: TEST_JOBS=N; TEST_ONLY=PATTERN,"
	@echo "                  TEST_KEEP=1 for one program); ends with 'N passed, N failed'"
	@echo "make soak         install missing packages, build every variant, run the soak matrix,"
	@echo "                  write the report; exit 0 only on PASS"
	@echo "                  (ITERS='100 1000' MODES=native,asan CONFIG=soak DATA=FILE JOBS=2 OUT=DIR"
	@echo "                   FAULT=leak BASELINE=summary.json HISTORY=history.db: docs/history.md)"
	@echo "make soak-quick   the same with ITERS='100 1000' (CI)"
	@echo "make soak-coverage  the engine lines the soak runs (gcov) against training; fails below a floor"
	@echo "make report       regenerate the HTML report of the newest soak (OUT=DIR for another)"
	@echo "make faults       every fault x every mode: PASS when each is caught (docs/faults.md)"
	@echo "make baseline     save the newest soak summary as reports/baseline.json (only a PASS; FORCE=1)"
	@echo "make bisect GOOD=<rev> BAD=<rev>   the first commit whose memory grows (ITERS, CONFIG; docs/ci.md)"
	@echo "make bench        speed and footprint of --tiny/--small/--medium, sgemm ceiling (build/bench/bench.json)"
	@echo "make fuzz         (make fuzz-build: only build them) libFuzzer on the readers, the CLI parser, the data loader, checkpoints (FUZZ_SECONDS=60)"
	@echo "make false-alarms the clean engine and clean programs soaked many times: any not-PASS is a false alarm"
	@echo "make accuracy     a labelled corpus of ~45 programs soaked: false alarms, misses, place, rate, blind modes"
	@echo "make soak-generate generation (generate) soaked as any program, 1000 to 50000 tokens, every mode"
	@echo "make bench-serve  serve at 1, 2 and 4 clients (tokens/s, latency, memory per slot) vs PyTorch (DATA=FILE)"
	@echo "make soak-serve    the completions server (serve) under load, 100 to 10000 requests, every mode"
	@echo "make soak-tokenize tokenizer training (tokenize) soaked as any program, 100 to 3000 merges (DATA=FILE)"
	@echo "make bench-bpe    the BPE tokenizer: training time to 512, 1024, 4096 tokens, encode speed (DATA=FILE)"
	@echo "make tokenize     build the tokenize program alone (a tokenizer fault build: FAULT=bpe_leak)"
	@echo "make bench-probes ms/iteration: probes compiled out / idle / samples / event log"
	@echo "make bench-harness what a --cmd soak costs beyond its runs (C++, C trainer, Python); no jeprof (REPS=3)"
	@echo "make bench-attrib the cost of --cmd's jemalloc mode (its heap profiler) against the program and heaptrack"
	@echo "make install      (make uninstall) the soak as flatmem, its probe library, header, templates, man page (PREFIX, DESTDIR)"
	@echo "make clean        remove build/"
	@echo "make faults-build the training program of every fault build in every variant"
	@echo "make print-tests  the test programs of VARIANT; make print-train: its train_full (for scripts)"
	@echo "make help         this text"
	@echo "variables: CC, FAULT (none), VARIANT, PROBES (1; 0 compiles the hooks out), CFLAGS, LDFLAGS,"
	@echo "           V=1 (full compiler commands)"
