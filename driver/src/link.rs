//! A device top driven over its link (`tidekv_defs::link`): `Transport` is
//! a byte pipe to a device (the Verilated device top here; a serial port,
//! a socket or an in-process virtual device in `tidekv-host`), and
//! `LinkCore` is a `drive::Core` whose commands are `Cmd` frames and whose
//! rounds are `Step` frames. The replay and the differential checks that
//! run on the core run unchanged on any device.
//!
//! Bounded waits: every receive has a timeout, and a frame with no answer is
//! an error. Resending is safe after a `Nack` (the device never ran the
//! frame) and, after a lost answer, only for frames that are idempotent
//! (`Info`, `LinkStats` without clearing, `Cmd::idempotent` commands); a
//! lost `Step` answer is an error that says the round may have run.

use crate::drive::{Core, Refusal};
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tidekv_defs::batch::{decode_collect, decode_submit_answer, submit_payload, Collected, Queued};
use tidekv_defs::codec::StepCodec;
use tidekv_defs::link::{
    self, cmd_payload, decode_cmd_answer, Deframer, DeviceInfo, Drop, Frame, FrameType,
};
use tidekv_defs::regs::{Cmd, CmdStatus};
use tidekv_defs::{BuildConfig, Request, Response};

/// A transport failed (not a timeout: that is an empty `recv`).
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{0}: the other end closed the link")]
    Closed(String),
}

/// A byte pipe to a device.
pub trait Transport: Send {
    /// Hand `bytes` to the link (a simulated link sends them as its device runs).
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError>;
    /// Bytes from the device: waits at most `timeout` (simulated time for a
    /// simulated device), returns early once a frame delimiter has come;
    /// empty if nothing came in time.
    fn recv(&mut self, timeout: Duration) -> Result<Vec<u8>, TransportError>;
    /// Where the link goes, for messages.
    fn describe(&self) -> String;
    /// Bytes per second the wire carries each way, if it is a serial line.
    fn wire_rate(&self) -> Option<f64> {
        None
    }
    /// Seconds the link has been busy, if it keeps its own time (a
    /// simulated device: simulated seconds).
    fn elapsed(&self) -> Option<f64> {
        None
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        (**self).send(bytes)
    }
    fn recv(&mut self, timeout: Duration) -> Result<Vec<u8>, TransportError> {
        (**self).recv(timeout)
    }
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn wire_rate(&self) -> Option<f64> {
        (**self).wire_rate()
    }
    fn elapsed(&self) -> Option<f64> {
        (**self).elapsed()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LinkCoreError {
    #[error("{0}")]
    Transport(#[from] TransportError),
    #[error(
        "no answer to the {ty} frame (sequence {seq}) from {link} within {waited:?}{}: the device is hung, unpowered or on another baud rate; check the port and reset the device",
        if *.maybe_ran { " (it may have run: not resent)" } else { "" }
    )]
    NoAnswer {
        ty: String,
        seq: u8,
        link: String,
        waited: Duration,
        maybe_ran: bool,
    },
    #[error("the device dropped the {ty} frame {tries} time(s), last as {reason}: the link is corrupting bytes (check the cable and baud rate)")]
    Nack {
        ty: String,
        reason: String,
        tries: u32,
    },
    #[error("bad answer from the device: {0}")]
    BadAnswer(String),
    #[error("the device refused the {ty} frame: free-running requests are queued or in flight (a step, a generator run or a reset must wait); collect their results first")]
    Busy { ty: String },
    #[error("the device made no progress on {left} queued request(s) in {waited:?}: no results came back and none were accepted")]
    Stalled { left: usize, waited: Duration },
    #[error(transparent)]
    Refusal(#[from] Refusal),
}

/// One `Step` answer: the device's round and per client the issue round and
/// response of the request answered in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepAnswer {
    pub round: u64,
    pub responses: Vec<Option<(u64, Response)>>,
    /// When the round's `Step` frame was handed to the link and when its
    /// answer was taken off it (`LinkCore::now`; zero outside `steps`).
    pub sent: Duration,
    pub answered: Duration,
}

/// A device behind a `Transport`, driven frame by frame.
pub struct LinkCore<T: Transport> {
    pub link: T,
    build: BuildConfig,
    codec: StepCodec,
    seq: u8,
    deframer: Deframer,
    /// Answers received but not yet matched.
    ready: VecDeque<Frame>,
    /// The wait for one answer.
    pub timeout: Duration,
    /// How often a frame is sent after `Nack`s or lost answers, at most.
    pub retries: u32,
    /// Frames resent so far.
    pub resent: u64,
    /// The receive FIFO of the device (from its `Info`): the most request
    /// bytes `steps` keeps unanswered.
    pub fifo_bytes: usize,
    /// Bytes handed to the link and taken from it so far.
    pub bytes_out: u64,
    pub bytes_in: u64,
    /// The last byte sent was a frame's closing `END` and nothing since
    /// suggests the device lost step (no lost answer, no `Nack`): the next
    /// frame may leave out its opening `END`.
    in_step: bool,
    epoch: Instant,
}

impl<T: Transport> LinkCore<T> {
    /// A driver for a device of this build (checked against its `Info` by `check_info`).
    pub fn new(link: T, build: BuildConfig) -> LinkCore<T> {
        let deframer = Deframer::new(link::max_answer(&build));
        LinkCore {
            link,
            codec: StepCodec::new(&build),
            build,
            seq: 0,
            deframer,
            ready: VecDeque::new(),
            timeout: Duration::from_millis(500),
            retries: 3,
            resent: 0,
            fifo_bytes: link::RX_FIFO_BYTES as usize,
            bytes_out: 0,
            bytes_in: 0,
            in_step: false,
            epoch: Instant::now(),
        }
    }

    /// A driver for whatever device is at the end of `link`: asks its
    /// `Info` and adopts its build.
    pub fn connect(link: T, timeout: Duration) -> Result<(LinkCore<T>, DeviceInfo), LinkCoreError> {
        // `Info`'s answer is the same size for every build: any build will
        // do to ask it.
        let any = tidekv_defs::Config::preset("single-c10")
            .expect("a shipped preset")
            .build;
        let mut c = LinkCore::new(link, any);
        c.timeout = timeout;
        let info = c.info()?;
        c.deframer = Deframer::new(link::max_answer(&info.build));
        c.build = info.build.clone();
        c.codec = StepCodec::new(&c.build);
        c.fifo_bytes = info.rx_fifo_bytes as usize;
        Ok((c, info))
    }

    /// The link's time: its own (simulated) clock if it keeps one, else
    /// wall-clock time since this driver was made.
    pub fn now(&self) -> Duration {
        match self.link.elapsed() {
            Some(s) => Duration::from_secs_f64(s),
            None => self.epoch.elapsed(),
        }
    }

    /// The build this driver speaks to.
    pub fn build(&self) -> &BuildConfig {
        &self.build
    }

    /// The next answer frame, waiting at most `timeout` (`None`: nothing came).
    /// Frames the host could not deframe are skipped (the request they
    /// answered then times out).
    fn next_answer(&mut self, timeout: Duration) -> Result<Option<Frame>, LinkCoreError> {
        loop {
            if let Some(f) = self.ready.pop_front() {
                return Ok(Some(f));
            }
            let bytes = self.link.recv(timeout)?;
            if bytes.is_empty() {
                return Ok(None);
            }
            self.bytes_in += bytes.len() as u64;
            let ready = &mut self.ready;
            self.deframer.push_all(&bytes, |r| {
                if let Ok(f) = r {
                    ready.push_back(f);
                }
            });
        }
    }

    /// Wait for the answer with sequence `seq`, skipping stale answers
    /// (to frames given up on earlier). `None` after `timeout` of silence.
    fn answer_to(&mut self, seq: u8) -> Result<Option<Frame>, LinkCoreError> {
        loop {
            match self.next_answer(self.timeout)? {
                None => {
                    // The device may be hunting for an `END`: give it one.
                    self.in_step = false;
                    return Ok(None);
                }
                Some(a) if a.seq == seq => {
                    if a.ty == FrameType::Nack.code() {
                        self.in_step = false;
                    }
                    return Ok(Some(a));
                }
                Some(_) => continue,
            }
        }
    }

    /// `f` on the wire, without its opening `END` while the line is in step.
    fn encode(&self, f: &Frame, out: &mut Vec<u8>) {
        if self.in_step {
            f.encode_following(out);
        } else {
            f.encode_into(out);
        }
    }

    /// Hand encoded frames to the link.
    fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
        self.in_step = false;
        self.link.send(bytes)?;
        self.bytes_out += bytes.len() as u64;
        self.in_step = true;
        Ok(())
    }

    fn next_seq(&mut self) -> u8 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Check an answer to a frame of type `ty` with a payload of
    /// `request_len` bytes; `Err(reason)` for a Nack.
    fn check_answer(
        &self,
        ty: FrameType,
        request_len: usize,
        a: Frame,
    ) -> Result<Result<Frame, String>, LinkCoreError> {
        if a.ty == FrameType::Nack.code() {
            let reason = a
                .payload
                .first()
                .and_then(|&r| Drop::from_code(r))
                .map_or_else(|| format!("{:?}", a.payload), |r| r.to_string());
            return Ok(Err(reason));
        }
        let len_ok = match ty {
            // (as long as its count says: `decode_collect` checks)
            FrameType::Collect => {
                !a.payload.is_empty()
                    && a.payload.len() <= link::answer_len(&self.build, ty, request_len)
            }
            _ => a.payload.len() == link::answer_len(&self.build, ty, request_len),
        };
        if a.ty != ty.code() || !len_ok {
            return Err(LinkCoreError::BadAnswer(format!(
                "a {ty} frame was answered by type {} with {} bytes",
                a.ty,
                a.payload.len()
            )));
        }
        Ok(Ok(a))
    }

    /// Send one frame and return its answer, resending after a `Nack`, and
    /// after a lost answer if `idempotent`.
    pub fn frame_retry(
        &mut self,
        ty: FrameType,
        payload: Vec<u8>,
        idempotent: bool,
    ) -> Result<Frame, LinkCoreError> {
        let mut tries = 0;
        loop {
            tries += 1;
            let seq = self.next_seq();
            let mut f = Vec::new();
            self.encode(&Frame::new(ty, seq, payload.clone()), &mut f);
            self.send(&f)?;
            match self.answer_to(seq)? {
                None if idempotent && tries <= self.retries => {}
                None => {
                    return Err(LinkCoreError::NoAnswer {
                        ty: ty.to_string(),
                        seq,
                        link: self.link.describe(),
                        waited: self.timeout,
                        maybe_ran: !idempotent,
                    })
                }
                Some(a) => match self.check_answer(ty, payload.len(), a)? {
                    Ok(a) => return Ok(a),
                    Err(reason) if reason == Drop::Busy.name() => {
                        return Err(LinkCoreError::Busy { ty: ty.to_string() })
                    }
                    Err(reason) if tries > self.retries => {
                        return Err(LinkCoreError::Nack {
                            ty: ty.to_string(),
                            reason,
                            tries,
                        })
                    }
                    Err(_) => {}
                },
            }
            self.resent += 1;
        }
    }

    /// Send one frame and return its answer (resent after a `Nack`; after a
    /// lost answer only if the frame is idempotent).
    pub fn frame(&mut self, ty: FrameType, payload: Vec<u8>) -> Result<Frame, LinkCoreError> {
        let idempotent = match ty {
            FrameType::Info => true,
            FrameType::LinkStats => payload.first().is_some_and(|&f| f & link::STATS_CLEAR == 0),
            FrameType::Cmd => payload
                .first()
                .and_then(|&c| Cmd::from_code(c))
                .is_some_and(Cmd::idempotent),
            _ => false,
        };
        self.frame_retry(ty, payload, idempotent)
    }

    /// The device's `Info`.
    pub fn info(&mut self) -> Result<DeviceInfo, LinkCoreError> {
        let a = self.frame(FrameType::Info, vec![])?;
        DeviceInfo::decode(&a.payload).map_err(|e| LinkCoreError::BadAnswer(e.to_string()))
    }

    /// The `Info` of the device, checked to be of this driver's build.
    pub fn check_info(&mut self) -> Result<DeviceInfo, LinkCoreError> {
        let i = self.info()?;
        if i.build != self.build {
            return Err(LinkCoreError::BadAnswer(format!(
                "the device is built for {}, not {}",
                i.build.summary(),
                self.build.summary()
            )));
        }
        Ok(i)
    }

    /// The link counters (`link::link_counter_name`), cleared after reading if `clear`.
    pub fn link_stats(&mut self, clear: bool) -> Result<Vec<u32>, LinkCoreError> {
        let a = self.frame(
            FrameType::LinkStats,
            vec![if clear { link::STATS_CLEAR } else { 0 }],
        )?;
        Ok(a.payload
            .chunks(4)
            .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
            .collect())
    }

    /// Queue requests on the device (at most `link::submit_max`): how many
    /// were accepted (the first ones; a full client queue refuses the rest)
    /// and how many results wait to be collected. Not resent after a lost
    /// answer (the requests may be queued).
    pub fn submit(&mut self, qs: &[Queued]) -> Result<(usize, usize), LinkCoreError> {
        let a = self.frame(FrameType::Submit, submit_payload(&self.build, qs))?;
        let (n, waiting) = decode_submit_answer(&a.payload)
            .map_err(|e| LinkCoreError::BadAnswer(e.to_string()))?;
        if n > qs.len() {
            return Err(LinkCoreError::BadAnswer(format!(
                "{n} requests accepted of {}",
                qs.len()
            )));
        }
        Ok((n, waiting))
    }

    /// Take up to `link::collect_max` results off the device, oldest first.
    /// A lost answer loses them (not resent: the device let them go).
    pub fn collect(&mut self) -> Result<Vec<Collected>, LinkCoreError> {
        let a = self.frame(FrameType::Collect, vec![])?;
        decode_collect(&self.build, &a.payload).map_err(|e| LinkCoreError::BadAnswer(e.to_string()))
    }

    /// Run `qs` as free-running batches: submit them in order (what a full
    /// queue refuses is sent again), collect until every one is answered,
    /// and hand each result to `on_result` with its index in `qs` (the tag
    /// is the index modulo 2^16). Fails if neither a request is accepted nor
    /// a result comes back for `stall`.
    pub fn run_batch(
        &mut self,
        qs: &[Queued],
        stall: Duration,
        mut on_result: impl FnMut(usize, &Collected),
    ) -> Result<(), LinkCoreError> {
        let max = link::submit_max(&self.build);
        let (mut sent, mut done) = (0usize, 0usize);
        // Results come back in order per client: each client's tags in flight.
        let mut open: Vec<VecDeque<usize>> = vec![Default::default(); self.build.clients as usize];
        let mut last = self.now();
        while done < qs.len() {
            let mut progress = false;
            if sent < qs.len() {
                let chunk: Vec<Queued> = qs[sent..(sent + max).min(qs.len())]
                    .iter()
                    .enumerate()
                    .map(|(i, q)| Queued {
                        tag: (sent + i) as u16,
                        ..*q
                    })
                    .collect();
                let (n, _) = self.submit(&chunk)?;
                for (i, q) in chunk[..n].iter().enumerate() {
                    open[q.client as usize].push_back(sent + i);
                }
                sent += n;
                progress |= n > 0;
            }
            if sent == qs.len() || !progress || done + 4 * max < sent {
                for r in self.collect()? {
                    let i = open[r.client as usize]
                        .pop_front()
                        .filter(|&i| i as u16 == r.tag)
                        .ok_or_else(|| {
                            LinkCoreError::BadAnswer(format!(
                                "a result for client {} with tag {} that no request in flight has",
                                r.client, r.tag
                            ))
                        })?;
                    on_result(i, &r);
                    done += 1;
                    progress = true;
                }
            }
            if progress {
                last = self.now();
            } else if self.now() - last > stall {
                return Err(LinkCoreError::Stalled {
                    left: qs.len() - done,
                    waited: stall,
                });
            }
        }
        Ok(())
    }

    /// A `Step` frame's payload: the requests of each of its rounds.
    pub fn step_payload<R: AsRef<[Option<Request>]>>(&self, rounds: &[R]) -> Vec<u8> {
        let mut p = Vec::with_capacity(rounds.len() * link::step_bytes(&self.build));
        for reqs in rounds {
            self.codec.encode_requests(reqs.as_ref(), &mut p);
        }
        p
    }

    /// Decode a `Step` answer.
    pub fn decode_step(&self, payload: &[u8]) -> Result<StepAnswer, LinkCoreError> {
        let mut responses = Vec::with_capacity(self.build.clients as usize);
        let round = self
            .codec
            .decode_answer(payload, &mut responses)
            .map_err(|e| LinkCoreError::BadAnswer(e.to_string()))?;
        Ok(StepAnswer {
            round,
            responses,
            sent: Duration::ZERO,
            answered: Duration::ZERO,
        })
    }

    /// Run rounds pipelined: `Step` frames of up to `MAX_STEP_ROUNDS`
    /// rounds each (one round each when `window` is 0) are sent while the
    /// request bytes of unanswered frames stay within `window` bytes
    /// (capped at the device's receive FIFO, so that none is lost; 0 is
    /// stop-and-wait), and `on_answer` gets each round's index in `rounds`,
    /// its requests and its answer, in order. A frame the device refused
    /// (`Nack`) is resent at the end of the window, so its rounds run later
    /// than their neighbours; a lost answer is an error (the rounds may
    /// have run).
    pub fn steps<E: From<LinkCoreError>>(
        &mut self,
        rounds: impl IntoIterator<Item = Vec<Option<Request>>>,
        window: usize,
        mut on_answer: impl FnMut(usize, &[Option<Request>], StepAnswer) -> Result<(), E>,
    ) -> Result<(), E> {
        struct InFlight {
            /// The index of the first round.
            index: usize,
            seq: u8,
            bytes: usize,
            rounds: Vec<Vec<Option<Request>>>,
            tries: u32,
            sent: Duration,
        }
        let group = if window == 0 {
            1
        } else {
            link::MAX_STEP_ROUNDS
        };
        let window = window.min(self.fifo_bytes);
        let mut input = rounds.into_iter().enumerate().peekable();
        let mut flight: VecDeque<InFlight> = VecDeque::new();
        let mut retry: VecDeque<InFlight> = VecDeque::new();
        let mut in_bytes = 0usize;
        let mut frame = Vec::new();
        let mut responses = Vec::new();
        loop {
            // Fill the window.
            loop {
                let next = match retry.pop_front() {
                    Some(r) => Some(r),
                    None => input.peek().map(|&(index, _)| index).map(|index| {
                        let rounds: Vec<_> = input.by_ref().take(group).map(|(_, r)| r).collect();
                        InFlight {
                            index,
                            seq: 0,
                            bytes: 0,
                            rounds,
                            tries: 0,
                            sent: Duration::ZERO,
                        }
                    }),
                };
                let Some(mut f) = next else { break };
                // Encoded with the next sequence number, which is taken
                // only if the frame goes out now.
                let seq = self.seq.wrapping_add(1);
                frame.clear();
                let step = Frame::new(FrameType::Step, seq, self.step_payload(&f.rounds));
                self.encode(&step, &mut frame);
                if !flight.is_empty() && in_bytes + frame.len() > window {
                    retry.push_front(f);
                    break;
                }
                self.seq = seq;
                f.seq = seq;
                f.bytes = frame.len();
                f.tries += 1;
                in_bytes += f.bytes;
                self.send(&frame).map_err(LinkCoreError::from)?;
                f.sent = self.now();
                flight.push_back(f);
            }
            let Some(oldest) = flight.pop_front() else {
                return Ok(());
            };
            in_bytes -= oldest.bytes;
            let a = match self.answer_to(oldest.seq)? {
                Some(a) => a,
                None => {
                    return Err(LinkCoreError::NoAnswer {
                        ty: FrameType::Step.to_string(),
                        seq: oldest.seq,
                        link: self.link.describe(),
                        waited: self.timeout,
                        maybe_ran: true,
                    }
                    .into())
                }
            };
            let n = oldest.rounds.len();
            match self.check_answer(FrameType::Step, n * link::step_bytes(&self.build), a)? {
                Ok(a) => {
                    let first = self
                        .codec
                        .decode_rounds(&a.payload, n, &mut responses)
                        .map_err(|e| LinkCoreError::BadAnswer(e.to_string()))?;
                    let answered = self.now();
                    let c = self.build.clients as usize;
                    for (i, (reqs, resps)) in
                        oldest.rounds.iter().zip(responses.chunks(c)).enumerate()
                    {
                        let ans = StepAnswer {
                            round: first + i as u64,
                            responses: resps.to_vec(),
                            sent: oldest.sent,
                            answered,
                        };
                        on_answer(oldest.index + i, reqs, ans)?;
                    }
                }
                Err(reason) if oldest.tries > self.retries => {
                    return Err(LinkCoreError::Nack {
                        ty: FrameType::Step.to_string(),
                        reason,
                        tries: oldest.tries,
                    }
                    .into());
                }
                Err(_) => {
                    self.resent += 1;
                    retry.push_back(oldest);
                }
            }
        }
    }
}

impl<T: Transport> Core for LinkCore<T> {
    type Error = LinkCoreError;

    fn clients(&self) -> usize {
        self.build.clients as usize
    }

    fn latency(&self) -> u64 {
        self.build.latency()
    }

    fn cmd(&mut self, cmd: Cmd, addr: u32, data: u64) -> Result<(CmdStatus, u64), Self::Error> {
        let addr = u16::try_from(addr).map_err(|_| {
            Refusal::cmd(
                cmd,
                addr,
                data,
                "the address does not fit the command's 16 bits",
            )
        })?;
        let a = self.frame(FrameType::Cmd, cmd_payload(cmd.code(), addr, data))?;
        let (st, rdata) =
            decode_cmd_answer(&a.payload).map_err(|e| LinkCoreError::BadAnswer(e.to_string()))?;
        let st = CmdStatus::from_code(st).ok_or_else(|| {
            LinkCoreError::BadAnswer(format!("command {cmd} answered status code {st}"))
        })?;
        Ok((st, rdata))
    }

    fn round(
        &mut self,
        reqs: &[Option<Request>],
    ) -> Result<Vec<Option<(u64, Response)>>, Self::Error> {
        let a = self.frame(FrameType::Step, self.step_payload(&[reqs]))?;
        Ok(self.decode_step(&a.payload)?.responses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidekv_defs::link::{LinkParams, SLIP_END};
    use tidekv_defs::Config;

    /// A device that answers every `Info` frame it deframes, except those
    /// it is told to ignore; it keeps every send.
    struct Echo {
        build: BuildConfig,
        deframer: Deframer,
        sends: Vec<Vec<u8>>,
        out: Vec<u8>,
        ignore: usize,
    }

    impl Transport for Echo {
        fn send(&mut self, bytes: &[u8]) -> Result<(), TransportError> {
            self.sends.push(bytes.to_vec());
            let (build, out, ignore) = (&self.build, &mut self.out, &mut self.ignore);
            self.deframer.push_all(bytes, |r| {
                let f = r.expect("the host's frames are well formed");
                if *ignore > 0 {
                    *ignore -= 1;
                } else {
                    Frame::new(
                        FrameType::Info,
                        f.seq,
                        DeviceInfo::new(build, LinkParams::default()).encode(),
                    )
                    .encode_into(out);
                }
            });
            Ok(())
        }
        fn recv(&mut self, _: Duration) -> Result<Vec<u8>, TransportError> {
            Ok(std::mem::take(&mut self.out))
        }
        fn describe(&self) -> String {
            "echo".into()
        }
    }

    /// Frames after the first leave out their opening `END`, until an
    /// answer is lost: the frame after that opens with one again.
    #[test]
    fn opening_end_only_when_the_line_may_be_out_of_step() {
        let build = Config::preset("single-c10").unwrap().build;
        let echo = Echo {
            build: build.clone(),
            deframer: Deframer::new(64),
            sends: vec![],
            out: vec![],
            ignore: 0,
        };
        let mut c = LinkCore::new(echo, build);
        c.timeout = Duration::from_millis(1);
        c.info().unwrap();
        c.info().unwrap();
        c.link.ignore = 1;
        c.info().unwrap(); // Info is idempotent: resent after the lost answer
        c.info().unwrap();
        let opens: Vec<bool> = c.link.sends.iter().map(|s| s[0] == SLIP_END).collect();
        assert_eq!(opens, [true, false, false, true, false]);
        assert!(c.link.sends.iter().all(
            |s| s.last() == Some(&SLIP_END) && s[1..s.len() - 1].iter().all(|&x| x != SLIP_END)
        ));
        assert_eq!(
            c.bytes_out,
            c.link.sends.iter().map(|s| s.len() as u64).sum::<u64>()
        );
    }
}
