//! `tidekv sim`: serve a virtual device (the Verilated device top) on a
//! pseudo-terminal or a TCP socket until stopped, or, with `--pcie
//! --vfio-user SOCKET`, as a virtual PCIe device (the Verilated mailbox
//! gateware, `tidekv_mmio`, as BAR 0 of a vfio-user PCI function, its
//! interrupt as INTx) until its client hangs up.

use super::Global;
use serde_json::json;
use std::path::PathBuf;
use tidekv_host::transport::open_sim;
use tidekv_host::vdev::{serve, Listen};

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("cfg").required(true).args(["preset", "config"])))]
#[command(group(clap::ArgGroup::new("on").required(true).args(["pty", "tcp", "vfio_user"])))]
pub struct Args {
    /// A shipped configuration (targets.toml; `tidekv preset` lists them).
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// A configuration file.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Serve on a new pseudo-terminal.
    #[arg(long)]
    pub pty: bool,
    /// Serve on a TCP address (HOST:PORT; port 0 picks a free one).
    #[arg(long, value_name = "ADDR")]
    pub tcp: Option<String>,
    /// The wire rate answers are paced at, and the one the device string names.
    #[arg(long, value_name = "N", default_value_t = tidekv_host::transport::DEFAULT_BAUD)]
    pub baud: u32,
    /// Run bytes through the device's UART pins (slow) instead of its byte-stream bypass.
    #[arg(long)]
    pub uart: bool,
    /// Serve a virtual PCIe device on this vfio-user socket (connect with
    /// --device vfio-user:SOCKET, or attach a vfio-user-capable QEMU): the
    /// mailbox gateware (`tidekv_mmio`) as BAR 0.
    #[arg(long, value_name = "SOCKET")]
    pub vfio_user: Option<PathBuf>,
    /// With --vfio-user: serve this many clients one after another (the
    /// device keeps its state between them); 0: until stopped.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub clients: u64,
    /// The PCIe device (with --vfio-user, which implies it).
    #[arg(long)]
    pub pcie: bool,
    /// With --vfio-user: the mailbox in software over the device top's byte
    /// stream instead of the gateware (the host side's reference).
    #[arg(long)]
    pub soft_mailbox: bool,
}

pub fn run(a: Args, g: &Global) -> tidekv_host::Result<()> {
    let config = match (&a.preset, &a.config) {
        (Some(p), _) => p.clone(),
        (None, Some(f)) => f.display().to_string(),
        (None, None) => unreachable!("clap requires one"),
    };
    if a.baud == 0 {
        return Err(tidekv_host::Error::Usage(
            "--baud 0: give a positive rate".into(),
        ));
    }
    // (clap's `requires` does not hold beside the required group: checked here.)
    if a.vfio_user.is_none() {
        for (given, what) in [
            (a.pcie, "--pcie"),
            (a.soft_mailbox, "--soft-mailbox"),
            (a.clients != 1, "--clients"),
        ] {
            if given {
                return Err(tidekv_host::Error::Usage(format!(
                    "{what} serves a virtual PCIe device: give --vfio-user SOCKET with it"
                )));
            }
        }
    }
    if let Some(sock) = &a.vfio_user {
        if a.uart {
            return Err(tidekv_host::Error::Usage(
                "--uart with --vfio-user: the PCIe device has no UART".into(),
            ));
        }
        let clients = (a.clients > 0).then_some(a.clients);
        let ready = || {
            if g.json {
                println!(
                    "{}",
                    json!({ "device": format!("vfio-user:{}", sock.display()) })
                );
            } else {
                println!(
                    "virtual PCIe device {config} ready: connect with --device vfio-user:{}",
                    sock.display()
                );
            }
            use std::io::Write;
            let _ = std::io::stdout().flush();
        };
        let served = if a.soft_mailbox {
            let cfg = tidekv_defs::Config::from_spec(&config)?;
            let info = tidekv_defs::link::DeviceInfo::new(&cfg.build, Default::default());
            let dev = open_sim(&config, false)?;
            let mb = tidekv_driver::mailbox::MailboxDevice::new(dev, 9, 10, &info.words());
            tidekv_driver::vfio::serve_clients_ready(sock, mb, clients, ready)
        } else {
            let bar = tidekv_cosim::mmio::VMmio::build_open(&config)?;
            tidekv_driver::vfio::serve_clients_ready(sock, bar, clients, ready)
        };
        return served.map_err(tidekv_host::Error::Output);
    }
    let dev = open_sim(&config, a.uart)?;
    let listen = match a.tcp {
        Some(addr) => Listen::Tcp(addr),
        None => Listen::Pty,
    };
    let json = g.json;
    serve(dev, &listen, a.baud, |at| {
        if json {
            println!("{}", json!({ "device": at }));
        } else {
            println!("virtual device {config} ready: connect with --device {at}");
        }
        use std::io::Write;
        let _ = std::io::stdout().flush();
    })
}
