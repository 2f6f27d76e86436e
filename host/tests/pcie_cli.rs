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
    let t0 = std::time::Instant::now();
    while !sock.exists() {
        assert!(t0.elapsed().as_secs() < 600, "no vfio-user socket");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
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
    let _ = std::fs::remove_file(&bar);
}
