"""Experiment: e5 second stage, head trained on cached e5 vectors; evaluated with/without."""
import json, random, sys, time
from pathlib import Path
import os
#: Scratch folder for the vector caches and results (E5_SCRATCH, default /tmp/pileon-e5).
S = os.environ.get('E5_SCRATCH', '/tmp/pileon-e5')
import numpy as np
from pileon.analyze.encoder import VectorCache, E5Encoder
from pileon.analyze import train as T
from pileon.analyze.harness import functional, foreign, _all_public, _judge, _team_by_round, _fit
from pileon.analyze.classify import BuiltinClassifier, E5Stage
from pileon.analyze.evaluate import read_cases, evaluate
R = Path(__file__).resolve().parents[2]
cache = VectorCache(Path(S + '/e5cache.npz'))
for part in ('A', 'B'):
    extra = VectorCache(Path(S + f'/e5cache_{part}.npz'))
    cache._rows.update(extra._rows)
cache.path = None
def say(m): print(time.strftime('%H:%M:%S'), m, file=sys.stderr, flush=True)
class CachedEncoder:
    def embed(self, texts):
        return cache.fill(texts)
team, public = T.load_examples(T.DEFAULT_TEAM, T.DEFAULT_PUBLIC, 13)
tt, pub = T.e5_subset(team, public, 13, team_cap=20000, public_cap=20000)
tt = [e for e in tt if not cache.missing([e.text])]
pub = [e for e in pub if not cache.missing([e.text])]
say(f'cached: team {len(tt)} public {len(pub)}')
head, oof = T.train_e5_head(tt, pub, cache, folds=5)
alphas = [float(a) for a in sys.argv[1].split(',')] if len(sys.argv) > 1 else [0.0, 0.5, 1.0]
budget = sys.argv[2] if len(sys.argv) > 2 else 'all'
dev = []
for p in sorted((R/'eval/dev').glob('*.jsonl')): dev += read_cases(p)
fun = []
for p in sorted((R/'eval/functional').glob('*.jsonl')): fun += read_cases(p)
taken = {(e.source, e.text) for e in public}
rng = random.Random(13); uns = {}
for s, rows in sorted(_all_public(T.DEFAULT_PUBLIC).items()):
    left = [e for e in rows if (s, e.text) not in taken]
    if len(left) >= 50:
        uns[s] = rng.sample(left, min(200, len(left)))
out = {}
for a in alphas:
    clf = BuiltinClassifier(); clf._load()
    h = T.EmbeddingHead(C=head.C, alpha=a); h.coef_, h.intercept_, h.thresholds_ = head.coef_, head.intercept_, head.thresholds_
    clf.e5 = E5Stage(h, f'x{a}', encoder=CachedEncoder(), budget=budget if a > 0 else 'off')
    m, meta = clf._loaded; clf._loaded = (m, {**meta, 'version': f"{meta['version']}+x{a}{budget}"})
    r = {}
    f = functional(clf.classify)
    r['functional'] = {k: {kk: vv for kk, vv in v.items() if kk != 'per_functionality'} for k, v in f.items()}
    r['per_functionality_en'] = f['en']['per_functionality']
    fo = foreign(clf.classify); r['foreign'] = {k: fo[k] for k in ('und', 'any_label')}
    d = evaluate(dev, clf.classify); r['dev_macro_f1'] = d['macro_f1']; r['dev_per_language'] = {k: round(v['macro_f1'], 3) for k, v in d['per_language'].items()} if isinstance(next(iter(d['per_language'].values())), dict) else d['per_language']
    r['dev_supportive_recall'] = d.get('supportive_recall')
    fb = evaluate(fun, clf.classify); r['team_functional_binary_acc'] = fb['binary']['accuracy']
    r['unseen'] = {s: _judge(clf.classify, rows) for s, rows in uns.items()}
    r['e5_used'] = clf.e5.used
    out[str(a)] = r
    say(f'alpha {a}: ' + json.dumps({k: r[k] for k in ('functional', 'foreign', 'dev_macro_f1', 'team_functional_binary_acc', 'e5_used')}))
    say('   unseen: ' + json.dumps({s: {k: v for k, v in u.items() if k in ('macro_f1', 'recall', 'abusive_as_supportive', 'supportive_recall', 'flagged_abusive')} for s, u in r['unseen'].items()}))
Path(S + f'/exp_{budget}_{sys.argv[1]}.json').write_text(json.dumps(out, indent=1))
head.save(Path(S + '/headdir'), {'rows_team': len(tt), 'rows_public': len(pub)}, stem='e5head')

# ---- cross-writer rounds: n-gram fitted on rounds < 5 (fit_rounds.py), head on cached rows of rounds < 5
if Path(S + '/rounds_model/weights.npz').is_file():
    from pileon.records import ABUSIVE_LABELS
    rnd = {e.text: r for r, e in _team_by_round(T.DEFAULT_TEAM)}
    early = [e for e in tt if rnd.get(e.text, 0) < 5]
    late = [e for e in tt if rnd.get(e.text, 0) >= 5]
    say(f'rounds: head on {len(early)} early team rows + {len(pub)} public; judging {len(late)} late rows')
    rhead, _ = T.train_e5_head(early, pub, cache, folds=5)
    rout = {}
    for a in alphas:
        clf = BuiltinClassifier(Path(S + '/rounds_model')); clf._load()
        h = T.EmbeddingHead(C=rhead.C, alpha=a); h.coef_, h.intercept_, h.thresholds_ = rhead.coef_, rhead.intercept_, rhead.thresholds_
        clf.e5 = E5Stage(h, f'r{a}', encoder=CachedEncoder(), budget=budget if a > 0 else 'off')
        m, meta = clf._loaded; clf._loaded = (m, {**meta, 'version': f"{meta['version']}+r{a}{budget}"})
        res = {}
        for r in (5, 6, 7):
            rows = [e for e in late if rnd[e.text] == r]
            res[f'extra{r}'] = {k: v for k, v in _judge(clf.classify, rows).items() if not isinstance(v, dict)}
            rl = {}
            out_r = clf.classify([e.text for e in rows])
            for e, o in zip(rows, out_r):
                rl.setdefault(e.lang, []).append(bool(e.labels & ABUSIVE_LABELS) == bool(set(o.labels) & ABUSIVE_LABELS))
            res[f'extra{r}']['per_lang_acc'] = {k: round(sum(v)/len(v), 3) for k, v in sorted(rl.items())}
        rout[str(a)] = res
        say(f'rounds alpha {a}: ' + json.dumps(res))
    Path(S + f'/exp_rounds_{budget}_{sys.argv[1]}.json').write_text(json.dumps(rout, indent=1))
