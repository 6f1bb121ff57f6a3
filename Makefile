# Every target creates .venv on first use and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench paper fuzz clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,train]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m cli.demo

test: $(STAMP)
	$(BIN)/python -m pytest

# `make bench BENCH_ARGS=--quick` for a fast check; bench/results.md holds the tables.
bench: $(STAMP)
	$(BIN)/python -m benchmark.main $(BENCH_ARGS)

# The RASP paper's training experiment: bench/paper.md and bench/paper.json.
# `make paper PAPER_ARGS="--programs reverse --seeds 0"` for one row.
paper: $(STAMP)
	$(BIN)/python -m benchmark.paper $(PAPER_ARGS)

fuzz: $(STAMP)
	$(BIN)/raspc fuzz --programs 20000 --sources 100000 --full --seed 100000 --save \
		--workers $$(nproc 2>/dev/null || echo 2)
	$(BIN)/python -m pytest -q tests/fuzz/test_fuzz_regressions.py

clean:
	rm -rf $(VENV) build *.egg-info demo_out bench/results.json
