# ワガママLab — the two commands of a fresh machine are `make start` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
APT_PACKAGES := chromium fonts-noto-cjk fonts-noto-color-emoji postgresql bubblewrap sudo
# Node.js and npm come from Debian only when the machine has none (another nodejs package may own them).
MISSING_APT = $$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; command -v npm >/dev/null || echo nodejs npm)
NPM_STAMP := node_modules/.installed-stamp

.PHONY: start demo test lint bench system-deps check-system-deps venv clean

venv: $(STAMP)

# .venv is created on first use and refreshed when pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -c "from wagamama.japanese_errors import install; install()"  # Japanese error explanations in kernels
	@touch $@

## The platform on this machine: JupyterLab in Japanese on 127.0.0.1 with a demo cohort
## (`make start COHORT=oyama-2026a` serves that cohort's formgrader instead).
COHORT ?= demo
start: $(STAMP)
	$(BIN)/wagamama start $(COHORT)

## A whole cohort, headless, with a summary table (`make demo PROGRAM=kyoryokutai` or PROGRAM=sip: that track's cohort).
PROGRAM ?= wagamama-lab
demo: $(STAMP)
	$(BIN)/wagamama demo --program $(PROGRAM)

## The whole test suite (installs system packages first when run as root, as in CI).
test: $(STAMP) check-system-deps
	$(BIN)/python -m pytest -ra $(PYTEST_ARGS)

lint: $(STAMP) $(NPM_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m wagamama.japanese_lint

# Grading speed: plain nbgrader, wagamama autograde (sandbox on and off) and the bare floor, then
# how the time grows up to 200 submissions x 3 notebooks. About 20 minutes on 2 cores.
bench: $(STAMP)
	$(BIN)/python bench/autograde_bench.py --submissions 40 --repeat 3 --scale 50,100,200 --notebooks 3

# Debian packages and npm tools the tests and the platform need.
system-deps:
	@missing="$(MISSING_APT)"; \
	if [ -n "$$missing" ]; then \
	  echo "apt-get install $$missing"; \
	  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
	$(MAKE) $(NPM_STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Run system-deps when we may (root); otherwise say what is missing and how to install it.
check-system-deps:
	@if [ "$$(id -u)" = 0 ]; then $(MAKE) --no-print-directory system-deps; \
	else \
	  missing="$(MISSING_APT)"; \
	  if [ -n "$$missing" ] || [ ! -e $(NPM_STAMP) ]; then \
	    echo "システムのパッケージが足りません（missing system packages）: $$missing $$( [ -e $(NPM_STAMP) ] || echo 'npm: textlint')"; \
	    echo "  → sudo make system-deps  を実行してください。足りないものを使うテストは、その方法を示して skip します。"; \
	  fi; \
	fi

clean:
	rm -rf $(VENV) node_modules var
