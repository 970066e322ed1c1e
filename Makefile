# tf_dynemb: `make demo` and `make test` do all set-up on a fresh machine.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BAZEL ?= bazel
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
OPS_TARGETS := //ops:_tf_dynemb_ops.so //ops:build_info

NVCC ?= nvcc
CUDA_ARCH_FLAGS := -gencode arch=compute_80,code=sm_80 -gencode arch=compute_90,code=sm_90 \
	-gencode arch=compute_90,code=compute_90
NVCC_FLAGS := -std=c++17 -O3 -I. --expt-relaxed-constexpr --extended-lambda $(CUDA_ARCH_FLAGS)
CORE_SRCS := $(filter-out %_test.cc,$(wildcard ops/core/*.cc))
CORE_HDRS := $(wildcard ops/core/*.h ops/core/gpu/*.h)

.PHONY: build test demo bench bench-smoke gpu gpu-test gpu-harness gpu-check wheel clean cc-loader \
	fuzz fuzz-coverage

build: $(VENV)/.installed
	@command -v $(BAZEL) >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq bazel-bootstrap; }
	./configure $(PY)
	$(BAZEL) build $(OPS_TARGETS)
	install -m 0644 bazel-bin/ops/_tf_dynemb_ops.so bazel-bin/ops/_tf_dynemb_ops.json tf_dynemb/

# The venv holds the package and its base dependencies: all that `build`
# needs. `demo` (serving: the warmup requests), `test`, `bench` and `wheel` add
# their extras on top, each with a stamp of its own.
$(VENV)/.installed: pyproject.toml setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-%: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[$*]'
	touch $@

test: build cc-loader $(VENV)/.installed-test
	@test -f /usr/include/gtest/gtest.h || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq libgtest-dev; }
	$(BAZEL) test //ops:core_test //export/cc:strings_file_test
	$(PY) -m pytest -q tests

# TensorFlow's C++ SavedModel loader outside Python (export/cc): one runner
# with //ops:ops_lib linked in (fused flavor), one with the stock op set.
cc-loader: build
	$(BAZEL) build //export/cc:saved_model_runner_fused //export/cc:saved_model_runner_portable

DEMO_DIR := export_out
DEMO_SENTENCES := "Encode the object as JSON." "Reconnecting sockets unexpectedly." \
	"Joinable threadlets in 東京 🙂" ""

# The main job end to end: train a model on raw strings from the bundled text,
# export the whole model in both flavors, then query each export in a fresh
# process (which reads its flavor from the export) and through TensorFlow's
# C++ loader, as tensorflow_model_server would load it.
demo: build cc-loader $(VENV)/.installed-serving
	rm -rf $(DEMO_DIR)
	$(PY) examples/demo.py --output_dir=$(DEMO_DIR) 2> $(DEMO_DIR).log || { cat $(DEMO_DIR).log; exit 1; }
	$(VENV)/bin/tf-dynemb query --saved_model=$(DEMO_DIR)/portable/1 $(DEMO_SENTENCES) 2>> $(DEMO_DIR).log
	$(VENV)/bin/tf-dynemb query --saved_model=$(DEMO_DIR)/fused/1 $(DEMO_SENTENCES) 2>> $(DEMO_DIR).log
	printf '%s\n' $(DEMO_SENTENCES) > $(DEMO_DIR)/sentences.txt
	for flavor in portable fused; do echo "C++ loader, $$flavor flavor:"; \
		bazel-bin/export/cc/saved_model_runner_$$flavor --saved_model=$(DEMO_DIR)/$$flavor/1 \
		--inputs=$(DEMO_DIR)/sentences.txt 2>> $(DEMO_DIR).log | $(PY) -c \
		'import json,sys; o=json.load(sys.stdin)["serving_default"]["output_0"]; n=o["shape"][1]; \
		[print("  output_0=[" + ", ".join(f"{x:.4f}" for x in o["values"][i:i + n]) + "]") \
		 for i in range(0, len(o["values"]), n)]' || exit 1; done

# bench/ reads BERT's WordPiece vocabulary from the `blingfire` package (the
# bench extra). The two headline benchmarks at their default sizes (minutes each; the first
# train_bench run learns its vocabularies, about 7 minutes, cached in build/).
bench: build $(VENV)/.installed-bench
	mkdir -p build
	$(PY) bench/lookup_bench.py --output=build/lookup_bench.md
	$(PY) bench/train_bench.py --output=build/train_bench.md

# Every benchmark at tiny sizes (--smoke: the same code paths, seconds each),
# and the TF-free core benchmark built by Bazel: a check that each still runs.
# Logs in build/bench_smoke/.
BENCH_SMOKE := build/bench_smoke
bench-smoke: build cc-loader $(VENV)/.installed-bench
	$(BAZEL) build //bench:core_bench
	mkdir -p $(BENCH_SMOKE)
	$(PY) bench/bench_data.py $(BENCH_SMOKE)/data
	CORE_BENCH_RUNS=1 bazel-bin/bench/core_bench $(BENCH_SMOKE)/data 8 1024 \
		> $(BENCH_SMOKE)/core_bench.log
	for script in $(wildcard bench/*_bench.py); do \
		log=$(BENCH_SMOKE)/$$(basename $$script .py).log; start=$$(date +%s); \
		$(PY) $$script --smoke > $$log 2>&1 || { tail -n 30 $$log; exit 1; }; \
		echo "$$script --smoke: $$(( $$(date +%s) - start )) s"; done

# Builds every GPU target with nvcc and installs the CUDA-enabled op library
# (it holds the CPU kernels too). CI runs this on machines without a GPU, so
# the GPU code always compiles.
gpu: $(VENV)/.installed
	@command -v $(BAZEL) >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq bazel-bootstrap; }
	./configure $(PY)
	$(BAZEL) build $(OPS_TARGETS) //ops:_tf_dynemb_ops_gpu.so //ops:gpu_harness //ops:sparse_apply_harness
	install -m 0644 bazel-bin/ops/_tf_dynemb_ops_gpu.so tf_dynemb/_tf_dynemb_ops.so
	install -m 0644 bazel-bin/ops/_tf_dynemb_ops.json tf_dynemb/

# tests/test_gpu.py against the CUDA-enabled library that `make gpu`
# installs (`make test` reinstalls the CPU one, so there it always skips).
# Fails where TensorFlow sees no GPU rather than skipping.
gpu-test: gpu
	$(PY) -c 'import sys, tensorflow as tf; tf.config.list_physical_devices("GPU") or \
		sys.exit("make gpu-test: TensorFlow sees no GPU here; tests/test_gpu.py would skip")'
	$(PY) -m pytest -q -rs tests/test_gpu.py

# The platform wheel, in dist/: every package under tf_dynemb/, the assets and
# the op library last installed (`make build`: CPU; `make gpu`: CPU + CUDA),
# tagged manylinux for this Python; it requires the TensorFlow it was built
# against.
wheel: $(VENV)/.installed-wheel
	test -f tf_dynemb/_tf_dynemb_ops.so || $(MAKE) build
	$(PY) scripts/build_wheel.py --output_dir=dist

# The GPU harness needs only nvcc and a C++ compiler (no Bazel, no TensorFlow).
build/gpu_harness: ops/core/gpu/gpu_harness.cu.cc ops/core/gpu/embed_gpu.cu.cc $(CORE_SRCS) $(CORE_HDRS)
	mkdir -p build
	$(NVCC) $(NVCC_FLAGS) -x cu -c ops/core/gpu/embed_gpu.cu.cc -o build/embed_gpu.o
	$(NVCC) $(NVCC_FLAGS) -x cu -c ops/core/gpu/gpu_harness.cu.cc -o build/gpu_harness.o
	$(NVCC) $(NVCC_FLAGS) build/embed_gpu.o build/gpu_harness.o $(CORE_SRCS) -o $@

build/text_words.txt: tf_dynemb/sample_text.py scripts/sample_words.py
	mkdir -p build
	python3 scripts/sample_words.py > $@

HARNESS_ARGS := tf_dynemb/assets/default_wordpiece.txt tf_dynemb/assets/default_words.txt \
	build/text_words.txt

build/sparse_apply_harness: ops/core/gpu/sparse_apply_harness.cu.cc ops/core/gpu/sparse_apply_gpu.cu.cc $(CORE_HDRS)
	mkdir -p build
	$(NVCC) $(NVCC_FLAGS) -x cu -c ops/core/gpu/sparse_apply_gpu.cu.cc -o build/sparse_apply_gpu.o
	$(NVCC) $(NVCC_FLAGS) -x cu -c ops/core/gpu/sparse_apply_harness.cu.cc -o build/sparse_apply_harness.o
	$(NVCC) $(NVCC_FLAGS) build/sparse_apply_gpu.o build/sparse_apply_harness.o -o $@

# Every CUDA kernel against the CPU core, without TensorFlow: the lookup and
# segmentation (LookupWithRows' kernel) in gpu_harness, both sparse-apply
# rules in sparse_apply_harness; then their timings against the copy bound.
gpu-harness: build/gpu_harness build/sparse_apply_harness build/text_words.txt
	build/gpu_harness $(HARNESS_ARGS) $(or $(REPORT),build/gpu_harness.md)
	build/sparse_apply_harness $(or $(SPARSE_REPORT),build/sparse_apply_harness.md)

gpu-check: build/gpu_harness build/sparse_apply_harness build/text_words.txt
	compute-sanitizer --tool memcheck --error-exitcode 3 build/gpu_harness --check-only $(HARNESS_ARGS)
	compute-sanitizer --tool memcheck --error-exitcode 3 build/sparse_apply_harness --check-only

# libFuzzer over the TF-free core with AddressSanitizer and UBSan. Seeds are
# valid models written by build_model; findings land in build/fuzz/.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -std=c++17 -O1 -g -I. -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined
build/fuzz/core_fuzzer: ops/fuzz/core_fuzzer.cc $(CORE_SRCS) $(CORE_HDRS)
	@command -v clang++ >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y -qq clang; }
	mkdir -p build/fuzz
	clang++ $(FUZZ_FLAGS) ops/fuzz/core_fuzzer.cc $(CORE_SRCS) -o $@

fuzz: build build/fuzz/core_fuzzer
	rm -rf build/fuzz/seeds && $(PY) ops/fuzz/make_seeds.py build/fuzz/seeds
	mkdir -p build/fuzz/corpus
	cd build/fuzz && ./core_fuzzer -max_total_time=$(FUZZ_SECONDS) -max_len=8192 \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 corpus seeds

# Line coverage of the core by the fuzz corpus (after `make fuzz`).
build/fuzz/core_fuzzer_cov: ops/fuzz/core_fuzzer.cc $(CORE_SRCS) $(CORE_HDRS)
	clang++ -std=c++17 -O1 -I. -fsanitize=fuzzer -fprofile-instr-generate \
		-fcoverage-mapping ops/fuzz/core_fuzzer.cc $(CORE_SRCS) -o $@

fuzz-coverage: build/fuzz/core_fuzzer_cov
	cd build/fuzz && LLVM_PROFILE_FILE=cov.profraw ./core_fuzzer_cov -runs=0 corpus seeds
	llvm-profdata merge -sparse build/fuzz/cov.profraw -o build/fuzz/cov.profdata
	llvm-cov report build/fuzz/core_fuzzer_cov -instr-profile=build/fuzz/cov.profdata \
		$(CORE_SRCS) ops/core/model_format.h ops/core/segmenter.h ops/core/pooling.h \
		ops/core/fingerprint64.h

clean:
	$(BAZEL) clean
	rm -rf $(VENV) build dist $(DEMO_DIR) $(DEMO_DIR).log tf_dynemb/_tf_dynemb_ops.so tf_dynemb/_tf_dynemb_ops.json
