//! `tidekv` for Python: the host driver (`tidekv_host`) behind a pyo3
//! module, built by maturin (`host/python/pyproject.toml`). What it returns
//! is what the CLI's `--json` prints, as Python values: requests and
//! answers are SPEC section 8's trace lines as dicts, statuses are SPEC's
//! names. Errors are Python exceptions carrying the driver's messages, one
//! class per kind of `tidekv_host::Error` (and per CLI exit code).

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};
use std::io::{BufRead, Read, Write};
use std::path::PathBuf;
use std::time::Duration;
use tidekv_defs::trace::{self, Trace};
use tidekv_defs::{Config, Op, ReplicaPolicy, Request, Schedule};
use tidekv_host::client::{self, DEFAULT_TIMEOUT};
use tidekv_host::replay::{self as replaying, Backend};
use tidekv_host::transport::DeviceSpec;
use tidekv_host::{stream, ConfigSource, Error as HostError};

pyo3::create_exception!(
    tidekv,
    Error,
    PyException,
    "Anything tidekv fails with; the message says what to do."
);
pyo3::create_exception!(tidekv, InputError, Error, "Bad input (a configuration, trace, request, schedule or argument): nothing was run (CLI exit 3).");
pyo3::create_exception!(
    tidekv,
    ReadError,
    Error,
    "A file could not be read (CLI exit 4)."
);
pyo3::create_exception!(
    tidekv,
    OutputError,
    Error,
    "The output could not be written (CLI exit 5)."
);
pyo3::create_exception!(
    tidekv,
    VerilatorError,
    Error,
    "The Verilator backend failed to build or run (CLI exit 6)."
);
pyo3::create_exception!(tidekv, LinkError, Error, "The link failed: no answer in time, corrupted frames, a port that cannot be opened (CLI exit 7).");
pyo3::create_exception!(
    tidekv,
    DeviceError,
    Error,
    "The device refused a command or answered wrongly (CLI exit 8)."
);

/// The exception for a driver error, by its kind.
fn py_err(e: HostError) -> PyErr {
    let msg = e.to_string();
    match e {
        HostError::Config(_) | HostError::Trace { .. } | HostError::Usage(_) => {
            InputError::new_err(msg)
        }
        HostError::Read { .. } => ReadError::new_err(msg),
        HostError::Output(_) => OutputError::new_err(msg),
        HostError::Verilator(_) => VerilatorError::new_err(msg),
        HostError::Link(_) | HostError::Transport(_) => LinkError::new_err(msg),
        HostError::Device(_) => DeviceError::new_err(msg),
    }
}

/// A JSON text as Python values (`json.loads`).
fn loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (text,))
}

fn json<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    loads(py, &v.to_string())
}

/// One input item as a JSON line: a `str` as it is, anything else through `json.dumps`.
fn line_of(item: &Bound<'_, PyAny>) -> PyResult<String> {
    if item.is_instance_of::<PyString>() {
        return item.extract();
    }
    item.py()
        .import("json")?
        .call_method1("dumps", (item,))?
        .extract()
}

/// Every item of `items` as one JSON-lines text.
fn lines_text(items: &Bound<'_, PyAny>) -> PyResult<String> {
    let mut text = String::new();
    for item in items.try_iter()? {
        text.push_str(&line_of(&item?)?);
        text.push('\n');
    }
    Ok(text)
}

/// Output lines (SPEC section 8's) turned into dicts and handed to `sink`.
struct Answers<'py, F: FnMut(Bound<'py, PyAny>) -> PyResult<()>> {
    py: Python<'py>,
    pending: Vec<u8>,
    sink: F,
    failed: Option<PyErr>,
}

impl<'py, F: FnMut(Bound<'py, PyAny>) -> PyResult<()>> Answers<'py, F> {
    fn new(py: Python<'py>, sink: F) -> Self {
        Answers {
            py,
            pending: Vec::new(),
            sink,
            failed: None,
        }
    }

    /// The error to raise for a failed run: a Python exception raised
    /// while taking answers (or input) comes first.
    fn error(&mut self, e: HostError) -> PyErr {
        self.failed.take().unwrap_or_else(|| py_err(e))
    }
}

impl<'py, F: FnMut(Bound<'py, PyAny>) -> PyResult<()>> Write for Answers<'py, F> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let text = String::from_utf8_lossy(&line[..end]);
            let taken = loads(self.py, &text).and_then(|d| (self.sink)(d));
            if let Err(e) = taken {
                self.failed = Some(e);
                return Err(std::io::Error::other(
                    "a Python exception while taking an answer",
                ));
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A Python iterable of requests read as JSON lines, one item at a time.
struct Items<'py> {
    it: Bound<'py, pyo3::types::PyIterator>,
    buf: Vec<u8>,
    pos: usize,
    failed: Option<PyErr>,
}

impl Read for Items<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = {
            let got = self.fill_buf()?;
            let n = got.len().min(out.len());
            out[..n].copy_from_slice(&got[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl BufRead for Items<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.pos >= self.buf.len() {
            self.buf.clear();
            self.pos = 0;
            match self.it.next() {
                None => {}
                Some(item) => match item.and_then(|i| line_of(&i)) {
                    Ok(line) => {
                        self.buf.extend_from_slice(line.as_bytes());
                        self.buf.push(b'\n');
                    }
                    Err(e) => {
                        self.failed = Some(e);
                        return Err(std::io::Error::other(
                            "a Python exception while reading the requests",
                        ));
                    }
                },
            }
        }
        Ok(&self.buf[self.pos..])
    }

    fn consume(&mut self, n: usize) {
        self.pos += n;
    }
}

/// Where a configuration for `replay` comes from.
fn config_source(
    preset: Option<String>,
    config: Option<PathBuf>,
) -> PyResult<Option<ConfigSource>> {
    match (preset, config) {
        (Some(_), Some(_)) => Err(InputError::new_err("give preset= or config=, not both")),
        (Some(p), None) => Ok(Some(ConfigSource::Preset(p))),
        (None, Some(f)) => Ok(Some(ConfigSource::File(f))),
        (None, None) => Ok(None),
    }
}

/// A trace given as a path (str or os.PathLike) or as an iterable of lines
/// (dicts or JSON strings), parsed for `cfg`.
fn read_trace(trace: &Bound<'_, PyAny>, cfg: &Config) -> PyResult<Trace> {
    if trace.is_instance_of::<PyString>() || trace.hasattr("__fspath__")? {
        let path: PathBuf = trace.extract()?;
        return tidekv_host::load_trace(&path, cfg).map_err(py_err);
    }
    let text = lines_text(trace)?;
    trace::parse(&text, &cfg.build, &cfg.schedule).map_err(|source| {
        py_err(HostError::Trace {
            path: "the trace".into(),
            source,
        })
    })
}

/// Run a replay and return its output lines as dicts.
fn replay_into<'py>(
    py: Python<'py>,
    run: impl FnOnce(&mut dyn Write) -> tidekv_host::Result<replaying::Summary>,
) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    let mut out = Answers::new(py, |d| list.append(d));
    match run(&mut out) {
        Ok(_) => Ok(list),
        Err(e) => Err(out.error(e)),
    }
}

/// Replay a trace on the reference model or on the generated core in
/// Verilator; a list of dicts, SPEC section 8's output lines.
#[pyfunction]
#[pyo3(signature = (trace, preset=None, config=None, backend="model", replica_policy=None, seed=None, vcd=None))]
#[allow(clippy::too_many_arguments)] // Python's keyword arguments, one parameter each
fn replay<'py>(
    py: Python<'py>,
    trace: &Bound<'py, PyAny>,
    preset: Option<String>,
    config: Option<PathBuf>,
    backend: &str,
    replica_policy: Option<&str>,
    seed: Option<u64>,
    vcd: Option<PathBuf>,
) -> PyResult<Bound<'py, PyList>> {
    let src = config_source(preset, config)?.ok_or_else(|| {
        InputError::new_err("replay needs preset= or config= (the configuration the trace runs on)")
    })?;
    let policy = replica_policy
        .map(|p| {
            p.parse::<ReplicaPolicy>()
                .map_err(|e| InputError::new_err(format!("replica_policy={p:?}: {e}")))
        })
        .transpose()?;
    let cfg = tidekv_host::load_config(&src, policy, seed).map_err(py_err)?;
    let trace = read_trace(trace, &cfg)?;
    let backend = match (backend, vcd) {
        ("model", None) => Backend::Model,
        ("model", Some(_)) => {
            return Err(InputError::new_err(
                "vcd= needs backend=\"verilator\" (the model has no waveform)",
            ))
        }
        ("verilator", vcd) => Backend::Verilator { source: src, vcd },
        (b, _) => {
            return Err(InputError::new_err(format!(
            "backend={b:?}: give \"model\" or \"verilator\" (a device replays with Device.replay)"
        )))
        }
    };
    replay_into(py, |out| replaying::replay(backend, &cfg, &trace, out))
}

/// A tidekv device: a board (`serial:PATH[@BAUD]`), a virtual device
/// (`tcp:HOST:PORT`, or `serial:` to its pty), or `sim:PRESET`, the
/// Verilated device top in this process.
#[pyclass(unsendable, module = "tidekv")]
struct Device {
    dev: Option<client::Device>,
    spec: String,
}

impl Device {
    fn dev(&mut self) -> PyResult<&mut client::Device> {
        self.dev
            .as_mut()
            .ok_or_else(|| InputError::new_err(format!("the device {} is closed", self.spec)))
    }

    fn ask(
        &mut self,
        op: Op,
        key: u64,
        value: u64,
        client: u32,
    ) -> PyResult<(String, Option<u64>)> {
        let a = self
            .dev()?
            .request(client, Request { op, key, value })
            .map_err(py_err)?;
        Ok((a.response.status.to_string(), a.response.value))
    }

    /// Stream items through the device, answers to `sink`.
    fn run_stream<'py>(
        &mut self,
        py: Python<'py>,
        name: &str,
        items: &mut dyn Iterator<Item = tidekv_host::Result<stream::Item>>,
        window: Option<usize>,
        check: bool,
        sink: impl FnMut(Bound<'py, PyAny>) -> PyResult<()>,
    ) -> PyResult<stream::StreamSummary> {
        let d = self.dev()?;
        let window = d.window_bytes(window);
        let mut out = Answers::new(py, sink);
        match stream::stream_items(d, name, items, &mut out, window, check, |_, _| {}) {
            Ok(s) => Ok(s),
            Err(e) => Err(out.error(e)),
        }
    }
}

#[pymethods]
impl Device {
    /// Connect to `spec` (the CLI's `--device` strings) and ask the device
    /// who it is; `timeout_ms` bounds the wait for every answer.
    #[new]
    #[pyo3(signature = (spec, timeout_ms=DEFAULT_TIMEOUT.as_millis() as u64))]
    fn new(spec: &str, timeout_ms: u64) -> PyResult<Device> {
        let parsed: DeviceSpec = spec.parse().map_err(py_err)?;
        let dev = client::Device::open(&parsed, Duration::from_millis(timeout_ms.max(1)))
            .map_err(py_err)?;
        Ok(Device {
            dev: Some(dev),
            spec: spec.to_string(),
        })
    }

    /// The device string this was opened with.
    #[getter]
    fn spec(&self) -> String {
        self.spec.clone()
    }

    /// Client ports.
    #[getter]
    fn clients(&mut self) -> PyResult<u32> {
        Ok(self.dev()?.clients())
    }

    /// Rounds from a request's issue to its answer.
    #[getter]
    fn latency(&mut self) -> PyResult<u32> {
        Ok(self.dev()?.info.latency)
    }

    /// What `tidekv info --json` prints: the build, T, clock, baud, build hash, round.
    fn info<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = self.dev()?.info_json().map_err(py_err)?;
        json(py, &v)
    }

    /// The round the device is in (the next round a request runs in).
    fn round(&mut self) -> PyResult<u64> {
        self.dev()?.round().map_err(py_err)
    }

    /// Read `key`: `(status, value)`.
    #[pyo3(signature = (key, client=0))]
    fn get(&mut self, key: u64, client: u32) -> PyResult<(String, Option<u64>)> {
        self.ask(Op::Get, key, 0, client)
    }

    /// Write `key`, inserting it if absent: `(status, value)`.
    #[pyo3(signature = (key, value, client=0))]
    fn put(&mut self, key: u64, value: u64, client: u32) -> PyResult<(String, Option<u64>)> {
        self.ask(Op::Put, key, value, client)
    }

    /// Insert `key`, which must be absent: `(status, value)`.
    #[pyo3(signature = (key, value, client=0))]
    fn insert(&mut self, key: u64, value: u64, client: u32) -> PyResult<(String, Option<u64>)> {
        self.ask(Op::Insert, key, value, client)
    }

    /// Change `key`, which must be present: `(status, value)`.
    #[pyo3(signature = (key, value, client=0))]
    fn modify(&mut self, key: u64, value: u64, client: u32) -> PyResult<(String, Option<u64>)> {
        self.ask(Op::Modify, key, value, client)
    }

    /// Remove `key`: `(status, value)`.
    #[pyo3(signature = (key, client=0))]
    fn delete(&mut self, key: u64, client: u32) -> PyResult<(String, Option<u64>)> {
        self.ask(Op::Delete, key, 0, client)
    }

    /// One request by op name (`get`, `put`, `insert`, `modify`, `delete`).
    #[pyo3(signature = (op, key, value=0, client=0))]
    fn request(
        &mut self,
        op: &str,
        key: u64,
        value: u64,
        client: u32,
    ) -> PyResult<(String, Option<u64>)> {
        let op: Op = op
            .parse()
            .map_err(|e| InputError::new_err(format!("op {op:?}: {e}")))?;
        self.ask(op, key, value, client)
    }

    /// Run a batch of requests free-running (each client's in order, every
    /// client's next request issued each round) and return their answers,
    /// SPEC section 8's output lines as dicts, in (round, client) order.
    /// Items are dicts or JSON strings: `{"client": 0, "op": "put", "key":
    /// 1, "value": 2}`, and the events `{"fail": {...}}`, `{"recover":
    /// {...}}`, `{"schedule": {...}}`. The whole batch is checked before
    /// anything runs.
    #[pyo3(signature = (requests, window=None))]
    fn batch<'py>(
        &mut self,
        py: Python<'py>,
        requests: &Bound<'py, PyAny>,
        window: Option<usize>,
    ) -> PyResult<Bound<'py, PyList>> {
        let text = lines_text(requests)?;
        let name = "the batch";
        let items = stream::parse_all(&text, self.dev()?, name).map_err(py_err)?;
        let list = PyList::empty(py);
        self.run_stream(
            py,
            name,
            &mut items.into_iter().map(Ok),
            window,
            false,
            |d| list.append(d),
        )?;
        Ok(list)
    }

    /// Stream requests (an iterable of dicts or JSON strings, as `batch`
    /// takes, read lazily) through the device; each answer (a dict) goes to
    /// `on_answer` as it comes. Returns the summary `tidekv stream --json`
    /// prints (requests, events, seconds, ops_per_s, p50_us, p99_us,
    /// statuses, and with `check` the read-back of every acknowledged
    /// write). Requests run in batches of 65536: a bad item raises
    /// InputError after the batches before it have run.
    #[pyo3(signature = (requests, on_answer=None, window=None, check=false))]
    fn stream<'py>(
        &mut self,
        py: Python<'py>,
        requests: &Bound<'py, PyAny>,
        on_answer: Option<Bound<'py, PyAny>>,
        window: Option<usize>,
        check: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut items = Items {
            it: requests.try_iter()?,
            buf: Vec::new(),
            pos: 0,
            failed: None,
        };
        let sink = |d: Bound<'py, PyAny>| match &on_answer {
            Some(f) => f.call1((d,)).map(|_| ()),
            None => Ok(()),
        };
        let name = "the requests";
        let mut reader = stream::read_items(&mut items, self.dev()?, name);
        let r = self.run_stream(py, name, &mut reader, window, check, sink);
        drop(reader);
        if let Some(e) = items.failed.take() {
            return Err(e);
        }
        let sum = r?;
        json(
            py,
            &serde_json::to_value(&sum).expect("a summary serialises"),
        )
    }

    /// Load a schedule (a TOML file with a `[schedule]` table): validate it
    /// against the device's build, stage, read back, verify, swap at
    /// `round` (default: the next round), and with `wait` run up to that
    /// round and confirm. Returns what `tidekv load-schedule --json` prints.
    #[pyo3(signature = (path, round=None, wait=true))]
    fn load_schedule<'py>(
        &mut self,
        py: Python<'py>,
        path: PathBuf,
        round: Option<u64>,
        wait: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let d = self.dev()?;
        let s = tidekv_host::schedule::read_schedule_file(&path, d).map_err(py_err)?;
        let l = tidekv_host::schedule::load(d, &s, round, wait).map_err(py_err)?;
        json(py, &l.to_json(&path.display().to_string()))
    }

    /// The active (or with `shadow`, the staged) shard map and the last
    /// swap, as `tidekv show-schedule --json` prints them.
    #[pyo3(signature = (shadow=false))]
    fn show_schedule<'py>(&mut self, py: Python<'py>, shadow: bool) -> PyResult<Bound<'py, PyAny>> {
        let s = tidekv_host::schedule::show(self.dev()?, !shadow).map_err(py_err)?;
        json(py, &s.to_json())
    }

    /// Crash-stop replica `replica` of `shard`.
    #[pyo3(signature = (replica, shard=0))]
    fn fail<'py>(
        &mut self,
        py: Python<'py>,
        replica: u32,
        shard: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = self
            .dev()?
            .set_failed_json(shard, replica, true)
            .map_err(py_err)?;
        json(py, &v)
    }

    /// Bring replica `replica` of `shard` back (its table copied from a live replica).
    #[pyo3(signature = (replica, shard=0))]
    fn recover<'py>(
        &mut self,
        py: Python<'py>,
        replica: u32,
        shard: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let v = self
            .dev()?
            .set_failed_json(shard, replica, false)
            .map_err(py_err)?;
        json(py, &v)
    }

    /// The core's counters and the link's: `{"core": {...}, "link": {...}}`
    /// (`clear`: clear the link counters after reading them).
    #[pyo3(signature = (clear=false))]
    fn stats<'py>(&mut self, py: Python<'py>, clear: bool) -> PyResult<Bound<'py, PyAny>> {
        let v = self.dev()?.stats_json(clear).map_err(py_err)?;
        json(py, &v)
    }

    /// Replay a trace on the device, stepped: it is reset (tables emptied,
    /// round 0) and the configuration's schedule put in force, then every
    /// round runs as the trace names it. `trace` is a path or an iterable
    /// of trace lines (dicts or JSON strings). The configuration is
    /// `preset=`/`config=`, or by default the device's build with its
    /// default schedule. Returns SPEC section 8's output lines as dicts,
    /// identical to `replay` on the model for the same trace and configuration.
    #[pyo3(signature = (trace, preset=None, config=None))]
    fn replay<'py>(
        &mut self,
        py: Python<'py>,
        trace: &Bound<'py, PyAny>,
        preset: Option<String>,
        config: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyList>> {
        let cfg = match config_source(preset, config)? {
            Some(src) => tidekv_host::load_config(&src, None, None).map_err(py_err)?,
            None => {
                let build = self.dev()?.info.build.clone();
                Config {
                    name: self.spec.clone(),
                    schedule: Schedule::default_for(&build),
                    build,
                }
            }
        };
        let trace = read_trace(trace, &cfg)?;
        let d = self.dev()?;
        replay_into(py, |out| replaying::replay_device(d, &cfg, &trace, out))
    }

    /// Close the connection (a `sim:` device stops). Later calls raise InputError.
    fn close(&mut self) {
        self.dev = None;
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close();
        false
    }

    fn __repr__(&self) -> String {
        match &self.dev {
            Some(d) => format!("tidekv.Device({:?}): {}", self.spec, d.info.build.summary()),
            None => format!("tidekv.Device({:?}): closed", self.spec),
        }
    }
}

/// The statuses a response can carry, in code order (SPEC's names).
fn statuses() -> Vec<String> {
    tidekv_defs::Status::ALL
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// The ops, in code order.
fn ops() -> Vec<String> {
    Op::ALL.iter().map(|o| o.to_string()).collect()
}

#[pymodule]
fn _tidekv(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Device>()?;
    m.add_function(wrap_pyfunction!(replay, m)?)?;
    m.add("Error", py.get_type::<Error>())?;
    m.add("InputError", py.get_type::<InputError>())?;
    m.add("ReadError", py.get_type::<ReadError>())?;
    m.add("OutputError", py.get_type::<OutputError>())?;
    m.add("VerilatorError", py.get_type::<VerilatorError>())?;
    m.add("LinkError", py.get_type::<LinkError>())?;
    m.add("DeviceError", py.get_type::<DeviceError>())?;
    m.add("STATUSES", statuses())?;
    m.add("OPS", ops())?;
    let presets: Vec<&str> = tidekv_defs::config::presets()
        .iter()
        .map(|(n, _)| *n)
        .collect();
    m.add("PRESETS", presets)?;
    Ok(())
}
