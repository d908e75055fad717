#!/usr/bin/env python3
"""bounded_cache.py STEPS - a Python training loop of someone else's whose memory is flat:
a cache of the last 64 results, each replaced when the cache is full (never more than 64
entries), and some work per step. For tests/e2e/test_anyprog.c: the soak must PASS it."""
import sys
import time


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
        print("usage: bounded_cache.py STEPS", file=sys.stderr)
        return 2
    steps = int(sys.argv[1])
    cache = {}
    total = 0.0
    for step in range(1, steps + 1):
        row = [float(i * step % 97) for i in range(256)]
        total += sum(row) / len(row)
        cache[step % 64] = bytes(2048)  # replaced once 64 are there
        time.sleep(0.0005)
    print("bounded_cache: %d steps, %d cached, %.1f" % (steps, len(cache), total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
