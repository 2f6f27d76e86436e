//! The virtual device (`tidekv sim`): the Verilated device top served on a
//! pseudo-terminal or a TCP socket, so that everything that talks to a
//! board talks to it unchanged. Its state lasts across connections, as a
//! board's does.
//!
//! The simulation runs only while there is work: bytes to take, frames
//! received but not answered, or a half frame the device's watchdog has
//! still to drop. Bytes pass each way no faster than the baud rate given (a
//! pty has none of its own), so timings over it are a serial line's; the
//! device goes on running while its answers travel the line, as a board's
//! does while its UART sends.

use crate::transport::timed_out;
use crate::{Error, Result};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};
use tidekv_cosim::verilator::VDevice;
use tidekv_defs::link::{Deframer, SLIP_END};
use tidekv_driver::link::Transport;

/// Where the virtual device listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listen {
    /// A new pseudo-terminal; clients open its `/dev/pts/N`.
    Pty,
    /// A TCP address (`HOST:PORT`, port 0 for any free one).
    Tcp(String),
}

/// Clocks the device runs per slice while it has work.
const SLICE_CLOCKS: u64 = 4096;

/// Bookkeeping of what the device owes its client.
struct Work {
    /// Frames received whose answer has not come out.
    owed: u64,
    /// Bytes since the last END: a half frame.
    partial: bool,
    /// Clocks run without output.
    quiet: u64,
    answers: Deframer,
    /// Clocks after which a half frame has surely been dropped.
    watchdog: u64,
}

impl Work {
    fn input(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == SLIP_END {
                if self.partial {
                    self.owed += 1;
                }
                self.partial = false;
            } else {
                self.partial = true;
            }
        }
        self.quiet = 0;
    }

    fn output(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.answers.push(b).is_some() {
                self.owed = self.owed.saturating_sub(1);
            }
        }
    }

    fn busy(&self) -> bool {
        self.owed > 0 || (self.partial && self.quiet < 2 * self.watchdog)
    }
}

/// A byte stream with a read timeout.
trait Stream: Read + Write {
    fn set_wait(&mut self, d: Duration) -> std::io::Result<()>;
}

impl Stream for std::net::TcpStream {
    fn set_wait(&mut self, d: Duration) -> std::io::Result<()> {
        self.set_read_timeout(Some(d))
    }
}

impl Stream for serialport::TTYPort {
    fn set_wait(&mut self, d: Duration) -> std::io::Result<()> {
        serialport::SerialPort::set_timeout(self, d).map_err(std::io::Error::from)
    }
}

/// One direction of the simulated serial line: it carries `rate` bytes per
/// second and is busy until `free_at`. Time it did not use is lost, except
/// for `SLACK` (so that a slice spent clocking the device does not slow it).
struct Line {
    rate: f64,
    free_at: Instant,
}

const SLACK: Duration = Duration::from_millis(2);

impl Line {
    fn start(&self, now: Instant) -> Instant {
        self.free_at.max(now.checked_sub(SLACK).unwrap_or(now))
    }
    /// Bytes the line can carry by `now`.
    fn room(&self, now: Instant) -> usize {
        now.checked_duration_since(self.start(now))
            .map_or(0, |d| (d.as_secs_f64() * self.rate) as usize)
    }
    /// Put `n` bytes on the line; when their last byte is through.
    fn put(&mut self, n: usize, now: Instant) -> Instant {
        self.free_at = self.start(now) + Duration::from_secs_f64(n as f64 / self.rate);
        self.free_at
    }
}

/// Serve one connection until it closes (pty: forever). Bytes go through
/// each direction no faster than the baud rate: output waits in `line`
/// until its last byte is through, and the device runs meanwhile.
fn pump(dev: &mut VDevice, s: &mut dyn Stream, work: &mut Work, bytes_per_s: f64) -> Result<()> {
    let io = |what: &'static str| {
        move |e: std::io::Error| Error::Device(format!("virtual device: {what}: {e}"))
    };
    let mut buf = vec![0u8; 4096];
    let now = Instant::now();
    let (mut rx, mut tx) = (
        Line {
            rate: bytes_per_s,
            free_at: now,
        },
        Line {
            rate: bytes_per_s,
            free_at: now,
        },
    );
    // Output on the line: each chunk with the time its last byte is through.
    let mut line: VecDeque<(Instant, Vec<u8>)> = VecDeque::new();
    loop {
        let now = Instant::now();
        if line.front().is_some_and(|(due, _)| *due <= now) {
            // (One write for all that is due.)
            let mut due_now = Vec::new();
            while line.front().is_some_and(|(due, _)| *due <= now) {
                due_now.extend(line.pop_front().expect("a front").1);
            }
            s.write_all(&due_now).map_err(io("writing"))?;
            s.flush().map_err(io("flushing"))?;
        }
        // Idle, a wait ends when the next output is due.
        let idle_wait = |d: Duration| {
            line.front()
                .map_or(d, |(due, _)| d.min(due.saturating_duration_since(now)))
        };
        let room = rx.room(now).min(buf.len());
        if room == 0 {
            if !work.busy() {
                std::thread::sleep(idle_wait(rx.free_at.saturating_duration_since(now)));
                continue;
            }
        } else {
            // Busy, a read only looks (the device has work to run meanwhile);
            // idle, it waits for the client (or the line).
            s.set_wait(if work.busy() {
                Duration::from_micros(1)
            } else {
                idle_wait(Duration::from_millis(50)).max(Duration::from_micros(1))
            })
            .map_err(io("setting a read timeout"))?;
            match s.read(&mut buf[..room]) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    rx.put(n, Instant::now());
                    work.input(&buf[..n]);
                    dev.send(&buf[..n]).map_err(Error::Transport)?;
                }
                Err(e) if timed_out(&e) => {}
                // A pty whose client closed reads EIO until another opens it.
                Err(e) if e.raw_os_error() == Some(5) => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                Err(e) => return Err(io("reading")(e)),
            }
        }
        if !work.busy() {
            continue;
        }
        // (Until a whole answer is out, `END` to `END`: half the calls of
        // `recv`'s one `END`.)
        let out = dev.recv_ends(2, SLICE_CLOCKS);
        if out.is_empty() {
            work.quiet += SLICE_CLOCKS;
            if work.owed > 0 && work.quiet > 1 << 26 {
                eprintln!(
                    "virtual device: {} frame(s) unanswered after {} clocks; giving up on them",
                    work.owed, work.quiet
                );
                work.owed = 0;
            }
            continue;
        }
        work.quiet = 0;
        work.output(&out);
        // The answer reaches the host when its last byte is through the line.
        let due = tx.put(out.len(), Instant::now());
        line.push_back((due, out));
    }
}

/// Serve `dev` on `listen` until the process is stopped; `ready` gets the
/// `--device` string to connect with once it listens.
pub fn serve(mut dev: VDevice, listen: &Listen, baud: u32, ready: impl FnOnce(&str)) -> Result<()> {
    let watchdog = u64::from(dev.clock_hz) / 1000;
    let mut work = Work {
        owed: 0,
        partial: false,
        quiet: 0,
        answers: Deframer::new(1 << 16),
        watchdog,
    };
    let bytes_per_s = f64::from(baud) / 10.0;
    match listen {
        Listen::Pty => {
            let (mut master, slave) = serialport::TTYPort::pair().map_err(|e| {
                Error::Device(format!(
                    "virtual device: cannot make a pseudo-terminal: {e}"
                ))
            })?;
            let name = serialport::SerialPort::name(&slave).ok_or_else(|| {
                Error::Device("virtual device: the pseudo-terminal has no name".into())
            })?;
            ready(&format!("serial:{name}@{baud}"));
            // (`slave` stays open so that the master reads no EOF between clients)
            let r = pump(&mut dev, &mut master, &mut work, bytes_per_s);
            drop(slave);
            r
        }
        Listen::Tcp(addr) => {
            let l = TcpListener::bind(addr).map_err(|e| {
                Error::Device(format!("virtual device: cannot listen on {addr}: {e}"))
            })?;
            let at = l
                .local_addr()
                .map_err(|e| Error::Device(format!("virtual device: {e}")))?;
            ready(&format!("tcp:{at}"));
            loop {
                let (mut s, _) = l.accept().map_err(|e| {
                    Error::Device(format!("virtual device: accepting on {at}: {e}"))
                })?;
                let _ = s.set_nodelay(true);
                if let Err(e) = pump(&mut dev, &mut s, &mut work, bytes_per_s) {
                    eprintln!("{e}; waiting for the next connection");
                }
                // A client that left mid-frame leaves nothing owed.
                work.owed = 0;
            }
        }
    }
}
