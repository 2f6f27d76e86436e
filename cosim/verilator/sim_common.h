// What the shims share: a Verilated top with its own context, an optional
// VCD waveform, and the clock. Included by shim.cpp (the core) and
// device_shim.cpp (the device top); part of their cache key.

#pragma once
#include "verilated.h"
#if VM_TRACE
#include "verilated_vcd_c.h"
#endif
#include <cstdint>
#include <type_traits>
#include <utility>

// Verilator 5.006 keeps the clock's value at the last eval() in the root
// member `__Vtrigrprev__TOP__clock` (5.048: `__Vtrigprevexpr___TOP__clock__0`)
// and sees a rising edge when `clock` is 1 and that member 0. Where one of
// the members exists (detected, not assumed), a
// clock's falling half sets both to 0 without an eval(): nothing in the
// generated logic reads the clock's level (every block is
// `always @(posedge clock)`), and that eval() re-ran the whole
// input-dependent combinational region for nothing (a quarter of the time
// per clock). Other Verilator versions (other member names) and traced
// runs (the VCD shows the falling edge) evaluate both halves.
template <class R, class = void> struct HasClockPrev : std::false_type {};
template <class R>
struct HasClockPrev<R, std::void_t<decltype(std::declval<R &>().__Vtrigrprev__TOP__clock)>> : std::true_type {};
template <class R, class = void> struct HasClockPrevExpr : std::false_type {};
template <class R>
struct HasClockPrevExpr<R, std::void_t<decltype(std::declval<R &>().__Vtrigprevexpr___TOP__clock__0)>> : std::true_type {};

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
        fall();
        clocks++;
    }

  private:
    void fall() {
        using Root = std::remove_pointer_t<decltype(top->rootp)>;
        if constexpr (HasClockPrev<Root>::value || HasClockPrevExpr<Root>::value) {
#if VM_TRACE
            if (vcd) {
                half(0);
                return;
            }
#endif
            top->clock = 0;
            if constexpr (HasClockPrev<Root>::value) top->rootp->__Vtrigrprev__TOP__clock = 0;
            else top->rootp->__Vtrigprevexpr___TOP__clock__0 = 0;
            time++;
        } else {
            half(0);
        }
    }

    void half(int level) {
        top->clock = level;
        top->eval();
#if VM_TRACE
        if (vcd) vcd->dump(time);
#endif
        time++;
    }
};
