//! Transports to a device, and the `--device` strings that name them
//! (docs/DESIGN.md, "Host"):
//!
//! - `serial:PATH[@BAUD]`: a serial port (a board, or `tidekv sim --pty`),
//! - `serial-async:PATH[@BAUD]`: the same through tokio-serial (`AsyncSerial`),
//! - `tcp:HOST:PORT`: a socket (`tidekv sim --tcp`),
//! - `sim:PRESET` (or `sim:FILE.toml`): the Verilated device top in this
//!   process, on its byte-stream bypass (`sim-uart:` for its UART pins).
//!
//! Every one is a `tidekv_driver::link::Transport`: bounded waits, typed errors.

use crate::{Error, Result};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;
pub use tidekv_driver::link::{Transport, TransportError};

/// The baud rate when a `serial:` device names none (the device top's default).
pub const DEFAULT_BAUD: u32 = 3_000_000;

/// Where a device is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSpec {
    Serial {
        path: String,
        baud: u32,
    },
    /// A serial port through tokio-serial (`serial-async:`).
    AsyncSerial {
        path: String,
        baud: u32,
    },
    Tcp {
        addr: String,
    },
    /// A configuration (preset name or TOML file) to simulate in process.
    Sim {
        config: String,
        uart: bool,
    },
    /// A PCIe card's mailbox: BAR 0 of a PCI function (`pcie:0000:01:00.0`)
    /// or a BAR's file (`pcie:/sys/.../resource0`), at an offset in it if
    /// `+OFFSET` follows (`pcie:0000:01:00.0+0x8000`: a BAR that holds other
    /// registers too).
    Pcie {
        path: String,
        offset: u64,
    },
    /// The Verilated mailbox gateware (`tidekv_mmio`) as BAR 0, in process
    /// (`sim-pcie:PRESET`): the host's PCIe path with no card.
    SimPcie {
        config: String,
    },
    /// A virtual PCIe device's BAR 0 over vfio-user (`tidekv sim --pcie
    /// --vfio-user SOCKET`).
    VfioUser {
        socket: String,
    },
}

impl std::str::FromStr for DeviceSpec {
    type Err = Error;
    fn from_str(s: &str) -> Result<DeviceSpec> {
        let bad = |why: &str| {
            Error::Usage(format!(
                "--device {s:?}: {why}; give serial:PATH[@BAUD], tcp:HOST:PORT, pcie:DOMAIN:BUS:DEV.FN, vfio-user:SOCKET, sim:PRESET or sim-pcie:PRESET"
            ))
        };
        let (kind, rest) = s.split_once(':').ok_or_else(|| bad("no kind before ':'"))?;
        if rest.is_empty() {
            return Err(bad("nothing after the ':'"));
        }
        match kind {
            "serial" | "serial-async" => {
                let (path, baud) = match rest.rsplit_once('@') {
                    Some((p, b)) => (
                        p,
                        b.parse::<u32>().ok().filter(|&b| b > 0).ok_or_else(|| {
                            bad(&format!("baud rate {b:?} is not a positive number"))
                        })?,
                    ),
                    None => (rest, DEFAULT_BAUD),
                };
                let path = path.to_string();
                Ok(if kind == "serial" {
                    DeviceSpec::Serial { path, baud }
                } else {
                    DeviceSpec::AsyncSerial { path, baud }
                })
            }
            "tcp" => {
                let (host, port) = rest
                    .rsplit_once(':')
                    .ok_or_else(|| bad("no port after the host"))?;
                if host.is_empty() || port.parse::<u16>().is_err() {
                    return Err(bad(&format!(
                        "{port:?} is not a port number, or the host is empty"
                    )));
                }
                Ok(DeviceSpec::Tcp { addr: rest.into() })
            }
            "sim" => Ok(DeviceSpec::Sim {
                config: rest.into(),
                uart: false,
            }),
            "sim-uart" => Ok(DeviceSpec::Sim {
                config: rest.into(),
                uart: true,
            }),
            "pcie" => {
                let (at, offset) = match rest.rsplit_once('+') {
                    Some((at, o)) => {
                        let v = match o.strip_prefix("0x") {
                            Some(h) => u64::from_str_radix(h, 16),
                            None => o.parse(),
                        };
                        let v = v.map_err(|_| {
                            bad(&format!(
                                "offset {o:?}: give a number of bytes (0x8000 or 32768)"
                            ))
                        })?;
                        if v % 4 != 0 {
                            return Err(bad(&format!("offset {o}: not a multiple of 4")));
                        }
                        (at, v)
                    }
                    None => (rest, 0),
                };
                Ok(DeviceSpec::Pcie {
                    path: if at.starts_with('/') {
                        at.into()
                    } else {
                        tidekv_driver::mmio::pci_resource(at)
                            .to_string_lossy()
                            .into_owned()
                    },
                    offset,
                })
            }
            "vfio-user" => Ok(DeviceSpec::VfioUser {
                socket: rest.into(),
            }),
            "sim-pcie" => Ok(DeviceSpec::SimPcie {
                config: rest.into(),
            }),
            k => Err(bad(&format!("unknown kind {k:?}"))),
        }
    }
}

impl DeviceSpec {
    /// Open the transport (for `sim:`, verilate the device top first: cached
    /// under build/verilator/).
    pub fn open(&self) -> Result<Box<dyn Transport>> {
        Ok(match self {
            DeviceSpec::Serial { path, baud } => Box::new(SerialTransport::open(path, *baud)?),
            DeviceSpec::AsyncSerial { path, baud } => {
                Box::new(BlockingAsyncSerial::open(path, *baud)?)
            }
            DeviceSpec::Tcp { addr } => Box::new(TcpTransport::connect(addr)?),
            #[cfg(feature = "sim")]
            DeviceSpec::Sim { config, uart } => Box::new(open_sim(config, *uart)?),
            #[cfg(not(feature = "sim"))]
            DeviceSpec::Sim { .. } => return Err(crate::no_sim("a sim: device")),
            DeviceSpec::Pcie { path, offset } => {
                let bar = tidekv_driver::mmio::BarMap::open(std::path::Path::new(path))
                    .map_err(mailbox_error)?;
                if *offset == 0 {
                    Box::new(tidekv_driver::mailbox::Mailbox::open(bar).map_err(mailbox_error)?)
                } else {
                    let w =
                        tidekv_driver::mmio::Window::new(bar, *offset).map_err(mailbox_error)?;
                    Box::new(tidekv_driver::mailbox::Mailbox::open(w).map_err(mailbox_error)?)
                }
            }
            DeviceSpec::VfioUser { socket } => {
                let bar = tidekv_driver::vfio::VfioUserMmio::connect(std::path::Path::new(socket))
                    .map_err(mailbox_error)?;
                Box::new(tidekv_driver::mailbox::Mailbox::open(bar).map_err(mailbox_error)?)
            }
            #[cfg(feature = "sim")]
            DeviceSpec::SimPcie { config } => {
                let bar = tidekv_cosim::mmio::VMmio::build_open(config)?;
                Box::new(tidekv_driver::mailbox::Mailbox::open(bar).map_err(mailbox_error)?)
            }
            #[cfg(not(feature = "sim"))]
            DeviceSpec::SimPcie { .. } => return Err(crate::no_sim("a sim-pcie: device")),
        })
    }
}

/// The Verilated device top for a configuration, in this process.
#[cfg(feature = "sim")]
pub fn open_sim(config: &str, uart: bool) -> Result<tidekv_cosim::verilator::VDevice> {
    use tidekv_cosim::verilator::{build_top, Top, VDevice};
    let (so, _cfg) = build_top(config, Top::Device, false)?;
    Ok(VDevice::open(&so, None, uart)?)
}

/// A mailbox that cannot be opened: a link error (exit 7) that says why.
fn mailbox_error(e: impl std::fmt::Display) -> crate::Error {
    TransportError::Io {
        what: "opening the PCIe mailbox".into(),
        source: std::io::Error::other(e.to_string()),
    }
    .into()
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> TransportError {
    move |source| TransportError::Io { what, source }
}

/// Whether a read error is only its timeout running out.
pub fn timed_out(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        ErrorKind::TimedOut | ErrorKind::WouldBlock | ErrorKind::Interrupted
    )
}

/// What one read (its timeout already set) brings: empty on timeout, an
/// error when the other end closed.
fn read_some(r: &mut impl Read, name: &str) -> std::result::Result<Vec<u8>, TransportError> {
    let mut buf = vec![0u8; 4096];
    match r.read(&mut buf) {
        Ok(0) => Err(TransportError::Closed(name.into())),
        Ok(n) => {
            buf.truncate(n);
            Ok(buf)
        }
        Err(e) if timed_out(&e) => Ok(vec![]),
        Err(e) => Err(io(format!("reading from {name}"))(e)),
    }
}

/// A serial port (serialport-rs): a board's UART, or a pty.
pub struct SerialTransport {
    port: Box<dyn serialport::SerialPort>,
    path: String,
    baud: u32,
}

impl SerialTransport {
    pub fn open(path: &str, baud: u32) -> std::result::Result<SerialTransport, TransportError> {
        let port = serialport::new(path, baud).timeout(Duration::from_millis(100)).open().map_err(|e| TransportError::Io {
            what: format!("cannot open serial port {path} (is the board plugged in, the path right, and the port yours?)"),
            source: e.into(),
        })?;
        Ok(SerialTransport {
            port,
            path: path.into(),
            baud,
        })
    }
}

impl Transport for SerialTransport {
    fn send(&mut self, bytes: &[u8]) -> std::result::Result<(), TransportError> {
        self.port
            .write_all(bytes)
            .map_err(io(format!("writing to {}", self.path)))
    }

    fn recv(&mut self, timeout: Duration) -> std::result::Result<Vec<u8>, TransportError> {
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(|e| TransportError::Io {
                what: format!("setting the timeout of {}", self.path),
                source: e.into(),
            })?;
        read_some(&mut self.port, &self.path)
    }

    fn describe(&self) -> String {
        format!("serial:{}@{}", self.path, self.baud)
    }

    fn wire_rate(&self) -> Option<f64> {
        Some(f64::from(self.baud) / 10.0)
    }
}

/// A TCP socket (a virtual device served with `tidekv sim --tcp`).
pub struct TcpTransport {
    s: TcpStream,
    addr: String,
}

impl TcpTransport {
    pub fn connect(addr: &str) -> std::result::Result<TcpTransport, TransportError> {
        let s = TcpStream::connect(addr).map_err(io(format!(
            "cannot connect to {addr} (is `tidekv sim --tcp {addr}` running?)"
        )))?;
        s.set_nodelay(true)
            .map_err(io(format!("setting TCP_NODELAY on {addr}")))?;
        Ok(TcpTransport {
            s,
            addr: addr.into(),
        })
    }
}

impl Transport for TcpTransport {
    fn send(&mut self, bytes: &[u8]) -> std::result::Result<(), TransportError> {
        self.s
            .write_all(bytes)
            .map_err(io(format!("writing to {}", self.addr)))
    }

    fn recv(&mut self, timeout: Duration) -> std::result::Result<Vec<u8>, TransportError> {
        self.s
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
            .map_err(io(format!("setting the timeout of {}", self.addr)))?;
        read_some(&mut self.s, &format!("tcp:{}", self.addr))
    }

    fn describe(&self) -> String {
        format!("tcp:{}", self.addr)
    }
}

/// A serial port for async code (tokio-serial): the same bounded waits as
/// `Transport`, as futures. Open it inside a tokio runtime.
pub struct AsyncSerial {
    port: tokio_serial::SerialStream,
    path: String,
    baud: u32,
}

impl AsyncSerial {
    pub fn open(path: &str, baud: u32) -> std::result::Result<AsyncSerial, TransportError> {
        use tokio_serial::SerialPortBuilderExt;
        let port = tokio_serial::new(path, baud).open_native_async().map_err(|e| TransportError::Io {
            what: format!("cannot open serial port {path} (is the board plugged in, the path right, and the port yours?)"),
            source: e.into(),
        })?;
        Ok(AsyncSerial {
            port,
            path: path.into(),
            baud,
        })
    }

    pub async fn send(&mut self, bytes: &[u8]) -> std::result::Result<(), TransportError> {
        use tokio::io::AsyncWriteExt;
        AsyncWriteExt::write_all(&mut self.port, bytes)
            .await
            .map_err(io(format!("writing to {}", self.path)))
    }

    /// What comes within `timeout` (empty if nothing).
    pub async fn recv(
        &mut self,
        timeout: Duration,
    ) -> std::result::Result<Vec<u8>, TransportError> {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 4096];
        match tokio::time::timeout(timeout, AsyncReadExt::read(&mut self.port, &mut buf)).await {
            Err(_) => Ok(vec![]),
            Ok(Ok(0)) => Err(TransportError::Closed(self.path.clone())),
            Ok(Ok(n)) => {
                buf.truncate(n);
                Ok(buf)
            }
            Ok(Err(e)) if timed_out(&e) => Ok(vec![]),
            Ok(Err(e)) => Err(io(format!("reading from {}", self.path))(e)),
        }
    }
}

/// `AsyncSerial` behind the blocking `Transport` trait, on its own
/// current-thread runtime (`--device serial-async:...`).
pub struct BlockingAsyncSerial {
    rt: tokio::runtime::Runtime,
    port: AsyncSerial,
}

impl BlockingAsyncSerial {
    pub fn open(path: &str, baud: u32) -> std::result::Result<BlockingAsyncSerial, TransportError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(io("starting a tokio runtime".into()))?;
        let port = rt.block_on(async { AsyncSerial::open(path, baud) })?;
        Ok(BlockingAsyncSerial { rt, port })
    }
}

impl Transport for BlockingAsyncSerial {
    fn send(&mut self, bytes: &[u8]) -> std::result::Result<(), TransportError> {
        self.rt.block_on(self.port.send(bytes))
    }
    fn recv(&mut self, timeout: Duration) -> std::result::Result<Vec<u8>, TransportError> {
        self.rt.block_on(self.port.recv(timeout))
    }
    fn describe(&self) -> String {
        format!("serial-async:{}@{}", self.port.path, self.port.baud)
    }
    fn wire_rate(&self) -> Option<f64> {
        Some(f64::from(self.port.baud) / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_strings_parse_or_say_what_is_wrong() {
        assert_eq!(
            "serial:/dev/ttyUSB1@115200".parse::<DeviceSpec>().unwrap(),
            DeviceSpec::Serial {
                path: "/dev/ttyUSB1".into(),
                baud: 115_200
            }
        );
        assert_eq!(
            "serial:/dev/pts/3".parse::<DeviceSpec>().unwrap(),
            DeviceSpec::Serial {
                path: "/dev/pts/3".into(),
                baud: DEFAULT_BAUD
            }
        );
        assert_eq!(
            "serial-async:/dev/pts/3@9600"
                .parse::<DeviceSpec>()
                .unwrap(),
            DeviceSpec::AsyncSerial {
                path: "/dev/pts/3".into(),
                baud: 9600
            }
        );
        assert_eq!(
            "tcp:127.0.0.1:7000".parse::<DeviceSpec>().unwrap(),
            DeviceSpec::Tcp {
                addr: "127.0.0.1:7000".into()
            }
        );
        assert_eq!(
            "sim:single-c10".parse::<DeviceSpec>().unwrap(),
            DeviceSpec::Sim {
                config: "single-c10".into(),
                uart: false
            }
        );
        for (bad, says) in [
            ("usb:/dev/x", "unknown kind"),
            ("serial:/dev/x@fast", "baud rate"),
            ("serial:/dev/x@0", "baud rate"),
            ("tcp:localhost", "no port"),
            ("tcp::80", "host is empty"),
            ("tcp:h:99999", "not a port"),
            ("sim:", "nothing after"),
            ("serial-async:/dev/x@fast", "baud rate"),
            ("single-c10", "no kind"),
        ] {
            let e = bad.parse::<DeviceSpec>().unwrap_err().to_string();
            assert!(e.contains(says) && e.contains(bad), "{bad}: {e}");
        }
    }
}
