//! A device top driven over its link (`tidekv_defs::link`), one frame at a
//! time: `LinkCore` is a `drive::Core` whose commands are `Cmd` frames and
//! whose rounds are `Step` frames, over any `ByteLink` (the Verilated
//! device top, and later a serial port or socket). The replay and the
//! differential checks that run on the core run unchanged on the device.

use crate::drive::{Core, Refusal};
use tidekv_defs::layout::{pack_request, response_layout, unpack_response};
use tidekv_defs::link::{self, cmd_payload, decode_cmd_answer, Deframer, DeviceInfo, Drop, Frame, FrameType};
use tidekv_defs::regs::{Cmd, CmdStatus};
use tidekv_defs::{BuildConfig, Request, Response};

/// A byte transport to a device.
pub trait ByteLink {
    type Error: std::error::Error + 'static;
    /// Send `bytes`; return what came back once `frames` answer frames are
    /// complete. `budget` bounds the wait beyond sending (in the link's own
    /// unit: clocks for a simulated device); past it, an error.
    fn exchange(&mut self, bytes: &[u8], frames: usize, budget: u64) -> Result<Vec<u8>, Self::Error>;
}

/// No answer in time.
#[derive(Debug, thiserror::Error)]
#[error("the device did not answer {frames} frame(s) within {clocks} clocks ({} bytes came back): it is hung or the link is broken", got.len())]
pub struct LinkTimeout {
    pub frames: usize,
    pub clocks: u64,
    pub got: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum LinkCoreError<E: std::error::Error + 'static> {
    #[error(transparent)]
    Link(E),
    #[error("the device dropped the {ty} frame: {reason}")]
    Nack { ty: String, reason: String },
    #[error("bad answer from the device: {0}")]
    BadAnswer(String),
    #[error(transparent)]
    Refusal(#[from] Refusal),
}

/// A device behind a `ByteLink`, driven frame by frame.
pub struct LinkCore<L: ByteLink> {
    pub link: L,
    build: BuildConfig,
    seq: u8,
    /// The wait `ByteLink::exchange` allows for one answer.
    pub budget: u64,
}

impl<L: ByteLink> LinkCore<L> {
    /// A driver for a device of this build (checked against its `Info` by `check_info`).
    pub fn new(link: L, build: BuildConfig) -> LinkCore<L> {
        LinkCore { link, build, seq: 0, budget: 1 << 22 }
    }

    /// The build this driver speaks to.
    pub fn build(&self) -> &BuildConfig {
        &self.build
    }

    /// Send one frame and return its answer (a `Nack` is an error).
    pub fn frame(&mut self, ty: FrameType, payload: Vec<u8>) -> Result<Frame, LinkCoreError<L::Error>> {
        self.seq = self.seq.wrapping_add(1);
        let f = Frame::new(ty, self.seq, payload);
        let bytes = self.link.exchange(&f.encode(), 1, self.budget).map_err(LinkCoreError::Link)?;
        let mut d = Deframer::new(link::max_answer(&self.build));
        let got: Vec<_> = bytes.iter().filter_map(|&x| d.push(x)).collect();
        let a = match got.as_slice() {
            [Ok(a)] => a.clone(),
            [Err(e)] => return Err(LinkCoreError::BadAnswer(format!("the answer to {ty} was dropped by the host: {}", e.reason))),
            _ => return Err(LinkCoreError::BadAnswer(format!("{} frames answered one {ty}", got.len()))),
        };
        if a.seq != self.seq {
            return Err(LinkCoreError::BadAnswer(format!("sequence number {} answered {}", a.seq, self.seq)));
        }
        if a.ty == FrameType::Nack.code() {
            let reason = a.payload.first().and_then(|&r| Drop::from_code(r)).map_or_else(|| format!("{:?}", a.payload), |r| r.to_string());
            return Err(LinkCoreError::Nack { ty: ty.to_string(), reason });
        }
        if a.ty != ty.code() || a.payload.len() != link::answer_bytes(&self.build, ty) {
            return Err(LinkCoreError::BadAnswer(format!("a {ty} frame was answered by type {} with {} bytes", a.ty, a.payload.len())));
        }
        Ok(a)
    }

    /// The device's `Info`.
    pub fn info(&mut self) -> Result<DeviceInfo, LinkCoreError<L::Error>> {
        let a = self.frame(FrameType::Info, vec![])?;
        DeviceInfo::decode(&a.payload).map_err(|e| LinkCoreError::BadAnswer(e.to_string()))
    }

    /// The `Info` of the device, checked to be of this driver's build.
    pub fn check_info(&mut self) -> Result<DeviceInfo, LinkCoreError<L::Error>> {
        let i = self.info()?;
        if i.build != self.build {
            return Err(LinkCoreError::BadAnswer(format!("the device is built for {:?}, not {:?}", i.build, self.build)));
        }
        Ok(i)
    }

    /// The link counters (`link::link_counter_name`), cleared after reading if `clear`.
    pub fn link_stats(&mut self, clear: bool) -> Result<Vec<u32>, LinkCoreError<L::Error>> {
        let a = self.frame(FrameType::LinkStats, vec![if clear { link::STATS_CLEAR } else { 0 }])?;
        Ok(a.payload.chunks(4).map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes"))).collect())
    }
}

impl<L: ByteLink> Core for LinkCore<L> {
    type Error = LinkCoreError<L::Error>;

    fn clients(&self) -> usize {
        self.build.clients as usize
    }

    fn latency(&self) -> u64 {
        self.build.latency()
    }

    fn cmd(&mut self, cmd: Cmd, addr: u32, data: u64) -> Result<(CmdStatus, u64), Self::Error> {
        let addr = u16::try_from(addr).map_err(|_| Refusal::cmd(cmd, addr, data, "the address does not fit the command's 16 bits"))?;
        let a = self.frame(FrameType::Cmd, cmd_payload(cmd.code(), addr, data))?;
        let (st, rdata) = decode_cmd_answer(&a.payload).map_err(|e| LinkCoreError::BadAnswer(e.to_string()))?;
        let st = CmdStatus::from_code(st).ok_or_else(|| LinkCoreError::BadAnswer(format!("command {cmd} answered status code {st}")))?;
        Ok((st, rdata))
    }

    fn round(&mut self, reqs: &[Option<Request>]) -> Result<Vec<Option<(u64, Response)>>, Self::Error> {
        let mut p = Vec::with_capacity(link::step_bytes(&self.build));
        for r in reqs {
            p.extend_from_slice(pack_request(&self.build, r.as_ref()).as_raw_slice());
        }
        let a = self.frame(FrameType::Step, p)?;
        let mut round = [0u8; 8];
        round[..link::ROUND_BYTES].copy_from_slice(&a.payload[..link::ROUND_BYTES]);
        let round = u64::from_le_bytes(round);
        let n = response_layout(&self.build).bytes();
        let lat = self.build.latency();
        a.payload[link::ROUND_BYTES..]
            .chunks(n)
            .map(|slot| {
                let bits = tidekv_defs::layout::Bits::from_slice(slot);
                let r = unpack_response(&self.build, &bits).map_err(|e| LinkCoreError::BadAnswer(format!("response slot: {e}")))?;
                match r {
                    Some(_) if round < lat => Err(LinkCoreError::BadAnswer(format!("a response in round {round}, before any request could be answered"))),
                    Some(r) => Ok(Some((round - lat, r))),
                    None => Ok(None),
                }
            })
            .collect()
    }
}
