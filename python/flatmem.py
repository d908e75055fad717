"""flatmem: step marks for the flatmem soak, from Python (the counterpart of
include/flatmem.h's flatmem_step).

    import flatmem
    for step in range(1, steps + 1):
        train_one_step()
        flatmem.step(step)        # after the step: its memory counts in it

When the soak runs the program (flatmem --cmd 'python3 train.py {iters}'), its probe library
is preloaded into the interpreter and each mark is one call into it (the soak then places
its samples by step, not by time). Without the soak, step() does nothing: the module can stay
in the program. The soak puts this module on the PYTHONPATH of the programs it runs;
`make install` puts it where the interpreter finds it. docs/any-program.md.
"""

import ctypes
import sys

__all__ = ["step", "active"]


def _probe():
    try:
        mark = ctypes.CDLL(None).flatmem_probe_step  # the preloaded probe's, if any
    except (OSError, AttributeError):
        return None
    mark.argtypes = [ctypes.c_ulonglong]
    mark.restype = None
    return mark


_mark = _probe()
_hook = getattr(sys.modules.get("_flatmem_hook"), "on_step", None)  # the soak's tracing hook


def active():
    """True when the soak's probe library is loaded: marks are recorded."""
    return _mark is not None


def step(n):
    """Marks the end of step n (1, 2, ...)."""
    if _mark is not None:
        _mark(int(n))
        if _hook is not None:
            _hook(int(n))
