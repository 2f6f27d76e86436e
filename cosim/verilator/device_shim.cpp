// A C ABI over the Verilated device top (`Vtidekv_device`: the core behind
// the framed link), compiled per build configuration into a shared library
// that `tidekv_sim::verilator::VDevice` loads. Bytes go in and come out
// either at the byte-stream ports (`bypass`, one byte per clock) or as
// UART bits on the `uart_rx` / `uart_tx` pins at TK_CPB clocks per bit.

#include "Vtidekv_device.h"
#include "Vtidekv_device___024root.h"
#include "sim_common.h"

#if !defined(TK_CPB) || !defined(TK_CLOCK_HZ)
#error "TK_CPB and TK_CLOCK_HZ must be defined"
#endif

struct Dv : Sim<Vtidekv_device> {
    Dv(const char *vcd, bool uart_pins) : Sim(vcd), uart(uart_pins) {}
    bool uart;
    // The host's UART transmitter: bits of the byte in flight.
    uint32_t tx_bits = 0, tx_left = 0, tx_cnt = 0;
    // The host's UART receiver, sampling uart_tx.
    int rx_state = 0;
    uint32_t rx_cnt = 0, rx_bit = 0;
    uint8_t rx_shift = 0;
};

extern "C" {

uint32_t tkd_clocks_per_bit() { return TK_CPB; }
uint32_t tkd_clock_hz() { return TK_CLOCK_HZ; }
uint32_t tkd_traced() { return VM_TRACE; }

// A device after its power-up reset; `uart` selects the UART pins, else the
// byte-stream bypass. `vcd` (may be null) names a VCD file.
void *tkd_new(const char *vcd, uint32_t uart) {
    Dv *d = new Dv(vcd, uart != 0);
    d->top->bypass = d->uart ? 0 : 1;
    d->top->uart_rx = 1;
    d->top->byte_rx_valid = 0;
    d->top->byte_tx_ready = 1;
    d->top->reset = 1;
    // Clock low first: a first eval() with the clock high is no edge.
    d->top->eval();
    d->tick();
    d->tick();
    d->top->reset = 0;
    return d;
}

void tkd_free(void *p) { delete (Dv *)p; }

uint64_t tkd_clocks(void *p) { return ((Dv *)p)->clocks; }

// Send `n_in` bytes (back to back) and clock until `want_ends` END bytes
// (0xC0) have come out and (unless `early`) every input byte is sent, or
// `limit` clocks have passed. Output bytes go to `out` (at most `cap`; more
// are counted but dropped). Returns the number of output bytes; `*taken`
// is the number of input bytes the device took (a UART byte begun is
// finished by the next call).
uint64_t tkd_exchange(void *p, const uint8_t *in, uint64_t n_in, uint8_t *out, uint64_t cap, uint64_t want_ends, uint64_t limit, uint64_t *taken, uint32_t early) {
    Dv *d = (Dv *)p;
    uint64_t i = 0, n_out = 0, ends = 0;
    const uint32_t cpb = TK_CPB;
    for (uint64_t c = 0; c < limit; c++) {
        int got = -1;
        if (d->uart) {
            // Host transmitter: start bit, 8 data bits LSB first, stop bit.
            if (d->tx_left == 0 && i < n_in) {
                d->tx_bits = (uint32_t)in[i++] << 1 | 0x200u;
                d->tx_left = 10;
                d->tx_cnt = 0;
            }
            d->top->uart_rx = d->tx_left ? (d->tx_bits & 1) : 1;
            d->top->eval();
            if (d->tx_left && ++d->tx_cnt == cpb) {
                d->tx_cnt = 0;
                d->tx_bits >>= 1;
                d->tx_left--;
            }
            // Host receiver: sample the middle of each bit.
            int line = d->top->uart_tx;
            switch (d->rx_state) {
            case 0:
                if (!line) { d->rx_state = 1; d->rx_cnt = 0; }
                break;
            case 1:
                if (++d->rx_cnt == cpb / 2) {
                    d->rx_cnt = 0;
                    d->rx_bit = 0;
                    d->rx_state = line ? 0 : 2;
                }
                break;
            case 2:
                if (++d->rx_cnt == cpb) {
                    d->rx_cnt = 0;
                    d->rx_shift = (uint8_t)(d->rx_shift >> 1 | (line ? 0x80 : 0));
                    if (++d->rx_bit == 8) d->rx_state = 3;
                }
                break;
            case 3:
                if (++d->rx_cnt == cpb) {
                    d->rx_state = 0;
                    if (line) got = d->rx_shift;
                }
                break;
            }
        } else {
            d->top->byte_rx_valid = i < n_in;
            d->top->byte_rx_data = i < n_in ? in[i] : 0;
            if (i < n_in) i++;
            d->top->eval();
            if (d->top->byte_tx_valid) got = d->top->byte_tx_data;
        }
        d->tick();
        if (got >= 0) {
            if (n_out < cap) out[n_out] = (uint8_t)got;
            n_out++;
            if (got == 0xC0) ends++;
        }
        bool sent = i >= n_in && (!d->uart || d->tx_left == 0);
        if ((sent || early) && ends >= want_ends && want_ends > 0) break;
    }
    d->top->byte_rx_valid = 0;
    *taken = i;
    return n_out;
}

}
