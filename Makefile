# Every target creates .venv on first use and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast bench paper programs-table fuzz interchange clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,plots,browser]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m cli.demo

# Every test, on two workers (pytest-xdist): what CI runs (.ci/run).
test: $(STAMP)
	$(BIN)/python -m pytest -n 2

# A quick answer while developing: the tests not marked slow, up to the first failure.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow" -x

# `make bench BENCH_ARGS=--quick` for a fast check; writes the repository's bench/
# (results.json, results.md with the tables, plots), which git ignores.
bench: $(STAMP)
	$(BIN)/python -m benchmark.main --out $(CURDIR)/bench $(BENCH_ARGS)

# Compiles and checks every bundled program and rewrites the table in programs/README.md.
programs-table: $(STAMP)
	$(BIN)/python scripts/programs_table.py --write

# The RASP paper's training experiment: bench/paper.md and bench/paper.json.
# `make paper PAPER_ARGS="--programs reverse --seeds 0"` for one row.
paper: $(STAMP)
	$(BIN)/python -m cli.paper $(PAPER_ARGS)

# Every program through the dense and the packed pass, 500 of each larger size; the
# packed pass compiles once per model (about a second), so this takes hours on two
# cores: `make fuzz FUZZ_ARGS="--packed-every 4"` checks a quarter through it.
# Findings are saved into tests/regressions/, which the last line then runs.
fuzz: $(STAMP)
	$(BIN)/raspc fuzz --programs 20000 --sources 100000 --full --seed 100000 --save-regressions \
		--workers $$(nproc 2>/dev/null || echo 2) $(FUZZ_ARGS)
	$(BIN)/python -m pytest -q tests/fuzz/test_fuzz_regressions.py

# raspc's cache against TransformerLens's run_with_cache on every bundled program, in
# an environment of its own (torch is large, and `make test` does not need it).
# `make interchange TRANSFORMER_LENS=4.3.0` checks the 4.x loading path instead.
TL_VENV ?= .venv-transformer-lens
TORCH ?= 2.13.0
TRANSFORMER_LENS ?= 3.9.0

interchange:
	test -d $(TL_VENV) || $(PYTHON) -m venv $(TL_VENV)
	$(TL_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TL_VENV)/bin/python -m pip install --quiet -e '.[dev]' torch==$(TORCH) transformer_lens==$(TRANSFORMER_LENS)
	$(TL_VENV)/bin/python -m pytest -q -p no:cacheprovider tests/runtime/test_transformer_lens.py

clean:
	rm -rf $(VENV) $(TL_VENV) build *.egg-info demo_out bench/results.json
