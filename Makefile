# The two commands a user needs: `make run` and `make test`. Everything else is here for developers.
BUILD ?= build
BUILD_TYPE ?= RelWithDebInfo
LISTEN ?= 127.0.0.1:8080
JOBS ?= $(shell nproc)

.PHONY: all setup configure build run test bench clean format

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

format:
	@clang-format -i $$(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc')

clean:
	rm -rf $(BUILD)
