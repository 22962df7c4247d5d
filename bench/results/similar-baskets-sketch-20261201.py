# Sketch of the similar-baskets score (session k-nearest neighbours) against the last item and basket cosine, on the
# validation slice of train-ranker --test-fraction 0.2 (never the test slice); pure Python, about 3.5 minutes.
# python3 bench/results/similar-baskets-sketch-20261201.py [baskets read per cart item, 1000] [neighbours, 100]
import csv, re, collections, sys, math, hashlib, random
orders = collections.OrderedDict()
with open('/work/shared/data/online-retail-2010-2011.csv', encoding='utf-8', errors='replace') as f:
    for x in csv.DictReader(f):
        inv = x['InvoiceNo']
        if inv.startswith('C'): continue
        code = x['StockCode']
        if not re.match(r'^(\d{5})', code): continue
        try: q = int(x['Quantity']); p = float(x['UnitPrice'])
        except: continue
        if q <= 0 or p <= 0: continue
        o = orders.setdefault(inv, {'t': x['InvoiceDate'], 'items': []})
        if code not in o['items']: o['items'].append(code)
lst = sorted(orders.items(), key=lambda kv: (kv[1]['t'], kv[0]))
n = int(round(len(lst)*0.8)); cut = int(round(n*0.85))
train, val = lst[:cut], lst[cut:n]
baskets = [o['items'] for _, o in train]
cnt = collections.Counter(); pair = collections.defaultdict(collections.Counter)
index = collections.defaultdict(list)
for bi, its in enumerate(baskets):
    s = set(its)
    for a in s:
        cnt[a] += 1; index[a].append(bi)
        for b in s:
            if a != b: pair[a][b] += 1
def cos(a, b): return pair[a][b] / math.sqrt(cnt[a]*cnt[b]) if cnt[a] and cnt[b] else 0
def top3(scores, cart):
    return [i for i, _ in sorted(((i, s) for i, s in scores.items() if i not in cart), key=lambda t: -t[1])[:3]]
def last_item(cart_list):
    l = cart_list[-1]; return {b: cos(l, b) for b in pair[l]}
def basket_cos(cart_list):
    sc = collections.Counter()
    for c in cart_list:
        for b, v in pair[c].items(): sc[b] += v / math.sqrt(cnt[c]*cnt[b])
    return sc
SAMPLE = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
K = int(sys.argv[2]) if len(sys.argv) > 2 else 100
def sknn(cart_list, weighted):
    cart = set(cart_list); n = len(cart_list)
    w = {c: (1.0 if not weighted else (i + 1) / n) for i, c in enumerate(cart_list)}
    overlap = collections.Counter()
    for c in cart_list:
        for bi in index[c][-SAMPLE:]:
            overlap[bi] += w[c]
    sims = sorted(((bi, ov / math.sqrt(len(cart) * len(set(baskets[bi])))) for bi, ov in overlap.items()), key=lambda t: -t[1])[:K]
    sc = collections.Counter()
    for bi, s in sims:
        for i in baskets[bi]: sc[i] += s
    return sc
hits = collections.Counter(); tot = collections.Counter()
for oid, o in val:
    its = o['items']
    if len(its) < 3: continue
    for proto in ('last', 'random'):
        h = its[-1] if proto == 'last' else its[int(hashlib.md5(oid.encode()).hexdigest(), 16) % len(its)]
        cl = [i for i in its if i != h]; cs = set(cl)
        tot[proto] += 1
        for name, f in (('last-item', lambda: last_item(cl)), ('basket-cosine', lambda: basket_cos(cl)),
                        ('sknn', lambda: sknn(cl, False)), ('v-sknn', lambda: sknn(cl, True))):
            if h in top3(f(), cs): hits[(proto, name)] += 1
for k in sorted(hits): print(k, round(hits[k] / tot[k[0]], 4))
print(tot)
