# The two commands a user needs: `make run` and `make test`. Everything else is here for developers.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
LISTEN ?= 127.0.0.1:8080
JOBS ?= $(shell nproc)

.PHONY: all setup configure build run test bench compat clean format

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja: | setup
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

configure: setup $(BUILD)/build.ninja

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	$(BUILD)/mar run examples/hello --listen $(LISTEN)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@bash bench/run.sh $(BENCH_ARGS)

# workerd and mar serve the same Workers modules; their answers are compared (bench/compat/README.md).
# A peer that setup-peers cannot install is reported by the driver, which then exits 2.
compat: build
	@bash scripts/setup-peers.sh || true
	@python3 bench/compat/compat.py

format:
	@clang-format -i $$(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc')

clean:
	rm -rf $(BUILD)
