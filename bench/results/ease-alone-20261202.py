#!/usr/bin/env python3
# The basket-completion regression (EASE, Steck 2019) alone on Online Retail's validation slice (the newest 15 % of the
# training part eval uses), against basket cosine and the last item; needs numpy (apt-get install python3-numpy).
# Usage: /usr/bin/python3 bench/results/ease-alone-20261202.py 5 20   (the ridge penalties to try; about 40 min on 2 cores)
# Hidden items are drawn by Python's random (seed 42), not by the engine's hash: compare the rows with each other.
import numpy as np, random, csv, collections
orders=collections.OrderedDict(); ts={}
for r in csv.DictReader(open('../shared/data/online-retail-2010-2011.csv', encoding='utf-8', errors='replace')):
    inv=r['InvoiceNo']
    if inv.startswith('C'): continue
    try: q=float(r['Quantity'])
    except: continue
    if q<=0: continue
    orders.setdefault(inv,[]).append(r['StockCode']); ts.setdefault(inv,r['InvoiceDate'])
ids=sorted(orders,key=lambda i:(ts[i],i))
rows=[list(dict.fromkeys(orders[i])) for i in ids]
n=len(rows); test_start=int(round(n*0.8)); val_start=int(round(test_start*0.85))
print(n, test_start, val_start)
def run(train, evalb, lams, seed=42):
    cnt=collections.Counter(s for r in train for s in r)
    items=sorted(cnt); idx={s:k for k,s in enumerate(items)}; m=len(items)
    X=np.zeros((len(train),m),dtype=np.float32)
    for b,r in enumerate(train):
        for s in r: X[b,idx[s]]=1
    G=(X.T@X).astype(np.float64); w=np.diag(G).copy()
    cos=G/np.sqrt(np.outer(w,w)+1e-12); np.fill_diagonal(cos,0)
    Bs={}
    for lam in lams:
        P=np.linalg.inv(G+lam*np.eye(m)); B=-P/np.diag(P); np.fill_diagonal(B,0); Bs[(lam,0)]=B
        for K in (20,50):
            S=np.zeros_like(B); top=np.argpartition(-B,K,axis=1)[:,:K]
            r=np.arange(m)[:,None]; S[r,top]=np.maximum(B[r,top],0); Bs[(lam,K)]=S
    res={}
    for proto in ['last','random']:
        rnd=random.Random(seed); N=0; h_={'cos':0,'last':0}; h_.update({k:0 for k in Bs})
        for r in evalb:
            if len(r)<3: continue
            N+=1
            h=r[-1] if proto=='last' else r[rnd.randrange(len(r))]
            cart=[s for s in r if s!=h and s in idx]
            if h not in idx or not cart: continue
            ci=[idx[s] for s in cart]; x=np.zeros(m); x[ci]=1
            def hit(score):
                score=score.copy(); score[ci]=-1e18
                return idx[h] in np.argpartition(-score,3)[:3]
            h_['cos']+=hit(cos[ci].sum(0))
            h_['last']+=hit(cos[ci[-1]])
            for k in Bs: h_[k]+=hit(x@Bs[k])
        res[proto]={k:round(v/N,4) for k,v in h_.items()}
    return res
import sys
lams=[float(a) for a in sys.argv[1:]]
print('validation', run(rows[:val_start], rows[val_start:test_start], lams))
