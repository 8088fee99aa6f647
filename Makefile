# pybpf: the two quick-start commands are `make demo` and `make test`.
# Each creates (or reuses) .venv, installs what it needs, then runs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
DEBS   := clang-19 llvm-19 bpftool libbpf-dev python3-bpfcc iproute2
STAMP  := $(VENV)/.installed

.PHONY: demo test bench lint deps venv clean

# Debian oracles and peers (only as root, only when something is missing).
deps:
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing) >/tmp/pybpf-apt.log 2>&1 \
	      || { echo "apt-get failed, see /tmp/pybpf-apt.log"; exit 1; }; fi; \
	else echo "not root: skipping Debian packages ($(DEBS))"; fi

$(STAMP): pyproject.toml setup.py $(wildcard src_c/*.c src_c/*.h) src_c/build_native.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

venv: deps $(STAMP)

demo: venv
	$(PY) examples/demo.py

test: venv
	PYBPF_REQUIRE_KERNEL=$${PYBPF_REQUIRE_KERNEL:-1} $(PY) -m pytest -q $(PYTEST_ARGS)

bench: venv
	@for b in benchmarks/[!_]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: venv
	$(PY) -m ruff check pybpf tests benchmarks fuzz examples

clean:
	rm -rf $(VENV) build *.egg-info pybpf/_native*.so
