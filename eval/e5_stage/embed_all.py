import json, random, sys, time
from pathlib import Path
import os
#: Scratch folder for the vector caches and results (E5_SCRATCH, default /tmp/pileon-e5).
S = os.environ.get('E5_SCRATCH', '/tmp/pileon-e5')
from pileon.analyze.encoder import VectorCache, E5Encoder
from pileon.analyze.train import load_examples, DEFAULT_TEAM, DEFAULT_PUBLIC, e5_subset
from pileon.analyze.harness import expand_functional, foreign_cases, _all_public
R = Path(__file__).resolve().parents[2]
PART = sys.argv[1]
cache = VectorCache(Path(S + f'/e5cache_{PART}.npz'))
base = VectorCache(Path(S + '/e5cache.npz'))
def say(m): print(time.strftime('%H:%M:%S'), m, flush=True)
evals = []
for p in sorted((R/'eval/dev').glob('*.jsonl')) + sorted((R/'eval/functional').glob('*.jsonl')):
    evals += [json.loads(l)['text'] for l in p.open() if l.strip()]
evals += [c['text'] for c in expand_functional()] + [c['text'] for c in foreign_cases()]
team, public = load_examples(DEFAULT_TEAM, DEFAULT_PUBLIC, 13)
tt, pub = e5_subset(team, public, 13)
taken = {(e.source, e.text) for e in public}
rng = random.Random(13); uns = []
for s, rows in sorted(_all_public(DEFAULT_PUBLIC).items()):
    left = [e.text for e in rows if (s, e.text) not in taken]
    uns += rng.sample(left, min(200, len(left)))
enc = E5Encoder()
plan = {'A': [('eval', evals), ('team', [e.text for e in tt])],
        'B': [('unseen', uns), ('public', [e.text for e in pub]), ('team_rev', [e.text for e in tt][::-1])]}[PART]
for name, texts in plan:
    say(f'{name}: {len(texts)} texts, {len(cache.missing(texts))} missing')
    texts = base.missing(texts)
    cache.fill(texts, enc, every=100, say=say)
say('done')
