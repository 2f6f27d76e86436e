// ULX3S board top: the 25 MHz oscillator through the PLL (tidekv_pll,
// written by ecppll for the board's clock at build time), a power-on and
// button reset, and the generated device top (tidekv_device) on the FT231X.
// Pin names are the resources of constraints/ulx3s.lpf.
module board_top(
    input  wire clk_25mhz,
    input  wire uart_rx,
    output wire uart_tx,
    input  wire btn_n,
    output wire [7:0] led,
    output wire wifi_gpio0
);
    wire clock, locked;
    tidekv_pll pll(.clkin(clk_25mhz), .clkout0(clock), .locked(locked));

    // Reset held until the PLL has locked and 255 clocks after, and while
    // the PWR button is pressed.
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

    assign led = {reset, round[26:20]};
    assign wifi_gpio0 = 1'b1;
endmodule
