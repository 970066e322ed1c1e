# tf_dynemb: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BAZEL ?= bazel
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
OPS_TARGETS := //ops:_tf_dynemb_ops.so //ops:build_info

.PHONY: build test demo bench clean

build: $(VENV)/.installed
	@command -v $(BAZEL) >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq bazel-bootstrap; }
	./configure $(PY)
	$(BAZEL) build $(OPS_TARGETS)
	install -m 0644 bazel-bin/ops/_tf_dynemb_ops.so bazel-bin/ops/_tf_dynemb_ops.json tf_dynemb/

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

test: build
	@test -f /usr/include/gtest/gtest.h || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq libgtest-dev; }
	$(BAZEL) test //ops:core_test
	$(PY) -m pytest -q tests

demo: build
	$(PY) -m tf_dynemb.demo

bench: build
	$(PY) bench/lookup_bench.py

clean:
	$(BAZEL) clean
	rm -rf $(VENV) tf_dynemb/_tf_dynemb_ops.so tf_dynemb/_tf_dynemb_ops.json
