//! The command line against a virtual device (`tidekv sim --pty`), end to
//! end: every device command, `replay --device` byte-identical to the
//! model, errors and their exit codes, and a device that never answers.
//! Every run is bounded by a timeout.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A `tidekv sim` child, killed when dropped.
struct Sim {
    child: Child,
    device: String,
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sim(args: &[&str]) -> Sim {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tidekv"))
        .args(["sim", "--json"])
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start tidekv sim");
    let out = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(out).read_line(&mut line);
        let _ = tx.send(line);
    });
    // The first run verilates the device top (minutes); later ones load it.
    let line = match rx.recv_timeout(Duration::from_secs(900)) {
        Ok(l) => l,
        Err(_) => {
            let _ = child.kill();
            panic!("tidekv sim printed no ready line within 900 s");
        }
    };
    let v: serde_json::Value =
        serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("ready line {line:?}: {e}"));
    let device = v["device"].as_str().expect("a device string").to_string();
    Sim { child, device }
}

fn on(sim: &Sim, args: &[&str]) -> std::process::Output {
    let mut a = vec!["--device", &sim.device];
    a.extend_from_slice(args);
    tidekv_within(&a, 120)
}

fn ok_line(sim: &Sim, args: &[&str]) -> String {
    let o = on(sim, args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(&o).trim().to_string()
}

#[test]
fn every_device_command_over_a_pty() {
    let sim = start_sim(&["--preset", "single-c10", "--pty"]);
    assert!(
        sim.device.starts_with("serial:/dev/pts/") && sim.device.ends_with("@3000000"),
        "{}",
        sim.device
    );

    let info: serde_json::Value =
        serde_json::from_str(&ok_line(&sim, &["--json", "info"])).unwrap();
    assert_eq!(
        (
            info["clients"].as_u64(),
            info["clocks_per_round"].as_u64(),
            info["latency"].as_u64()
        ),
        (Some(10), Some(10), Some(2)),
        "{info}"
    );
    assert!(ok_line(&sim, &["info"]).contains("10 clients"));

    assert_eq!(ok_line(&sim, &["put", "5", "77"]), "ok");
    assert_eq!(ok_line(&sim, &["get", "5"]), "ok 77");
    assert_eq!(ok_line(&sim, &["insert", "5", "1"]), "exists");
    assert_eq!(
        ok_line(&sim, &["modify", "5", "78", "--client", "9"]),
        "ok 77",
        "modify answers the value it replaced"
    );
    let g: serde_json::Value =
        serde_json::from_str(&ok_line(&sim, &["--json", "get", "5", "--client", "3"])).unwrap();
    assert_eq!(
        (
            g["status"].as_str(),
            g["value"].as_u64(),
            g["client"].as_u64()
        ),
        (Some("ok"), Some(78), Some(3)),
        "{g}"
    );
    assert_eq!(
        g["done_round"].as_u64().unwrap(),
        g["round"].as_u64().unwrap() + 2
    );
    assert_eq!(
        ok_line(&sim, &["delete", "5"]),
        "ok 78",
        "delete answers the value it removed"
    );
    assert_eq!(ok_line(&sim, &["get", "5"]), "not_found");

    // The same device through tokio-serial.
    let async_spec = sim.device.replacen("serial:", "serial-async:", 1);
    let o = tidekv_within(&["--device", &async_spec, "get", "5"], 60);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(stdout(&o).trim(), "not_found");

    let s: serde_json::Value = serde_json::from_str(&ok_line(&sim, &["--json", "stats"])).unwrap();
    assert_eq!(s["core"]["get"].as_u64(), Some(4), "{s}");
    assert_eq!(s["core"]["exists"].as_u64(), Some(1), "{s}");
    assert!(
        s["link"]["frames"].as_u64().unwrap() > 10 && s["link"]["crc"].as_u64() == Some(0),
        "{s}"
    );

    assert!(ok_line(&sim, &["fail", "--replica", "0"]).contains("failed"));
    assert!(
        ok_line(&sim, &["fail", "--replica", "0"]).contains("failed"),
        "failing a failed node changes nothing"
    );
    let early = on(&sim, &["recover", "--replica", "0"]);
    assert_eq!(
        early.status.code(),
        Some(8),
        "recovering in the round of the failure"
    );
    assert!(String::from_utf8_lossy(&early.stderr).contains("same round"));
    assert_eq!(
        ok_line(&sim, &["get", "6"]),
        "unavailable",
        "the only server is down"
    );
    assert!(ok_line(&sim, &["recover", "--replica", "0"]).contains("recovered"));
    assert_eq!(ok_line(&sim, &["put", "6", "60"]), "ok");
    assert_eq!(ok_line(&sim, &["get", "6"]), "ok 60");
    let bad = on(&sim, &["recover", "--shard", "3", "--replica", "0"]);
    assert_eq!(bad.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("shards 0..1"));

    // The table as the device holds it: key 6 (the recovered node was
    // emptied: it had no live replica to copy).
    let t: serde_json::Value = serde_json::from_str(&ok_line(&sim, &["--json", "table"])).unwrap();
    assert_eq!(t["entries"].as_u64(), Some(1), "{t}");
    assert_eq!(
        (
            t["table"][0]["key"].as_u64(),
            t["table"][0]["value"].as_u64()
        ),
        (Some(6), Some(60)),
        "{t}"
    );
    assert!(
        ok_line(&sim, &["table", "--all"]).contains("node 0/0 (up): 1 entries"),
        "table --all"
    );
    let bad = on(&sim, &["table", "--replica", "1"]);
    assert_eq!(bad.status.code(), Some(3));
    let wide = on(&sim, &["put", "4294967296", "1"]);
    assert_eq!(wide.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&wide.stderr).contains("32-bit keys"));

    // A trace replayed on the device (after its reset) prints the model's bytes.
    {
        let trace = "examples/aegir.jsonl";
        let model = tidekv(&["replay", "--preset", "single-c10", trace]);
        let dev = on(&sim, &["replay", "--preset", "single-c10", trace]);
        assert!(
            model.status.success() && dev.status.success(),
            "{}",
            String::from_utf8_lossy(&dev.stderr)
        );
        assert!(!model.stdout.is_empty());
        assert_eq!(
            stdout(&dev),
            stdout(&model),
            "{trace}: device and model differ"
        );
    }
    let wrong = on(
        &sim,
        &[
            "replay",
            "--preset",
            "sharded-c10-s4",
            "examples/aegir.jsonl",
        ],
    );
    assert_eq!(wrong.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("built for"));

    // The single server failing and recovering empties its table: the
    // stream's check finds the acknowledged writes lost (exit 8).
    let w = tidekv(&[
        "workload",
        "--preset",
        "single-c10",
        "--records",
        "50",
        "--load",
        "--requests",
        "100",
        "--fail",
        "0/0@50",
        "--recover",
        "0/0@60",
    ]);
    let wf = temp_file("single-workload.jsonl", &stdout(&w));
    let o = on(
        &sim,
        &["stream", wf.to_str().unwrap(), "--check", "--quiet"],
    );
    assert_eq!(
        o.status.code(),
        Some(8),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("acknowledged write(s) lost"));
    // Stop-and-wait: one frame in flight.
    let b: serde_json::Value = serde_json::from_str(&ok_line(
        &sim,
        &[
            "--json",
            "bench",
            "--stop-and-wait",
            "--rounds",
            "20",
            "--records",
            "50",
        ],
    ))
    .unwrap();
    assert_eq!(
        (b["ops"].as_u64(), b["window_bytes"].as_u64()),
        (Some(200), Some(0)),
        "{b}"
    );
}

#[test]
fn bad_device_strings_and_a_silent_device() {
    let o = tidekv(&["--device", "usb:x", "info"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown kind"));
    let o = tidekv(&["info"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("needs --device"));
    let o = tidekv(&["--device", "serial:/dev/nonexistent-tidekv", "info"]);
    assert_eq!(o.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot open serial port"));

    // A pty nobody answers on: a bounded wait, then an error that says so.
    let (_master, slave) = serialport::TTYPort::pair().unwrap();
    let path = serialport::SerialPort::name(&slave).unwrap();
    let spec = format!("serial:{path}");
    let o = tidekv_within(&["--device", &spec, "--timeout-ms", "100", "info"], 30);
    assert_eq!(
        o.status.code(),
        Some(7),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("no answer to the info frame"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn json_of(sim: &Sim, args: &[&str]) -> serde_json::Value {
    let line = ok_line(sim, args);
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("{args:?} printed {line:?}: {e}"))
}

fn device_round(sim: &Sim) -> u64 {
    json_of(sim, &["--json", "info"])["round"].as_u64().unwrap()
}

#[test]
fn schedules_streams_and_benches_over_a_pty() {
    let sim = start_sim(&["--preset", "replicated-c10-s2-r3", "--pty"]);

    // A schedule: loaded, read back, verified, swapped and confirmed.
    let l = json_of(
        &sim,
        &["--json", "load-schedule", "examples/schedule-halves.toml"],
    );
    assert_eq!(l["took_effect"].as_bool(), Some(true), "{l}");
    let s = json_of(&sim, &["--json", "show-schedule"]);
    let halves: Vec<u64> = (0..256).map(|b| u64::from(b >= 128)).collect();
    let map: Vec<u64> = s["shard_map"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(map, halves, "the active shard map is the file's");
    assert_eq!(
        (
            s["swap"]["took_effect"].as_bool(),
            s["swap"]["round"].as_u64()
        ),
        (Some(true), l["round"].as_u64()),
        "{s}"
    );

    // Bad schedules: a clear error, and nothing changes on the device.
    let round = device_round(&sim);
    let other_build = temp_file(
        "other-build.toml",
        tidekv_defs::config::preset_text("single-c10").unwrap(),
    );
    let o = on(&sim, &["load-schedule", other_build.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("built for"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let short = temp_file("short-map.toml", "[schedule]\nshard_map = [0, 1]\n");
    let o = on(&sim, &["load-schedule", short.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("schedule.shard_map"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let bad_shard = temp_file(
        "bad-shard.toml",
        &format!("[schedule]\nshard_map = [{}]\n", vec!["2"; 256].join(", ")),
    );
    let o = on(&sim, &["load-schedule", bad_shard.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "shard 2 of 2 shards");
    let o = on(
        &sim,
        &[
            "load-schedule",
            "examples/schedule-halves.toml",
            "--round",
            "0",
        ],
    );
    assert_eq!(o.status.code(), Some(3), "a round that has passed");
    assert!(String::from_utf8_lossy(&o.stderr).contains("already in round"));
    assert_eq!(device_round(&sim), round, "refused schedules run nothing");
    assert_eq!(
        json_of(&sim, &["--json", "show-schedule"])["shard_map"],
        s["shard_map"],
        "and change nothing"
    );

    // A stream with a replica failing and recovering: answered in order,
    // at +4 rounds, and no acknowledged write lost.
    let w = tidekv(&[
        "workload",
        "--preset",
        "replicated-c10-s2-r3",
        "--records",
        "100",
        "--load",
        "--requests",
        "900",
        "--fail",
        "1/2@300",
        "--recover",
        "1/2@600",
    ]);
    assert!(w.status.success(), "{}", String::from_utf8_lossy(&w.stderr));
    let wf = temp_file("workload.jsonl", &stdout(&w));
    assert_eq!(
        stdout(&w).lines().filter(|l| l.contains("\"op\"")).count(),
        1000
    );
    let o = on(
        &sim,
        &["stream", wf.to_str().unwrap(), "--check", "--quiet"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("keys read back, 0 lost"), "{err}");
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1000);
    assert!(lines
        .iter()
        .all(|v| v["done_round"].as_u64().unwrap() == v["round"].as_u64().unwrap() + 4));
    assert!(lines
        .windows(2)
        .all(|p| (p[0]["round"].as_u64(), p[0]["client"].as_u64())
            < (p[1]["round"].as_u64(), p[1]["client"].as_u64())));

    // A bad line: named, and nothing runs.
    let round = device_round(&sim);
    let bad = temp_file("bad.jsonl", "{\"client\": 0, \"op\": \"get\", \"key\": 1}\n{\"client\": 10, \"op\": \"get\", \"key\": 1}\n");
    let o = on(&sim, &["stream", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("line 2: client 10 is out of range"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(device_round(&sim), round, "a bad stream runs nothing");

    // The benchmark: its JSON keys, latencies, and a goodput on a serial link.
    let b = json_of(
        &sim,
        &[
            "--json",
            "bench",
            "--workload",
            "f",
            "--keys",
            "uniform",
            "--rounds",
            "40",
            "--records",
            "100",
        ],
    );
    assert_eq!(b["ops"].as_u64(), Some(400), "{b}");
    for k in ["ops_per_s", "p50_us", "p99_us", "p999_us", "goodput_ratio"] {
        assert!(b[k].as_f64().is_some_and(|v| v > 0.0), "{k} in {b}");
    }
    assert!(
        b["p50_us"].as_f64() <= b["p99_us"].as_f64()
            && b["p99_us"].as_f64() <= b["p999_us"].as_f64(),
        "{b}"
    );
    assert_eq!(b["p99_rounds"].as_u64(), Some(4));
    assert_eq!(
        b["statuses"]["ok"].as_u64(),
        Some(400),
        "every record was loaded, so every modify and get finds its key: {b}"
    );

    // Generator mode on the device equals the model.
    let h = json_of(
        &sim,
        &["--json", "hwbench", "--rounds", "300", "--seed", "9"],
    );
    assert_eq!(
        (h["equal"].as_bool(), h["requests"].as_u64()),
        (Some(true), Some(3000)),
        "{h}"
    );

    // A swap armed far ahead: show-schedule tells, and the next load is refused until it has happened.
    let far = device_round(&sim) + 1_000_000_000;
    let l = json_of(
        &sim,
        &[
            "--json",
            "load-schedule",
            "examples/schedule-halves.toml",
            "--round",
            &far.to_string(),
            "--no-wait",
        ],
    );
    assert_eq!(l["took_effect"], serde_json::Value::Null);
    let s = json_of(&sim, &["--json", "show-schedule"]);
    assert_eq!(
        (s["swap"]["armed"].as_bool(), s["swap"]["round"].as_u64()),
        (Some(true), Some(far)),
        "{s}"
    );
    let o = on(&sim, &["load-schedule", "examples/schedule-halves.toml"]);
    assert_eq!(
        o.status.code(),
        Some(8),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
