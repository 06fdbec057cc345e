import time, sys
from pathlib import Path
import os
#: Scratch folder for the vector caches and results (E5_SCRATCH, default /tmp/pileon-e5).
S = os.environ.get('E5_SCRATCH', '/tmp/pileon-e5')
from pileon.analyze import train as T
from pileon.analyze.harness import _team_by_round, _fit, _FIRST_HELD_ROUND
from pileon.analyze.classify import BuiltinClassifier
ref = BuiltinClassifier(); ref._load()
tagged = _team_by_round(T.DEFAULT_TEAM)
_, sampled = T.load_examples(T.DEFAULT_TEAM, T.DEFAULT_PUBLIC, 13)
fit = [e for r, e in tagged if r < _FIRST_HELD_ROUND]
t = time.time()
clf = _fit(fit + sampled, ref, 13)
print('fit s', time.time() - t, file=sys.stderr)
m, meta = clf._loaded
m.save(Path(S + '/rounds_model'), {k: v for k, v in meta.items() if k != 'version'})
