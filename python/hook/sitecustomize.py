"""The flatmem soak's start-up hook for Python programs (docs/python.md).

The soak puts this folder first on the PYTHONPATH of a Python program it runs; the
interpreter imports `sitecustomize` at start-up, before the program. With FLATMEM_PYTRACE=N
(the soak sets it in the runs that trace Python: jemalloc mode) in the process the soak
started (FLATMEM_PID), it starts the standard library's tracemalloc with N frames per
traceback and writes snapshots into the run folder (FLATMEM_DIR) at the moments the soak's
probe has jemalloc dump its heap profiles: 0.05, 0.1, 0.2, 0.4, ... seconds after the probe
started (its span.csv), at the steps the program marks with flatmem.step() where the probe
dumps too (FLATMEM_ITERS=N: the first mark of step N/8 or more, 2N/8, ..., N), and once
more at exit:

    pytrace.t<ms>.snap   tracemalloc.Snapshot.dump() files (<ms> as in jeprof.t<ms>.heap)
    pytrace.s<step>.snap at a step mark (as jeprof.s<step>.heap)
    pytrace.final.snap   at exit (atexit: the program's objects are still alive)
    pydumps.csv          "t_ns,file,traced_bytes,tracemalloc_bytes": each snapshot, with
                         the memory tracemalloc traced and its own memory then
    python.txt           the interpreter (sys.executable) and its version: the soak reads the
                         snapshots with the same one

Without those variables it does nothing. Either way it then runs the `sitecustomize` the
interpreter would have imported without it (Debian's, a virtualenv's), so nothing of the
program's start-up is lost. The program is not edited and needs no import.
"""

import os
import sys


def _chain():
    """Imports the next sitecustomize on sys.path (the one this module shadows)."""
    import importlib.machinery
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module
    spec.loader.exec_module(module)


def _probe_start_ns(run_dir):
    """The probe's start (span.csv's first line), the origin of its dumps' names."""
    try:
        with open(os.path.join(run_dir, "span.csv")) as f:
            return int(f.readline().split(",")[0])
    except (OSError, ValueError, IndexError):
        return None


STEP_SNAPSHOTS = 8  # as the probe's PROBE_STEP_DUMPS


class _Tracer:
    def __init__(self, run_dir, t0, iters):
        self.dir = run_dir
        self.t0 = t0
        self.iters = iters
        self.done = 0
        self.next_mark = self._mark(1)
        self.csv = open(os.path.join(run_dir, "pydumps.csv"), "a", buffering=1)
        with open(os.path.join(run_dir, "python.txt"), "w") as f:
            f.write("%s\n%s\n" % (sys.executable, sys.version.split()[0]))

    def snapshot(self, name):
        import tracemalloc

        if not tracemalloc.is_tracing():
            return
        t = __import__("time").monotonic_ns()
        snap = tracemalloc.take_snapshot()
        traced = tracemalloc.get_traced_memory()[0]
        own = tracemalloc.get_tracemalloc_memory()
        path = os.path.join(self.dir, name)
        snap.dump(path + ".tmp")
        os.replace(path + ".tmp", path)
        self.csv.write("%d,%s,%d,%d\n" % (t, name, traced, own))

    def _mark(self, k):
        return (self.iters * k + STEP_SNAPSHOTS - 1) // STEP_SNAPSHOTS

    def on_step(self, n):
        """flatmem.step(n) calls this after the probe's mark: a snapshot where it dumped."""
        if not self.iters or self.done >= STEP_SNAPSHOTS or n < self.next_mark:
            return
        self.snapshot("pytrace.s%d.snap" % n)
        while self.done < STEP_SNAPSHOTS and n >= self.next_mark:
            self.done += 1
            self.next_mark = self._mark(self.done + 1)

    def periodic(self):
        import time

        next_ms = 50
        while True:
            now_ms = (time.monotonic_ns() - self.t0) // 1000000
            if now_ms < next_ms:
                time.sleep((next_ms - now_ms) / 1000.0)
                continue
            self.snapshot("pytrace.t%d.snap" % now_ms)
            next_ms *= 2

    def at_exit(self):
        self.snapshot("pytrace.final.snap")
        import tracemalloc

        tracemalloc.stop()


def _start():
    run_dir, frames = os.environ.get("FLATMEM_DIR"), os.environ.get("FLATMEM_PYTRACE")
    if not run_dir or not frames or os.environ.get("FLATMEM_PID") != str(os.getpid()):
        return
    import atexit
    import threading
    import tracemalloc

    t0 = _probe_start_ns(run_dir)
    if t0 is None:
        return
    tracemalloc.start(max(1, int(frames)))
    iters = os.environ.get("FLATMEM_ITERS", "0")
    tracer = _Tracer(run_dir, t0, int(iters) if iters.isdigit() else 0)
    global on_step
    on_step = tracer.on_step
    sys.modules["_flatmem_hook"] = sys.modules[__name__]  # flatmem.step() finds it here
    atexit.register(tracer.at_exit)
    threading.Thread(target=tracer.periodic, name="flatmem-pytrace", daemon=True).start()


on_step = None  # flatmem.step(n) calls it when tracing


try:
    _start()
except Exception as e:  # the program runs all the same; the run says why nothing was traced
    sys.stderr.write("flatmem: Python tracing not started: %s\n" % e)
_chain()
