#!/usr/bin/env bash
# tests/e2e/history_repo.sh PROJECT SOAK DIR: the scripted repository of test_history_repo.
# A copy of PROJECT's tracked files with a 2 MiB lookup table in train_full, committed as
# "base", then: base soaked five times and four harmless commits (five commits of one
# program: the noise), the table made twice as large (peak up, no growth within a run), two harmless
# commits, a slow leak (256 bytes a step), two harmless commits: 11 commits, each soaked
# (the tiny workload, native, 100 and 400 steps) into DIR/history.db. The commits' hashes:
# DIR/sha-NAME (base, h1 .. h8, double, leak).
set -euo pipefail
project=$1 soak=$2 t=$3
git=(git -c user.email=test@example.invalid -c user.name=test)
mkdir -p "$t/repo"
(cd "$project" && git ls-files -z | xargs -0 tar -cf - | tar -xf - -C "$t/repo")
cd "$t/repo"
# the project's own release objects, newer than the sources copied with their times: the
# first build compiles what this script changes, not the whole engine again (66 compiles,
# 18 CPU-s of make test); make's dependencies decide as in the project's tree
if [ -d "$project/build/release/obj" ]; then
  mkdir -p build/release
  cp -a "$project/build/release/obj" build/release/
fi
python3 - <<'PY'
p = 'app/train_full.c'
s = open(p).read()
a = 'static void start_threads(const TrainOptions *o)\n{\n'
assert a in s, 'start_threads moved: update tests/e2e/history_repo.sh'
s = s.replace(a, '#define TABLE_MB 2\nvolatile char *g_lookup_table;\n\n' + a +
              '    g_lookup_table = malloc((size_t)TABLE_MB << 20);\n    if (g_lookup_table)\n'
              '        memset((char *)g_lookup_table, 1, (size_t)TABLE_MB << 20);\n', 1)
open(p, 'w').write(s)
PY
git init -q -b main
git add -A
"${git[@]}" commit -qm base
mark() { git rev-parse HEAD > "$t/sha-$1"; }
soak_it() {
  make -s train VARIANT=release >/dev/null
  "$soak" --program "$PWD/build/release/train_full" --build "$PWD/build" --config tiny --modes native \
    --iters 100,400 --no-control --jobs 2 --history "$t/history.db" \
    --out "$t/soaks/$(git rev-parse --short=12 HEAD)-$1" >"$t/soak.log" 2>&1 || true
  grep -q 'recorded in' "$t/soak.log" || { cat "$t/soak.log" >&2; exit 1; }
}
harmless() { echo "$1" >> notes.txt; git add -A; "${git[@]}" commit -qm "harmless $1"; mark "h$1"; soak_it 1; }
mark base
for i in 1 2 3 4 5; do soak_it $i; done
for i in 1 2 3 4; do harmless $i; done
sed -i 's/^#define TABLE_MB 2$/#define TABLE_MB 4/' app/train_full.c
grep -q '^#define TABLE_MB 4$' app/train_full.c
"${git[@]}" commit -qam "make the lookup table twice as large"
mark double
soak_it 1
for i in 5 6; do harmless $i; done
python3 - <<'PY'
p = 'engine/fault.c'
s = open(p).read()
a = '#else\nvoid fault_step_end(void) {}\n#endif'
assert a in s, 'fault_step_end moved: update tests/e2e/history_repo.sh'
s = s.replace(a, '#else\nstatic void *volatile g_step_log;\nvoid fault_step_end(void)\n{\n'
              '    g_step_log = malloc(256);\n    if (g_step_log)\n        memset(g_step_log, 1, 256);\n}\n#endif', 1)
open(p, 'w').write(s)
PY
"${git[@]}" commit -qam "keep a log of each step"
mark leak
soak_it 1
for i in 7 8; do harmless $i; done
