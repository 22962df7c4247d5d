#!/usr/bin/env python3
# The basket-completion regression (EASE) alone on Groceries: validation slice (the newest 15 % of the training part) and
# test slice (the newest 20 %, as eval splits the file), random-item protocol, against popularity, basket cosine and
# basket counts; needs numpy (apt-get install python3-numpy). Usage, from the repository root:
#   /usr/bin/python3 bench/results/ease-alone-groceries-20261202.py
# Hidden items are drawn by Python's random (seed 42), not by the engine's hash: compare the rows with each other.
import numpy as np, random, sys
rows=[ [x for x in dict.fromkeys(l.strip().split(',')) if x] for l in open('../shared/data/groceries.csv')]
rows=[r for r in rows if r]
n=len(rows); test_start=int(round(n*0.8)); val_start=int(round(test_start*0.85))
def run(train, evalb, lams, seed=42):
    items=sorted({i for r in train for i in r}); idx={s:k for k,s in enumerate(items)}; m=len(items)
    X=np.zeros((len(train),m))
    for b,r in enumerate(train):
        for s in r: X[b,idx[s]]=1
    G=X.T@X; w=np.diag(G).copy()
    cos=G/np.sqrt(np.outer(w,w)+1e-12); np.fill_diagonal(cos,0)
    Bs={}
    for lam in lams:
        P=np.linalg.inv(G+lam*np.eye(m)); B=-P/np.diag(P); np.fill_diagonal(B,0); Bs[lam]=B
    rnd=random.Random(seed); res={'pop':0,'cos':0,'cnt':0}; res.update({('ease',l):0 for l in lams}); N=0
    for r in evalb:
        r=[s for s in r]
        if len(r)<3: continue
        h=r[rnd.randrange(len(r))]; cart=[s for s in r if s!=h and s in idx]
        N+=1
        if h not in idx: continue
        ci=[idx[s] for s in cart]; x=np.zeros(m); x[ci]=1
        def hit(score):
            score=score.copy(); score[ci]=-1e18
            top=np.argpartition(-score,3)[:3]
            return idx[h] in top
        res['pop']+=hit(w.astype(float))
        res['cos']+=hit(cos[ci].sum(0))
        g=G.copy(); np.fill_diagonal(g,0); res['cnt']+=hit(g[ci].sum(0))
        for l in lams: res[('ease',l)]+=hit(x@Bs[l])
    return N,{k:round(v/N,4) for k,v in res.items()}
lams=[1,5,20,50,100,300,1000]
print('validation', run(rows[:val_start], rows[val_start:test_start], lams))
print('test', run(rows[:test_start], rows[test_start:], lams))
