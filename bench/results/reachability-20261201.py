# How many hidden items of train-ranker's validation baskets (3+ distinct stock codes) were bought with an item left
# in the cart in an order before the slice. Approximate: stock codes as in the CSV, the same filters as the engine's
# reader (no cancellations, codes starting with five digits, quantity and price > 0); random item by an MD5 hash.
# python3 bench/results/reachability-20261201.py
import csv, re, collections, sys
rows = []
with open('/work/shared/data/online-retail-2010-2011.csv', encoding='utf-8', errors='replace') as f:
    r = csv.DictReader(f)
    orders = collections.OrderedDict()
    for x in r:
        inv = x['InvoiceNo']
        if inv.startswith('C'): continue
        code = x['StockCode']
        m = re.match(r'^(\d{5})', code)
        if not m: continue
        try:
            q = int(x['Quantity']); p = float(x['UnitPrice'])
        except: continue
        if q <= 0 or p <= 0: continue
        o = orders.setdefault(inv, {'t': x['InvoiceDate'], 'items': []})
        if code not in o['items']: o['items'].append(code)
lst = sorted(orders.items(), key=lambda kv: (kv[1]['t'], kv[0]))
# The training part of `eval --test-fraction 0.2` and, inside it, train-ranker's validation slice (newest 15 %):
# the analysis reads the validation slice only, never the test slice.
n = int(round(len(lst)*0.8)); cut = int(round(n*0.85))
train, test = lst[:cut], lst[cut:n]
seen = set(); pairs = collections.defaultdict(set)
for _, o in train:
    its = o['items']
    for a in its:
        seen.add(a)
    s = set(its)
    for a in s:
        pairs[a] |= s
cnt = collections.Counter()
for proto in ('last','random'):
  cnt = collections.Counter()
  import hashlib
  for oid, o in test:
    its = o['items']
    if len(set(its)) < 3: continue
    if proto == 'last': h = its[-1]
    else: h = its[int(hashlib.md5(oid.encode()).hexdigest(),16) % len(its)]
    cart = [i for i in its if i != h]
    if h not in seen: cnt['new item (not in training)'] += 1
    elif not any(h in pairs[c] for c in cart if c in pairs): cnt['seen, never bought with a cart item'] += 1
    else: cnt['bought with a cart item in training'] += 1
    cnt['total'] += 1
  print(proto, dict(cnt), {k: round(v/cnt['total'],3) for k,v in cnt.items()})
print('orders before the validation slice', cut, 'validation orders', n-cut)
