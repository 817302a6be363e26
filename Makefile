# Two commands get a new user going: `make demo` and `make test`.
# Each installs into .venv first when it is missing or pyproject.toml changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ROWS ?= 5000000
AS_OF ?= 2026-11-01

.PHONY: install demo test bench bench-fit lint format clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@mkdir -p out
	$(BIN)/leadscore validate -m configs/b2b_saas.toml --data sample_data/leads.csv --as-of $(AS_OF)
	$(BIN)/leadscore score sample_data/leads.csv -m configs/b2b_saas.toml -o out/scored.csv \
		--as-of $(AS_OF) --explain --sort
	@echo "The five best leads, with the columns score adds:"
	@$(BIN)/leadscore score sample_data/leads.csv -m configs/b2b_saas.toml -o - -q \
		--as-of $(AS_OF) --explain --top 5 --columns lead_id,company,job_title

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The score benchmark runs last: its closing line is the headline ratio line.
bench: $(STAMP)
	$(BIN)/python bench/profile_bench.py --rows $(ROWS)
	$(BIN)/python bench/report_bench.py --rows $(ROWS)
	$(BIN)/python bench/sql_bench.py --rows $(ROWS)
	$(BIN)/python bench/score_bench.py --rows $(ROWS)

bench-fit: $(STAMP)
	$(BIN)/python bench/fit_bench.py

lint: $(STAMP)
	$(BIN)/ruff check leadscore_cli tests bench
	$(BIN)/ruff format --check leadscore_cli tests bench

format: $(STAMP)
	$(BIN)/ruff format leadscore_cli tests bench
	$(BIN)/ruff check --fix leadscore_cli tests bench

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .hypothesis bench/data
