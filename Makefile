# Entry points: `make run` (install, build, train the flagship example) and `make test`.
BUILD ?= build
JOBS ?= $(shell nproc)
BUILD_TYPE ?= Release
ARGS ?=

.PHONY: deps configure build run test bench clean

deps:
	bash scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)

run: configure
	cmake --build $(BUILD) -j$(JOBS) --target fashion_mnist
	$(BUILD)/examples/fashion_mnist $(ARGS)

test: configure
	cmake --build $(BUILD) -j$(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j$(JOBS)

bench: configure
	cmake --build $(BUILD) -j$(JOBS) --target training_throughput host_primitives estimator_throughput input_pipeline
	$(BUILD)/benchmarks/training_throughput
	$(BUILD)/benchmarks/host_primitives
	$(BUILD)/benchmarks/estimator_throughput --model cnn
	$(BUILD)/benchmarks/input_pipeline

clean:
	rm -rf $(BUILD)
