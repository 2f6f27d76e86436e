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
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("ready line {line:?}: {e}"));
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
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    stdout(&o).trim().to_string()
}

#[test]
fn every_device_command_over_a_pty() {
    let sim = start_sim(&["--preset", "single-c10", "--pty"]);
    assert!(sim.device.starts_with("serial:/dev/pts/") && sim.device.ends_with("@3000000"), "{}", sim.device);

    let info: serde_json::Value = serde_json::from_str(&ok_line(&sim, &["--json", "info"])).unwrap();
    assert_eq!((info["clients"].as_u64(), info["clocks_per_round"].as_u64(), info["latency"].as_u64()), (Some(10), Some(10), Some(2)), "{info}");
    assert!(ok_line(&sim, &["info"]).contains("10 clients"));

    assert_eq!(ok_line(&sim, &["put", "5", "77"]), "ok");
    assert_eq!(ok_line(&sim, &["get", "5"]), "ok 77");
    assert_eq!(ok_line(&sim, &["insert", "5", "1"]), "exists");
    assert_eq!(ok_line(&sim, &["modify", "5", "78", "--client", "9"]), "ok 77", "modify answers the value it replaced");
    let g: serde_json::Value = serde_json::from_str(&ok_line(&sim, &["--json", "get", "5", "--client", "3"])).unwrap();
    assert_eq!((g["status"].as_str(), g["value"].as_u64(), g["client"].as_u64()), (Some("ok"), Some(78), Some(3)), "{g}");
    assert_eq!(g["done_round"].as_u64().unwrap(), g["round"].as_u64().unwrap() + 2);
    assert_eq!(ok_line(&sim, &["delete", "5"]), "ok 78", "delete answers the value it removed");
    assert_eq!(ok_line(&sim, &["get", "5"]), "not_found");

    let s: serde_json::Value = serde_json::from_str(&ok_line(&sim, &["--json", "stats"])).unwrap();
    assert_eq!(s["core"]["get"].as_u64(), Some(3), "{s}");
    assert_eq!(s["core"]["exists"].as_u64(), Some(1), "{s}");
    assert!(s["link"]["frames"].as_u64().unwrap() > 10 && s["link"]["crc"].as_u64() == Some(0), "{s}");

    assert!(ok_line(&sim, &["fail", "--replica", "0"]).contains("failed"));
    assert!(ok_line(&sim, &["fail", "--replica", "0"]).contains("failed"), "failing a failed node changes nothing");
    let early = on(&sim, &["recover", "--replica", "0"]);
    assert_eq!(early.status.code(), Some(8), "recovering in the round of the failure");
    assert!(String::from_utf8_lossy(&early.stderr).contains("same round"));
    assert_eq!(ok_line(&sim, &["get", "6"]), "unavailable", "the only server is down");
    assert!(ok_line(&sim, &["recover", "--replica", "0"]).contains("recovered"));
    assert_eq!(ok_line(&sim, &["put", "6", "60"]), "ok");
    assert_eq!(ok_line(&sim, &["get", "6"]), "ok 60");
    let bad = on(&sim, &["recover", "--shard", "3", "--replica", "0"]);
    assert_eq!(bad.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("shards 0..1"));
    let wide = on(&sim, &["put", "4294967296", "1"]);
    assert_eq!(wide.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&wide.stderr).contains("32-bit keys"));

    // A trace replayed on the device (after its reset) prints the model's bytes.
    for trace in ["examples/aegir.jsonl"] {
        let model = tidekv(&["replay", "--preset", "single-c10", trace]);
        let dev = on(&sim, &["replay", "--preset", "single-c10", trace]);
        assert!(model.status.success() && dev.status.success(), "{}", String::from_utf8_lossy(&dev.stderr));
        assert!(!model.stdout.is_empty());
        assert_eq!(stdout(&dev), stdout(&model), "{trace}: device and model differ");
    }
    let wrong = on(&sim, &["replay", "--preset", "sharded-c10-s4", "examples/aegir.jsonl"]);
    assert_eq!(wrong.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("built for"));
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
    assert_eq!(o.status.code(), Some(7), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no answer to the info frame"), "{}", String::from_utf8_lossy(&o.stderr));
}
