"""flatmem_pytrace: which lines of a Python program hold the memory that grew between two
tracemalloc snapshots (the soak's start-up hook wrote them: python/hook/sitecustomize.py).

    python3 flatmem_pytrace.py EARLY.snap LATE.snap SPAN OUT.tsv

SPAN is the number of iterations between the two snapshots. Each trace's growth is charged
to the first frame, from the allocation outwards, in the program's own files: not the
standard library's, not site-packages' (or dist-packages'), not frozen modules, not this
hook's; when a trace has no such frame, to its allocating frame (the growth is then only in
a library). OUT.tsv, tab-separated, a "#" line first with the totals:

    # traced_growth=<bytes> early_traced=<bytes> late_traced=<bytes> span=<iterations>
    bytes  bytes_per_iter  blocks  function  file:line  text  callers  library

function: the def (or class) the line is in, "<module>" at the top level; text: the line's
source, stripped; callers: up to two frames further out ("main (train.py:40) <- <module>
(train.py:52)"); library: 1 when the place is a library's (no frame of the program's own).
Lines are sorted by bytes, largest first; only places that grew are listed. Called by the
soak (harness/judge/pyattrib.c); the format is in docs/any-program.md. Beside it,
OUT.collapsed: the growing tracebacks as folded stacks ("f a.py:3;g a.py:9 BYTES", the
outermost frame first) for a flame graph.
"""

import ast
import linecache
import os
import sys
import sysconfig
import tracemalloc

HERE = os.path.dirname(os.path.abspath(__file__))


def _library_roots():
    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            roots.add(os.path.realpath(p))
    for p in sys.path:
        if p and os.path.basename(p) in ("site-packages", "dist-packages"):
            roots.add(os.path.realpath(p))
    roots.add(HERE)
    roots.add(os.path.join(HERE, "hook"))
    return tuple(sorted(roots))


ROOTS = _library_roots()


def is_library(filename):
    if filename.startswith("<"):  # <frozen importlib._bootstrap>, <string>, <stdin>
        return True
    real = os.path.realpath(filename)
    if "/site-packages/" in real or "/dist-packages/" in real:
        return True
    return any(real == r or real.startswith(r + os.sep) for r in ROOTS)


_scopes = {}


def function_of(filename, lineno):
    """The innermost def or class around the line ("<module>" at the top level)."""
    if filename not in _scopes:
        spans = []
        try:
            with open(filename, "rb") as f:
                tree = ast.parse(f.read(), filename)
            for node in ast.walk(tree):
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    name = "<lambda>" if isinstance(node, ast.Lambda) else node.name
                    spans.append((node.lineno, getattr(node, "end_lineno", node.lineno), name))
        except (OSError, SyntaxError, ValueError):
            pass
        _scopes[filename] = spans
    best = None
    for first, last, name in _scopes[filename]:
        if first <= lineno <= last and (best is None or first >= best[0]):
            best = (first, last, name)
    return best[2] if best else "<module>"


def place(frame):
    return "%s:%d" % (frame.filename, frame.lineno)


def charged(traceback):
    """(frame charged, its callers' frames, 1 if a library's) for a traceback (oldest first)."""
    frames = list(traceback)[::-1]  # the allocating frame first
    for i, fr in enumerate(frames):
        if not is_library(fr.filename):
            return fr, frames[i + 1 : i + 3], 0
    return frames[0], frames[1:3], 1


def main(argv):
    if len(argv) != 5:
        sys.stderr.write("usage: flatmem_pytrace.py EARLY.snap LATE.snap SPAN OUT.tsv\n")
        return 2
    # the hook's own (its snapshots, its thread) and the interpreter's shutdown are not the program's
    hook = [tracemalloc.Filter(False, os.path.join(HERE, "hook", "sitecustomize.py"), all_frames=True),
            tracemalloc.Filter(False, tracemalloc.__file__)]
    early = tracemalloc.Snapshot.load(argv[1]).filter_traces(hook)
    late = tracemalloc.Snapshot.load(argv[2]).filter_traces(hook)
    span = max(1.0, float(argv[3]))
    grown = {}
    total = 0
    folded = []
    for stat in late.compare_to(early, "traceback"):
        if stat.size_diff <= 0 or not len(stat.traceback):
            continue
        folded.append(
            "%s %d"
            % (";".join("%s %s:%d" % (function_of(f.filename, f.lineno), os.path.basename(f.filename), f.lineno)
                        for f in stat.traceback), stat.size_diff)
        )
        fr, callers, lib = charged(stat.traceback)
        key = place(fr)
        g = grown.setdefault(key, {"bytes": 0, "blocks": 0, "frame": fr, "callers": callers, "lib": lib, "top": 0})
        g["bytes"] += stat.size_diff
        g["blocks"] += stat.count_diff
        if stat.size_diff > g["top"]:
            g["top"], g["callers"] = stat.size_diff, callers
        total += stat.size_diff
    early_sum = sum(t.size for t in early.traces)
    late_sum = sum(t.size for t in late.traces)
    rows = sorted(grown.values(), key=lambda g: -g["bytes"])
    tmp = argv[4] + ".tmp"
    with open(tmp, "w") as out:
        out.write("# traced_growth=%d early_traced=%d late_traced=%d span=%.0f\n" % (total, early_sum, late_sum, span))
        for g in rows:
            fr = g["frame"]
            text = linecache.getline(fr.filename, fr.lineno).strip().replace("\t", " ")
            callers = " <- ".join(
                "%s (%s:%d)" % (function_of(c.filename, c.lineno), os.path.basename(c.filename), c.lineno)
                for c in g["callers"]
            )
            out.write(
                "%d\t%.1f\t%d\t%s\t%s\t%s\t%s\t%d\n"
                % (g["bytes"], g["bytes"] / span, g["blocks"], function_of(fr.filename, fr.lineno), place(fr),
                   text[:150], callers, g["lib"])
            )
    os.replace(tmp, argv[4])
    stem = argv[4][:-4] if argv[4].endswith(".tsv") else argv[4]
    with open(stem + ".collapsed.tmp", "w") as out:
        out.write("\n".join(folded) + ("\n" if folded else ""))
    os.replace(stem + ".collapsed.tmp", stem + ".collapsed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
