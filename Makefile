# zaitaku: two commands on a fresh machine with only python3 — `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PREF ?= 島根県

.PHONY: venv lock test-latest demo data test test-fast lint mypy tutorials bench bench-national lab strip clean

LOCK := requirements.lock
LATEST := .venv-latest

# The venv installs the exact versions and hashes of the lock file (made by `make lock` from pyproject.toml's
# ranges), then zaitaku itself without dependencies: every machine gets the versions the tests ran on.
$(STAMP): pyproject.toml $(LOCK)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (zaitaku)" >/dev/null
	touch $(STAMP)

venv: $(STAMP)

## lock: refresh requirements.lock from pyproject.toml (keeps the pinned versions that still fit; UPGRADE=1 takes the newest in range)
lock: venv
	$(BIN)/uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.10 \
	  $(if $(UPGRADE),--upgrade) --quiet -o $(LOCK)

## test-latest: the newest versions pyproject.toml's ranges allow, in a separate venv (.venv-latest), then the fast suite
## (TESTS="..." for other pytest arguments); the versions it used are in .venv-latest/versions.txt
TESTS ?= -m "not slow and not browser" -q --deselect tests/test_install.py::test_this_environment_runs_the_locked_versions
test-latest: venv
	rm -rf $(LATEST)
	$(BIN)/uv venv --quiet --python $(PY) $(LATEST)
	$(BIN)/uv pip install --quiet --python $(LATEST)/bin/python --upgrade -e '.[dev]'
	$(BIN)/uv pip freeze --python $(LATEST)/bin/python > $(LATEST)/versions.txt
	$(LATEST)/bin/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (zaitaku, latest)" >/dev/null
	$(LATEST)/bin/ruff check zaitaku tests benchmarks scripts
	$(LATEST)/bin/mypy
	$(LATEST)/bin/python -m pytest $(TESTS)

## demo: synthetic survey export -> ingest -> reports for the demo prefecture
demo: venv
	-$(BIN)/python -m zaitaku.explore.workspace --install-filter
	$(BIN)/zaitaku demo --out data/raw/demo --years R3,R4
	$(BIN)/zaitaku ingest data/raw/demo/demo_r3.xlsx --out data/processed
	$(BIN)/zaitaku ingest data/raw/demo/demo_r4.xlsx --year R4 --out data/processed
	$(BIN)/zaitaku render --prefecture $(PREF) --formats html,pptx --out reports
	$(BIN)/zaitaku render --year R4 --prefecture $(PREF) --formats html,pptx --out reports

## test: ruff + mypy + the whole pytest suite (unit, notebooks end to end, batch, browser if chromium exists)
test: lint mypy
	$(BIN)/python -m pytest

## test-fast: the pytest suite without notebook, kernel, batch and browser runs (markers slow/browser); < 2 min
test-fast: venv
	$(BIN)/python -m pytest -m "not slow and not browser" -q

lint: venv
	$(BIN)/ruff check zaitaku tests benchmarks scripts

## mypy: type check of zaitaku/ (settings in pyproject.toml)
mypy: venv
	$(BIN)/mypy

## tutorials: the workshop notebooks (notebooks/workshop/, answers in workshop/solutions/) from notebooks/tutorial/
tutorials: venv
	$(BIN)/python -m zaitaku.explore.tutorials --out notebooks/workshop

## bench: the ways of rendering side by side, sample prefectures against the floor, chart costs (benchmarks/results/<date>.json); then one warm worker report by report against the floor (steady-<date>.json)
bench: venv
	$(BIN)/python -m benchmarks.run_bench
	$(BIN)/python -m benchmarks.bench_steady

## lab: copies of the notebooks in lab/ (ignored by git; existing copies kept), then JupyterLab on the project at lab/
## (reports/ opens from the file browser with working links); --allow-root only where we run as root (containers)
lab: tutorials
	$(BIN)/python -m zaitaku.explore.workspace
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) --LabApp.default_url=/lab/tree/lab $(if $(filter 0,$(shell id -u)),--allow-root)

strip: venv
	$(BIN)/nbstripout --keep-id --extra-keys "$$($(BIN)/python -c 'from zaitaku.explore.workspace import EXTRA_KEYS; print(EXTRA_KEYS)')" notebooks/*.ipynb notebooks/tutorial/*.ipynb

clean:
	rm -rf data/processed/*.parquet data/processed/*.csv data/processed/*.json reports

## bench-national: all 7,152 reports with 2 workers (HTML, then HTML and 1,788 decks), the measured times in benchmarks/results/<date>-national*.json (about 45 min on 2 cores; not in CI)
bench-national: venv
	$(BIN)/python -m benchmarks.run_bench --national
	$(BIN)/python -m benchmarks.run_bench --national --formats html,pptx
