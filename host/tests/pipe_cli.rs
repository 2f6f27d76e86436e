//! A reader that closes the pipe early (`tidekv workload ... | head -1`)
//! ends the process quietly by SIGPIPE, as other Unix tools end, not with a
//! panic from `println!` (exit 101).

mod common;
use common::*;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;

#[test]
fn a_closed_pipe_ends_the_process_quietly() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tidekv"))
        .args([
            "workload",
            "--preset",
            "single-c10",
            "--records",
            "10",
            "--requests",
            "2000000",
        ])
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 64];
    out.read_exact(&mut first).unwrap();
    drop(out);
    let t0 = std::time::Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            t0.elapsed().as_secs() < 60,
            "tidekv kept writing to a closed pipe"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.signal(), Some(libc_sigpipe()), "{status:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// SIGPIPE's number on Linux.
fn libc_sigpipe() -> i32 {
    13
}
