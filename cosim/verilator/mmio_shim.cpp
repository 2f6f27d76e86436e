// A C ABI over the Verilated PCIe mailbox top (`Vtidekv_mmio`: the device
// behind BAR 0's register map on a Wishbone-classic slave port), compiled
// per build configuration into a shared library that
// `tidekv_cosim::verilator::VMmio` loads. The host side is a Wishbone
// master doing one 32-bit access at a time; the device runs on between
// accesses for as many clocks as the caller asks.

#include "Vtidekv_mmio.h"
#include "Vtidekv_mmio___024root.h"
#include "sim_common.h"

#if !defined(TK_CLOCK_HZ)
#error "TK_CLOCK_HZ must be defined"
#endif

// The most clocks an access may wait for its ack.
static const uint32_t ACK_LIMIT = 64;

struct Mm : Sim<Vtidekv_mmio> {
    explicit Mm(const char *vcd) : Sim(vcd) {}
};

extern "C" {

uint32_t tkm_clock_hz() { return TK_CLOCK_HZ; }
uint32_t tkm_traced() { return VM_TRACE; }

// A mailbox after its power-up reset; `vcd` (may be null) names a VCD file.
void *tkm_new(const char *vcd) {
    Mm *m = new Mm(vcd);
    m->top->wb_cyc = 0;
    m->top->wb_stb = 0;
    m->top->reset = 1;
    m->top->eval();
    for (int i = 0; i < 3; i++) m->tick();
    m->top->reset = 0;
    m->tick();
    return m;
}

void tkm_free(void *p) { delete (Mm *)p; }

uint64_t tkm_clocks(void *p) { return ((Mm *)p)->clocks; }

uint32_t tkm_irq(void *p) { return ((Mm *)p)->top->irq; }

// One Wishbone-classic access at byte offset `addr`: a write of `value`
// with byte selects `sel` if `we`, else a read into `*value`. Returns the
// clocks it took, or 0 if no ack came within ACK_LIMIT clocks.
uint32_t tkm_access(void *p, uint32_t addr, uint32_t we, uint32_t sel, uint32_t *value) {
    Mm *m = (Mm *)p;
    m->top->wb_cyc = 1;
    m->top->wb_stb = 1;
    m->top->wb_we = we ? 1 : 0;
    m->top->wb_adr = addr >> 2;
    m->top->wb_sel = sel & 0xf;
    m->top->wb_dat_w = we ? *value : 0;
    uint32_t n = 0;
    bool acked = false;
    while (n < ACK_LIMIT && !acked) {
        m->top->eval();
        acked = m->top->wb_ack;
        if (acked && !we) *value = m->top->wb_dat_r;
        m->tick();
        n++;
    }
    m->top->wb_cyc = 0;
    m->top->wb_stb = 0;
    m->top->wb_we = 0;
    return acked ? n : 0;
}

// Clock `n` times with the bus idle.
void tkm_idle(void *p, uint64_t n) {
    Mm *m = (Mm *)p;
    for (uint64_t i = 0; i < n; i++) m->tick();
}

}
