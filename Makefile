# pybpf: the two quick-start commands are `make demo` and `make test`.
# Each creates (or reuses) .venv, installs what it needs, then runs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# oracles the tests compare against (clang-19/llvm-19/bpftool), C headers for test programs,
# QEMU and a static busybox for the fleet's test kernels (make vmtest),
# iproute2 for the network-namespace tests, prometheus for the exporter's end-to-end tests,
# bpftrace (0.17) run side by side with `pybpf trace`, chromium for the trace viewer's browser tests
DEBS   := clang-19 llvm-19 bpftool libbpf-dev iproute2 gcc prometheus bpftrace qemu-system-x86 busybox-static chromium
# peers the benchmarks run side by side: BCC (needs kernel headers to compile its probes);
# ebpfcat (PyPI) goes into the venv with `make bench`
BENCH_DEBS := python3-bpfcc linux-headers-$(shell dpkg --print-architecture 2>/dev/null || echo amd64)
STAMP  := $(VENV)/.installed

.PHONY: demo test test-quick vmtest bench fuzz lint deps bench-deps venv clean

define apt_install
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then echo "installing Debian packages:$$missing"; \
	    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing) >/tmp/pybpf-apt.log 2>&1 \
	      || { echo "apt-get failed, see /tmp/pybpf-apt.log"; exit 1; }; fi; \
	else echo "not root: skipping Debian packages ($(1))"; fi
endef

deps:
	$(call apt_install,$(DEBS))

bench-deps:
	$(call apt_install,$(DEBS) $(BENCH_DEBS))

$(STAMP): pyproject.toml setup.py $(wildcard src_c/*.c src_c/*.h src_c/pyext/*.c src_c/inline/*.h) src_c/build_native.py
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

venv: deps $(STAMP)

# the toolchain tour, then (as root) a live probe: syscalls by process for 3 seconds
demo: venv
	$(PY) examples/demo.py
	@if [ "$$(id -u)" = 0 ]; then \
	  echo; echo "== live probe: pybpf probe examples/syscount.py --duration 3"; \
	  $(PY) -m pybpf probe examples/syscount.py --duration 3; \
	else echo "(not root: skipping the live probe examples/syscount.py)"; fi

test: venv
	PYBPF_REQUIRE_KERNEL=$${PYBPF_REQUIRE_KERNEL:-1} $(PY) -m pytest -q $(PYTEST_ARGS)

# the fleet's kernels booted in QEMU (6.1, 6.12; 6.18 is the running one): every corpus and
# profile probe in one boot per kernel, against pybpf's prediction (also part of `make test`)
vmtest: venv
	PYBPF_REQUIRE_KERNEL=$${PYBPF_REQUIRE_KERNEL:-1} $(PY) -m pytest -q -s -m vmtest tests/vmtest $(PYTEST_ARGS)
# without root, apt or the kernel: everything but the tests marked `kernel` (those would skip
# with their reason; CI runs them all with `make test`)
test-quick: $(STAMP)
	$(PY) -m pytest -q -m "not kernel" $(PYTEST_ARGS)

# whole-process benchmarks must not recompile pybpf on every run
bench: bench-deps $(STAMP)
	@$(PY) -c "import ebpfcat" 2>/dev/null || $(PY) -m pip install -q ebpfcat  # the start-up peer
	@for b in benchmarks/[!_]*.py; do echo "== $$b"; env -u PYTHONDONTWRITEBYTECODE $(PY) $$b || exit 1; done

# unbounded differential campaigns (set SECONDS_PER_CAMPAIGN to change their length)
SECONDS_PER_CAMPAIGN ?= 600
fuzz: venv
	$(PY) fuzz/vm_vs_kernel.py --duration $(SECONDS_PER_CAMPAIGN)
	$(PY) fuzz/verifier_vs_kernel.py --duration $(SECONDS_PER_CAMPAIGN)
	$(PY) fuzz/elf_fuzz.py --duration $(SECONDS_PER_CAMPAIGN)
	$(PY) fuzz/btf_fuzz.py --examples 100000
	$(PY) fuzz/cli_fuzz.py --duration $(SECONDS_PER_CAMPAIGN)
	$(PY) fuzz/parsers_fuzz.py --duration $(SECONDS_PER_CAMPAIGN)
	$(PY) fuzz/asm_roundtrip.py --duration $(SECONDS_PER_CAMPAIGN)

# the documentation site (Sphinx + MyST, docs/conf.py) in docs/_build/html: warnings are errors,
# so a broken internal link or anchor, a missing image or an unreadable docstring fails it;
# the API reference is generated from every package's __all__ (docs/_ext/apiref.py).
# tests/docs/test_site.py runs the same build in `make test`.
docs: venv
	$(PY) -m sphinx -b html -W --keep-going -q -d docs/_build/doctrees docs docs/_build/html
	@echo "site: docs/_build/html/index.html"

lint: venv
	$(PY) -m ruff check pybpf tests benchmarks fuzz examples tools
	$(PY) -m mypy
	$(PY) -m pybpf.tools.importgraph --check

clean:
	rm -rf $(VENV) build *.egg-info pybpf/_native*.so pybpf/_batchdict*.so pybpf/_native.c
