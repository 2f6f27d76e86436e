//! The host's PCIe path (`tidekv_driver::mailbox`) end to end against the
//! device's real logic: `LinkCore` over the `Mailbox` transport, through a
//! software mailbox's rings (`MailboxDevice`), into the Verilated device
//! top. A replay equals the model request by request, as over the UART.

use tidekv_cosim::verilator::{Top, VDevice};
use tidekv_driver::link::LinkCore;
use tidekv_driver::mailbox::{Mailbox, MailboxDevice};
use tidekv_testbench::traffic::{self, Traffic};
use tidekv_testbench::{build_top, compare_on};

#[test]
fn replay_over_the_mailbox_equals_the_model() {
    let (so, cfg) = build_top("single-c10", Top::Device);
    let dev = VDevice::open(&so, None, false).unwrap();
    let info = tidekv_defs::link::DeviceInfo::new(&cfg.build, Default::default());
    // Rings of 256 bytes each way: smaller than the device's FIFO and than
    // two Step frames, so they wrap and fill.
    let mb = Mailbox::open(MailboxDevice::new(dev, 8, 8, &info.words())).unwrap();
    let mut c = LinkCore::new(mb, cfg.build.clone());
    c.fifo_bytes = 256;
    let mut t = Traffic::new(&cfg, 23);
    traffic::mixed(&mut t, 0, 120, 0.9, 8);
    let n = compare_on("pcie mailbox", &mut c, &cfg, &t.trace());
    assert!(n > 1000, "{n} requests");
    println!(
        "over the mailbox: {n} requests equal to the model, {} bytes out, {} in",
        c.bytes_out, c.bytes_in
    );
}
