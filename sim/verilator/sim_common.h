// What the shims share: a Verilated top with its own context, an optional
// VCD waveform, and the clock. Included by shim.cpp (the core) and
// device_shim.cpp (the device top); part of their cache key.

#pragma once
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif
#include <cstdint>

template <class Top> struct Sim {
    VerilatedContext ctx;
    Top *top;
#if VM_TRACE
    VerilatedVcdC *vcd = nullptr;
#endif
    uint64_t clocks = 0;
    uint64_t time = 0;

    // `vcd_path` (may be null) names a VCD file; the top's clock starts low.
    explicit Sim(const char *vcd_path) : top(new Top(&ctx)) {
#if VM_TRACE
        if (vcd_path) {
            ctx.traceEverOn(true);
            vcd = new VerilatedVcdC();
            top->trace(vcd, 99);
            vcd->open(vcd_path);
        }
#else
        (void)vcd_path;
#endif
        top->clock = 0;
    }

    ~Sim() {
#if VM_TRACE
        if (vcd) {
            vcd->close();
            delete vcd;
        }
#endif
        top->final();
        delete top;
    }

    // One clock: rising edge, then falling.
    void tick() {
        half(1);
        half(0);
        clocks++;
    }

  private:
    void half(int level) {
        top->clock = level;
        top->eval();
#if VM_TRACE
        if (vcd) vcd->dump(time);
#endif
        time++;
    }
};
