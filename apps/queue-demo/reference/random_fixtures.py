#!/usr/bin/env python3
"""Writes test/fixtures/python-random.jsonl: what CPython's `random` module draws after
`random.seed(n)` for several seeds, for the `PythonRandom` tests to match exactly. JSON Lines:
the Python version first, then one seed a line, so a diff shows which seed changed.

    ~/.pyenv/versions/3.13.0/bin/python3 reference/random_fixtures.py > test/fixtures/python-random.jsonl
"""

import json
import random
import sys

SEEDS = [0, 1, 444, -444, 2**32 - 1, 2**32, 2**53 - 1, 2**64 + 123, 12345678901234567890123456789]


def draws(seed):
    r = random.Random(seed)
    out = {"seed": str(seed)}
    out["getrandbits32"] = [r.getrandbits(32) for _ in range(8)]
    out["random"] = [r.random() for _ in range(8)]
    out["randint_0_10"] = [r.randint(0, 10) for _ in range(40)]
    out["randint_wide"] = [r.randint(-(2**40), 2**40) for _ in range(6)]
    out["randrange_1000003"] = [r.randrange(1000003) for _ in range(6)]
    out["randrange_5_9"] = [r.randrange(5, 9) for _ in range(10)]
    out["getrandbits_k"] = [[k, r.getrandbits(k)] for k in (0, 1, 5, 31, 32, 33, 47, 53)]
    out["choice"] = [r.choice("abcdefg") for _ in range(10)]
    # Past the first 624-word state: the twist must be right too.
    for _ in range(2000):
        r.getrandbits(32)
    out["after_2000"] = [r.getrandbits(32) for _ in range(4)]
    return out


print(json.dumps({"python": sys.version.split()[0]}))
for seed in SEEDS:
    print(json.dumps(draws(seed)))
