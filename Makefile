# Interest Lens: one entry point for people and CI.
VENV      := .venv
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
MAP_STAMP := $(VENV)/.map-kernels
PORT      ?= 8501
export PYTHONHASHSEED := 0
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: install run test test-slow lint format bench browser-deps screenshots sample-data clean

install: $(STAMP) $(MAP_STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt -r requirements-dev.txt
	touch $(STAMP)

## UMAP's numba kernels compile once per installation (30-60 s): a tiny fit puts them in numba's
## disk cache now (core/segment/projection.py: $$NUMBA_CACHE_DIR, else the user cache dir), so the
## first map on a fresh machine loads them instead. Runs again only after a (re)install.
$(MAP_STAMP): $(STAMP)
	$(PY) -c "from core.segment.projection import warm_up; print(f'UMAP kernels compiled and cached ({warm_up():.0f} s)')"
	touch $(MAP_STAMP)

## Start the dashboard (sample data is one click away on the Data page).
run: install
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

## Debian's chromium and CJK/emoji fonts for the real-browser tests (Playwright cannot download browsers here).
BROWSER_PKGS := chromium fonts-noto-cjk fonts-noto-color-emoji
browser-deps:
	@if ! dpkg -s $(BROWSER_PKGS) >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PKGS) >/dev/null; \
	  else echo "missing: sudo apt-get install -y $(BROWSER_PKGS) (browser tests will be skipped)"; fi; \
	fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy core

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## Lint + every test that is not marked slow (the real default model and the browser test included).
test: install browser-deps lint
	$(PY) -m pytest -m "not slow" -q

## The slow suite: full shared datasets.
test-slow: install
	$(PY) -m pytest -m slow -q

bench: install
	$(PY) bench/run_all.py

screenshots: install browser-deps
	$(PY) tools/screenshots.py

sample-data: install
	$(PY) sample_data/generate.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
