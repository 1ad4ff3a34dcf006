# Two commands matter: `make run` (app on http://localhost:8501 with demo data) and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
DB ?=
SCALE ?= province
PORT ?= 8501
HOST ?= 127.0.0.1

.PHONY: install run test test-fast test-stress screenshots bench bench-load lint clean wheelhouse

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(PY) -m dashboard init
	$(PY) -m dashboard demo --if-empty
	$(PY) -m streamlit run dashboard/app.py --server.port $(PORT) --server.address $(HOST) --server.headless true

# two runs side by side: the browser tests in one process (each visit a real server and Chromium, mostly waiting),
# and everything else on two workers under `nice`, so that it takes only the CPU the browser tests leave and their
# visits keep their speed; the browser run's output goes to build/test-browser.log and is printed when both end
test: install
	@mkdir -p build
	@$(PY) -m pytest -q -p no:xdist -m browser > build/test-browser.log 2>&1 & browser=$$!; \
	nice -n 10 $(PY) -m pytest -q -n 2 --dist loadgroup -m "not browser"; rest_rc=$$?; \
	echo "waiting for the browser tests (build/test-browser.log) …"; wait $$browser; browser_rc=$$?; \
	echo "── the browser tests, run beside the rest ──"; cat build/test-browser.log; \
	test $$rest_rc -eq 0 && test $$browser_rc -eq 0

test-fast: install
	$(PY) -m pytest -q -m "not browser"

# the browser tests STRESS_RUNS times in a row while a busy loop keeps one core at 100 %; stops at the first
# failing run and says which run it was (the busy loop is this target's own process, killed on exit)
STRESS_RUNS ?= 20
test-stress: install
	@$(PY) -c 'while True: pass' & busy=$$!; trap 'kill $$busy' EXIT INT TERM; \
	for i in $$(seq 1 $(STRESS_RUNS)); do \
	  if $(PY) -m pytest -q -p no:xdist -p no:cacheprovider -x tests/browser; then \
	    echo "test-stress: run $$i of $(STRESS_RUNS) passed"; \
	  else \
	    echo "test-stress: run $$i of $(STRESS_RUNS) FAILED (runs before it passed)"; exit 1; \
	  fi; \
	done; \
	echo "test-stress: all $(STRESS_RUNS) runs passed with one core kept busy"

# the only target that writes docs/screenshots/ (ordinary test runs save their screenshots under a temp dir)
screenshots: install
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest -q -p no:xdist tests/browser -k "test_page_renders_with_charts or test_screen_mode or test_lights_and_grades_keep_apart_without_colour or test_no_toolbar_on_a_phone"

bench: install
	$(PY) -m bench --scale $(SCALE) $(if $(DB),--db $(DB),)

# the protocol load alone (bench/loadclient.py), with the sweep of session counts behind sessions_max_within_3x
LOAD_SWEEP ?= 1,5,10,20,30,50
bench-load: install
	$(PY) -m bench --scale $(SCALE) $(if $(DB),--db $(DB),) --skip import --skip fresh --skip pages --skip browser \
	  --skip naive --skip documents --load-sweep $(LOAD_SWEEP)

lint: install
	$(PY) -m ruff check dashboard data_loaders pages tests bench

# every Python package the app needs, pinned to .venv's versions and hashed, in wheelhouse/ for an offline
# install (docs/install-offline.md); EXTRAS=dm (or dm,opengauss once installed in .venv) adds a database's extra
EXTRAS ?=
wheelhouse: install
	$(PY) scripts/wheelhouse.py --out wheelhouse $(if $(EXTRAS),--extra $(EXTRAS),)

clean:
	rm -rf $(VENV) data/*.db
