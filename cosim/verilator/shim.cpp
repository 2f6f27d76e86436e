// A C ABI over the Verilated core (`Vtidekv_core`), compiled once per build
// configuration into a shared library that `tidekv_sim::verilator` loads.
// It drives whole rounds and whole commands so that a call crosses the
// FFI boundary once per round, not once per clock.
//
// TK_C, TK_T and TK_LAT (clients, clocks per round, latency in rounds) come
// from the compiler command line.

#include "Vtidekv_core.h"
#include "Vtidekv_core___024root.h"
#include "sim_common.h"

#ifndef TK_C
#error "TK_C must be defined"
#endif

using Tk = Sim<Vtidekv_core>;

// The core's outputs come from its registers only (its inputs are
// registered first, `core/port.rs`): after a clock they are current without
// another eval(), whatever inputs are set meanwhile. One eval() a clock.

// Clock until not busy; false after `limit` clocks.
static bool wait_idle(Tk *t, uint64_t limit) {
    for (uint64_t i = 0; i < limit; i++) {
        if (!t->top->busy) return true;
        t->tick();
    }
    return false;
}

extern "C" {

uint32_t tk_clients() { return TK_C; }
uint32_t tk_traced() { return VM_TRACE; }
uint32_t tk_clocks_per_round() { return TK_T; }
uint32_t tk_latency() { return TK_LAT; }

// A new core after its power-up reset; `vcd` (may be null) names a VCD file.
void *tk_new(const char *vcd) {
    Tk *t = new Tk(vcd);
    t->top->run = 0;
    t->top->cmd_valid = 0;
    t->top->reset = 1;
    // Settle with the clock low first: Verilator sees no rising edge on a
    // first eval() that already has the clock high, and the reset would be
    // missed (every register would keep its zero, the LFSR its 0 seed).
    // The core registers its reset input: two clocks, then it wipes.
    t->top->eval();
    t->tick();
    t->tick();
    t->top->reset = 0;
    if (!wait_idle(t, 1u << 24)) {
        delete t;
        return nullptr;
    }
    return t;
}

void tk_free(void *p) { delete (Tk *)p; }

uint64_t tk_clocks(void *p) { return ((Tk *)p)->clocks; }

// One command. Returns its status (0..7), or -1 if the core never answered
// within `limit` clocks.
int32_t tk_cmd(void *p, uint32_t code, uint32_t addr, uint64_t data, uint64_t *rdata, uint64_t limit) {
    Tk *t = (Tk *)p;
    if (!wait_idle(t, limit)) return -1;
    t->top->cmd_valid = 1;
    t->top->cmd_code = code;
    t->top->cmd_addr = addr;
    t->top->cmd_data = data;
    t->tick();
    t->top->cmd_valid = 0;
    for (uint64_t i = 0; i < limit; i++) {
        if (t->top->cmd_done) {
            *rdata = t->top->cmd_rdata;
            int32_t st = t->top->cmd_status;
            t->tick();
            return st;
        }
        t->tick();
    }
    return -1;
}

// One request or response slot per client.
struct TkReq {
    uint8_t valid, op;
    uint64_t key, value;
};
struct TkResp {
    uint8_t issued, status, has_value;
    uint64_t value, round;
};

// Run one round from a boundary: client k's request enters at phase k; the
// responses of the round are written to `out`. Returns the round it ran,
// or -1 if the core was not at a round boundary. `run` is registered: it
// starts a round at the boundary after it, and the core runs the round to
// its end (T + 1 clocks a call).
int64_t tk_round(void *p, const TkReq *in, TkResp *out) {
    Tk *t = (Tk *)p;
    if (!t->top->is_paused) return -1;
    int64_t u = (int64_t)t->top->round;
    t->top->run = 1;
    t->tick();
    t->top->run = 0;
    for (uint32_t ph = 0; ph < TK_T; ph++) {
        if (ph < TK_C) {
            t->top->issue_valid = in[ph].valid;
            t->top->issue_op = in[ph].op;
            t->top->issue_key = in[ph].key;
            t->top->issue_value = in[ph].value;
            out[ph].issued = t->top->resp_issued;
            out[ph].status = t->top->resp_status;
            out[ph].has_value = t->top->resp_has_value;
            out[ph].value = t->top->resp_value;
            out[ph].round = t->top->resp_round;
        }
        t->tick();
    }
    t->top->issue_valid = 0;
    return u;
}

// Run idle rounds as fast as the simulator goes (benchmarks).
void tk_idle(void *p, uint64_t rounds) {
    Tk *t = (Tk *)p;
    t->top->issue_valid = 0;
    t->top->run = 1;
    t->tick();
    // (`run` low in the last clock of the last round: no round after it.)
    for (uint64_t i = 0; i < rounds * TK_T; i++) {
        if (i + 1 == rounds * TK_T) t->top->run = 0;
        t->tick();
    }
    t->top->run = 0;
}

}  // extern "C"
