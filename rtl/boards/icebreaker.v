// iCEBreaker board top: the oscillator through tidekv_pll (written by
// scripts/board.sh for the board's clock at build time: icepll's PLL, or
// the oscillator passed through when CLOCK_MHZ is OSC_MHZ), a power-on and button
// reset, and the generated device top (tidekv_device) on FTDI channel B.
// Pin names are the resources of constraints/icebreaker.pcf.
module board_top(
    input  wire clk_12mhz,
    input  wire uart_rx,
    output wire uart_tx,
    input  wire btn_n,
    output wire led_red_n,
    output wire led_grn_n
);
    wire clock, locked;
    tidekv_pll pll(.clock_in(clk_12mhz), .clock_out(clock), .locked(locked));

    // Reset held until the PLL has locked and 255 clocks after, and while
    // the button is pressed.
    reg [7:0] por = 8'd0;
    always @(posedge clock)
        if (!locked || !btn_n) por <= 8'd0;
        else if (por != 8'hff) por <= por + 8'd1;
    wire reset = por != 8'hff;

    wire [47:0] round;
    wire byte_tx_valid;
    wire [7:0] byte_tx_data;
    tidekv_device dev(
        .clock(clock), .reset(reset),
        .uart_rx(uart_rx), .uart_tx(uart_tx),
        .bypass(1'b0), .byte_rx_valid(1'b0), .byte_rx_data(8'd0),
        .byte_tx_valid(byte_tx_valid), .byte_tx_data(byte_tx_data), .byte_tx_ready(1'b0),
        .round(round));

    assign led_red_n = !reset;
    assign led_grn_n = !round[20];
endmodule
