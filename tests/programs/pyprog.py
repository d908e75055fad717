#!/usr/bin/python3
"""pyprog.py BEHAVIOUR STEPS: somebody's Python training loop, for the soak's Python tests
(tests/e2e/test_anyprog.c, test_python_lines_named). Each step does a little work and marks its end with flatmem.step();
what it keeps per step, by BEHAVIOUR:

    list       a 2 KiB bytearray appended to a list                    (2105 + 8 bytes)
    dict       an unbounded dict cache: a 1000-character str per key   (1049 + key + slot)
    classattr  a class attribute's list: bytes(1500) per step          (1533 + 8 bytes)
    closure    a callback list: each callback closes over a bytearray  (1081 + function)
    numpy      a NumPy array of 512 float64 per step                   (4096 + 112 bytes)
    native     4 KiB from libc's malloc through ctypes, never freed    (outside Python)
    clean      nothing kept
    bounded    an LRU cache of 128 entries (functools.lru_cache)       (flat after it fills)
    warmup     5 MB held in the first 50 steps, then nothing more
"""

import functools
import sys
import time

import flatmem

keep = []
cache = {}


class Registry:
    items = []


def make_handler(size):
    buf = bytearray(size)

    def handler():
        return len(buf)

    return handler


@functools.lru_cache(maxsize=128)
def lookup(key):
    return "v" * 600 + str(key)


def work(i):
    return sum(range(i % 7, 300))


def main():
    what, steps = sys.argv[1], int(sys.argv[2])
    if what == "numpy":
        import numpy as np
    if what == "native":
        import ctypes

        libc = ctypes.CDLL(None)
        libc.malloc.restype = ctypes.c_void_p
        libc.malloc.argtypes = [ctypes.c_size_t]
    start = time.perf_counter()
    for i in range(1, steps + 1):
        work(i)
        if what == "list":
            keep.append(bytearray(2048))
        elif what == "dict":
            cache[i] = "%d:%s" % (i, "x" * 1000)
        elif what == "classattr":
            Registry.items.append(bytes(1500))
        elif what == "closure":
            keep.append(make_handler(1024))
        elif what == "numpy":
            keep.append(np.ones(512))
        elif what == "native":
            keep.append(libc.malloc(4096))
        elif what == "bounded":
            lookup(i % 1000)
        elif what == "warmup" and i <= 50:
            keep.append(bytearray(100000))
        elif what not in ("clean", "warmup"):
            sys.exit("pyprog: unknown behaviour %s" % what)
        flatmem.step(i)
    print("pyprog %s: %d steps in %.6f s" % (what, steps, time.perf_counter() - start))


if __name__ == "__main__":
    main()
