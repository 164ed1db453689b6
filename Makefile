# zaitaku: two commands on a fresh machine with only python3 — `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PREF ?= 島根県

.PHONY: venv demo data test lint bench lab strip clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (zaitaku)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

## demo: synthetic survey export -> ingest -> reports for the demo prefecture
demo: venv
	$(BIN)/zaitaku demo --out data/raw/demo
	$(BIN)/zaitaku ingest data/raw/demo/demo_r3.xlsx --out data/processed
	$(BIN)/zaitaku render --prefecture $(PREF) --out reports

## test: lint + the whole pytest suite (unit, notebooks end to end, batch, browser if chromium exists)
test: venv
	$(BIN)/ruff check zaitaku tests benchmarks
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check zaitaku tests benchmarks

bench: venv
	$(BIN)/python -m benchmarks.run_bench

## lab: JupyterLab on notebooks/ (explorer.ipynb, tutorial/); --allow-root only where we run as root (containers)
lab: venv
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

strip: venv
	$(BIN)/nbstripout --extra-keys "metadata.language_info cell.metadata.execution" notebooks/*.ipynb notebooks/tutorial/*.ipynb notebooks/tutorial/solutions/*.ipynb

clean:
	rm -rf data/processed/*.parquet data/processed/*.csv data/processed/*.json reports
