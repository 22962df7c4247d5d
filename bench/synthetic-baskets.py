#!/usr/bin/env python3
"""Writes a basket-lines file (`--orders-format baskets`) of a store larger than the shared data sets, to time the
trainer on it (docs/benchmarks.md, "Training a larger store"): 20,000 skus in 200 topics of 100, each basket 3-15
distinct items, half of them from one topic (mostly its 30 leaders), the rest from the whole range (30 % of those by a
Zipf-like popularity). Deterministic (seed 7).

    python3 bench/synthetic-baskets.py 120000 > big.csv
"""
import itertools
import random
import sys

orders = int(sys.argv[1]) if len(sys.argv) > 1 else 120000
random.seed(7)
n_skus = 20000
weights = [1 / (i + 1) ** 0.9 for i in range(n_skus)]
# The cumulative weights once: random.choices(weights=...) accumulates them on every call (the same draws, far slower).
cum_weights = list(itertools.accumulate(weights))
topics = [list(range(t * 100, (t + 1) * 100)) for t in range(200)]
out = sys.stdout
for _ in range(orders):
    size = random.randint(3, 15)
    topic = random.randrange(200)
    items = set()
    while len(items) < size:
        if random.random() < 0.5:
            items.add(random.choice(topics[topic][:30]) if random.random() < 0.7 else random.choice(topics[topic]))
        else:
            items.add(random.choices(range(n_skus), cum_weights=cum_weights)[0] if random.random() < 0.3 else random.randrange(n_skus))
    out.write(",".join(f"p{i}" for i in items) + "\n")
