//! The CLI over the PCIe path with no card: `sim-pcie:PRESET` (the
//! Verilated device top behind a software mailbox, `Mailbox` over its
//! registers) and `vfio-user:SOCKET` (the same served by `tidekv sim
//! --vfio-user` as BAR 0 of a vfio-user PCI function) answer a stream
//! exactly as `sim:` does, and `pcie:` device
//! strings that name no device, or a BAR that is not a mailbox, fail with
//! a link error (exit 7) that says why.

mod common;
use common::*;

#[test]
fn a_stream_over_the_mailbox_answers_as_over_the_byte_stream() {
    let dir = std::env::temp_dir().join(format!("tidekv-pcie-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("in.jsonl");
    let mut text = String::new();
    for i in 0..600u64 {
        let op = ["put", "get", "insert", "delete", "modify"][(i * 7 % 5) as usize];
        let value = if matches!(op, "put" | "insert" | "modify") {
            format!(", \"value\": {}", i * 31)
        } else {
            String::new()
        };
        text += &format!(
            "{{\"client\": {}, \"op\": \"{op}\", \"key\": {}{value}}}\n",
            i % 10,
            i * 13 % 97
        );
    }
    std::fs::write(&input, text).unwrap();
    let sock = dir.join("tk.sock");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_tidekv"))
        .args([
            "sim",
            "--preset",
            "single-c10",
            "--vfio-user",
            sock.to_str().unwrap(),
        ])
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_socket(&mut server, &sock);
    let vfu = format!("vfio-user:{}", sock.display());
    let mut outs = vec![];
    for dev in ["sim-pcie:single-c10", &vfu, "sim:single-c10"] {
        let out = dir.join(format!("{}.jsonl", outs.len()));
        let o = tidekv_within(
            &[
                "--device",
                dev,
                "stream",
                "--check",
                "-q",
                "-o",
                out.to_str().unwrap(),
                input.to_str().unwrap(),
            ],
            600,
        );
        assert!(
            o.status.success(),
            "{dev}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let said = format!("{}{}", stdout(&o), String::from_utf8_lossy(&o.stderr));
        assert!(said.contains("0 lost"), "{dev}: {said}");
        outs.push(std::fs::read_to_string(&out).unwrap());
    }
    assert_eq!(outs[0].lines().count(), 600);
    assert_eq!(outs[0], outs[2], "the same answers over the mailbox");
    assert_eq!(outs[1], outs[2], "the same answers over vfio-user");
    // The server stops when its client hangs up.
    let t0 = std::time::Instant::now();
    while server.try_wait().unwrap().is_none() {
        assert!(
            t0.elapsed().as_secs() < 30,
            "the vfio-user server did not stop"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pcie_devices_that_are_not_there_or_not_mailboxes_are_named() {
    let o = tidekv_within(&["--device", "pcie:ffff:ff:1f.7", "info"], 60);
    assert_eq!(o.status.code(), Some(7));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("no such device") && e.contains("ffff:ff:1f.7/resource0"),
        "{e}"
    );
    let bar = std::env::temp_dir().join(format!("tidekv-bar-{}", std::process::id()));
    std::fs::write(&bar, vec![0u8; 16384]).unwrap();
    let o = tidekv_within(
        &["--device", &format!("pcie:{}", bar.display()), "info"],
        60,
    );
    assert_eq!(o.status.code(), Some(7));
    assert!(String::from_utf8_lossy(&o.stderr).contains("not a tidekv mailbox"));
    // At an offset in the BAR: the same check there, and offsets that are
    // not a number, not aligned or past the BAR refused.
    let o = tidekv_within(
        &[
            "--device",
            &format!("pcie:{}+0x2000", bar.display()),
            "info",
        ],
        60,
    );
    assert_eq!(o.status.code(), Some(7));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("not a tidekv mailbox") && e.contains("at offset 0x2000"),
        "{e}"
    );
    for (off, code, says) in [
        ("+0x3", 3, "not a multiple of 4"),
        ("+lots", 3, "give a number of bytes"),
        ("+0x8000", 7, "outside"),
    ] {
        let o = tidekv_within(
            &["--device", &format!("pcie:{}{off}", bar.display()), "info"],
            60,
        );
        let e = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(code), "{off}: {e}");
        assert!(e.contains(says), "{off}: {e}");
    }
    let _ = std::fs::remove_file(&bar);
}

/// Wait (at most 10 minutes: it may verilate first) until the `tidekv sim`
/// child serves on `sock`; a child that stops first fails the test at once.
fn wait_for_socket(child: &mut std::process::Child, sock: &std::path::Path) {
    let t0 = std::time::Instant::now();
    while !sock.exists() {
        if let Some(st) = child.try_wait().unwrap() {
            panic!("tidekv sim stopped before serving: {st}");
        }
        assert!(t0.elapsed().as_secs() < 600, "no vfio-user socket");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A `tidekv sim --pcie --vfio-user` server for successive clients (the
/// gateware keeps its state between them, as a card does); killed on drop.
struct Server {
    child: std::process::Child,
    dir: std::path::PathBuf,
    device: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn serve_gateware() -> Server {
    let dir = std::env::temp_dir().join(format!("tidekv-pcie-cmds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sock = dir.join("tk.sock");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tidekv"))
        .args(["sim", "--preset", "single-c10", "--pcie", "--clients", "0"])
        .arg("--vfio-user")
        .arg(&sock)
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_socket(&mut child, &sock);
    Server {
        child,
        device: format!("vfio-user:{}", sock.display()),
        dir,
    }
}

fn ok_on(s: &Server, args: &[&str]) -> String {
    let mut all = vec!["--device", &s.device];
    all.extend_from_slice(args);
    let o = tidekv_within(&all, 300);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    stdout(&o).trim().to_string()
}

/// The device commands over `vfio-user:` to the Verilated gateware:
/// key-value commands, a schedule, a replay byte-identical to the model,
/// and a benchmark.
#[test]
fn every_device_command_over_vfio_user_to_the_gateware() {
    let s = serve_gateware();
    let info: serde_json::Value = serde_json::from_str(&ok_on(&s, &["--json", "info"])).unwrap();
    assert_eq!(info["clients"].as_u64(), Some(10), "{info}");
    assert_eq!(ok_on(&s, &["put", "5", "77"]), "ok");
    assert_eq!(ok_on(&s, &["get", "5"]), "ok 77");
    assert_eq!(ok_on(&s, &["insert", "5", "1"]), "exists");
    assert_eq!(ok_on(&s, &["modify", "5", "78", "--client", "9"]), "ok 77");
    assert_eq!(ok_on(&s, &["delete", "5"]), "ok 78");
    assert_eq!(ok_on(&s, &["get", "5"]), "not_found");
    let sched = s.dir.join("schedule.toml");
    std::fs::write(
        &sched,
        "[schedule]\nreplica_policy = \"key_affine\"\nseed = 9\n",
    )
    .unwrap();
    let l: serde_json::Value = serde_json::from_str(&ok_on(
        &s,
        &["--json", "load-schedule", sched.to_str().unwrap()],
    ))
    .unwrap();
    assert_eq!(l["took_effect"].as_bool(), Some(true), "{l}");
    let shown: serde_json::Value =
        serde_json::from_str(&ok_on(&s, &["--json", "show-schedule"])).unwrap();
    assert_eq!(shown["swap"]["done"].as_bool(), Some(true), "{shown}");
    let trace = "examples/aegir.jsonl";
    let model = tidekv(&["replay", "--preset", "single-c10", trace]);
    assert!(model.status.success() && !model.stdout.is_empty());
    assert_eq!(
        ok_on(&s, &["replay", "--preset", "single-c10", trace]),
        stdout(&model).trim(),
        "the gateware replays as the model"
    );
    let b: serde_json::Value = serde_json::from_str(&ok_on(
        &s,
        &["--json", "bench", "--rounds", "20", "--records", "50"],
    ))
    .unwrap();
    assert_eq!(b["ops"].as_u64(), Some(200), "{b}");
    let st: serde_json::Value = serde_json::from_str(&ok_on(&s, &["--json", "stats"])).unwrap();
    assert_eq!(st["link"]["overrun"].as_u64(), Some(0), "{st}");
    assert_eq!(st["link"]["crc"].as_u64(), Some(0), "{st}");
}

/// `tidekv sim`'s PCIe options refuse what does not go together, before
/// building anything.
#[test]
fn sim_pcie_options_that_do_not_go_together_are_refused() {
    let o = tidekv_within(&["sim", "--preset", "single-c10", "--pcie"], 60);
    assert_eq!(o.status.code(), Some(2), "--pcie alone");
    assert!(String::from_utf8_lossy(&o.stderr).contains("--vfio-user"));
    let o = tidekv_within(
        &[
            "sim",
            "--preset",
            "single-c10",
            "--pcie",
            "--vfio-user",
            "/nonexistent/tk.sock",
            "--uart",
        ],
        60,
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("has no UART"));
    for extra in [&["--soft-mailbox"][..], &["--pcie"], &["--clients", "3"]] {
        let mut args = vec!["sim", "--preset", "single-c10", "--pty"];
        args.extend_from_slice(extra);
        let o = tidekv_within(&args, 60);
        assert_eq!(o.status.code(), Some(3), "{extra:?} without --vfio-user");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("give --vfio-user SOCKET"),
            "{extra:?}"
        );
    }
}
