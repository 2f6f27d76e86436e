//! `tidekv replay` end to end: the binary, its output bytes, its errors and
//! exit codes. Every run is bounded by a timeout.

mod common;
use common::*;

#[test]
fn aegir_on_single_server_is_exact_at_plus_2() {
    let o = tidekv(&["replay", "--preset", "single-c10", "examples/aegir.jsonl"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 40);
    assert_eq!(
        lines[0],
        r#"{"round": 0, "client": 0, "op": "insert", "key": 7, "status": "ok", "value": 100, "done_round": 2}"#
    );
    assert_eq!(
        lines[1],
        r#"{"round": 0, "client": 1, "op": "insert", "key": 7, "status": "exists", "value": null, "done_round": 2}"#
    );
    assert_eq!(
        lines[10],
        r#"{"round": 1, "client": 0, "op": "modify", "key": 7, "status": "ok", "value": 100, "done_round": 3}"#
    );
    assert_eq!(
        lines[19],
        r#"{"round": 1, "client": 9, "op": "modify", "key": 7, "status": "ok", "value": 208, "done_round": 3}"#
    );
    assert_eq!(
        lines[29],
        r#"{"round": 2, "client": 9, "op": "get", "key": 7, "status": "ok", "value": 209, "done_round": 4}"#
    );
    assert_eq!(
        lines[33],
        r#"{"round": 4, "client": 3, "op": "put", "key": 8, "status": "ok", "value": null, "done_round": 6}"#
    );
    assert!(out.ends_with('\n'));
}

#[test]
fn aegir_on_hierarchical_fe_is_exact_at_plus_6() {
    let single = stdout(&tidekv(&[
        "replay",
        "--preset",
        "single-c10",
        "examples/aegir.jsonl",
    ]));
    let o = tidekv(&[
        "replay",
        "--preset",
        "hier-c10-h2-s4",
        "examples/aegir.jsonl",
    ]);
    assert!(o.status.success());
    let hier = stdout(&o);
    // Same answers, four rounds later.
    let shifted: Vec<String> = single
        .lines()
        .map(|l| {
            let (head, done) = l.rsplit_once("\"done_round\": ").unwrap();
            let d: u64 = done.trim_end_matches('}').parse().unwrap();
            format!("{head}\"done_round\": {}}}", d + 4)
        })
        .collect();
    assert_eq!(hier.lines().collect::<Vec<_>>(), shifted);
}

#[test]
fn output_is_deterministic_to_the_byte() {
    for preset in ["sharded-c10-s4", "replicated-c10-s2-r3"] {
        let a = tidekv(&[
            "replay",
            "--preset",
            preset,
            "--seed",
            "7",
            "examples/mixed.jsonl",
        ]);
        let b = tidekv(&[
            "replay",
            "--preset",
            preset,
            "--seed",
            "7",
            "examples/mixed.jsonl",
        ]);
        assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
        assert_eq!(a.stdout, b.stdout);
        assert!(!a.stdout.is_empty());
    }
}

#[test]
fn policy_and_seed_flags_change_the_replica_choice() {
    let run = |extra: &[&str]| {
        let mut args = vec!["replay", "--preset", "replicated-c10-s2-r3", "--summary"];
        args.extend_from_slice(extra);
        args.push("examples/aegir.jsonl");
        let o = tidekv(&args);
        assert!(o.status.success());
        (stdout(&o), String::from_utf8(o.stderr).unwrap())
    };
    let (affine, _) = run(&["--replica-policy", "key_affine"]);
    let (random, summary) = run(&["--replica-policy", "random", "--seed", "3"]);
    // key_affine: one writer per key, exactly one insert wins.
    assert_eq!(
        affine
            .lines()
            .take(10)
            .filter(|l| l.contains("\"ok\""))
            .count(),
        1
    );
    // random: several replicas take same-round inserts; the summary counts it.
    assert!(
        random
            .lines()
            .take(10)
            .filter(|l| l.contains("\"ok\""))
            .count()
            > 1
    );
    assert!(
        summary.contains("conflicting conditional writes"),
        "{summary}"
    );
}

#[test]
fn config_file_works_like_the_preset() {
    let a = tidekv(&[
        "replay",
        "--preset",
        "sharded-c10-s4",
        "examples/aegir.jsonl",
    ]);
    // The preset's configuration as `tidekv preset NAME` prints it.
    let text = tidekv(&["preset", "sharded-c10-s4"]);
    assert!(text.status.success());
    let file = temp_file("sharded-c10-s4.toml", &stdout(&text));
    assert!(tidekv(&["preset", "no-such"]).status.code() == Some(3));
    let b = tidekv(&[
        "replay",
        "--config",
        file.to_str().unwrap(),
        "examples/aegir.jsonl",
    ]);
    assert!(b.status.success());
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn a_bad_trace_is_rejected_with_its_line_before_anything_runs() {
    let p = temp_file(
        "bad.jsonl",
        "{\"round\": 0, \"client\": 0, \"op\": \"put\", \"key\": 1, \"value\": 2}\n{\"round\": 0, \"client\": 0, \"op\": \"get\", \"key\": 1}\n",
    );
    let o = tidekv(&["replay", "--preset", "single-c10", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(o.stdout.is_empty(), "nothing may run");
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("bad.jsonl")
            && err.contains("line 2")
            && err.contains("already has a request"),
        "{err}"
    );

    for (text, needle) in [
        (
            "{\"round\": 0, \"client\": 12, \"op\": \"get\", \"key\": 1}\n",
            "line 1: client 12 is out of range",
        ),
        (
            "{\"round\": 0, \"client\": 0, \"op\": \"scan\", \"key\": 1}\n",
            "line 1: unknown op",
        ),
        (
            "\n\n{\"round\": 0, \"client\": 0, \"op\": \"get\", \"key\": 99999999999}\n",
            "line 3: key 99999999999 is wider",
        ),
        (
            "{\"round\": 0, \"client\": 0 \"op\": \"get\"}\n",
            "line 1: not valid JSON",
        ),
    ] {
        let p = temp_file("bad2.jsonl", text);
        let o = tidekv(&["replay", "--preset", "single-c10", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3));
        let err = String::from_utf8(o.stderr).unwrap();
        assert!(err.contains(needle), "{err}");
    }
}

#[test]
fn bad_arguments_get_clear_errors() {
    let o = tidekv(&["replay", "--preset", "nope", "examples/aegir.jsonl"]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("no such preset") && err.contains("single-c10"),
        "{err}"
    );

    let o = tidekv(&[
        "replay",
        "--preset",
        "single-c10",
        "--seed",
        "0",
        "examples/aegir.jsonl",
    ]);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8(o.stderr).unwrap().contains("--seed"));

    let o = tidekv(&[
        "replay",
        "--preset",
        "single-c10",
        "--replica-policy",
        "fastest",
        "examples/aegir.jsonl",
    ]);
    assert_eq!(o.status.code(), Some(2));

    let o = tidekv(&["replay", "examples/aegir.jsonl"]);
    assert_eq!(o.status.code(), Some(2), "a preset or a config is required");

    let o = tidekv(&["replay", "--preset", "single-c10", "no/such/trace.jsonl"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(String::from_utf8(o.stderr)
        .unwrap()
        .contains("cannot read no/such/trace.jsonl"));

    let p = temp_file(
        "bad.toml",
        "[build]\nclients = 4\nfe_levels = 1\nshards = 3\ncapacity = 64\nbuckets = 2\n",
    );
    let o = tidekv(&[
        "replay",
        "--config",
        p.to_str().unwrap(),
        "examples/aegir.jsonl",
    ]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains("bad.toml") && err.contains("build.buckets"),
        "{err}"
    );
}

/// The Verilated core answers every trace byte for byte as the model does,
/// schedule overrides (a round-0 swap on the device) included.
#[test]
fn verilator_backend_prints_what_the_model_prints() {
    for (preset, trace, extra) in [
        ("single-c10", "examples/aegir.jsonl", &[][..]),
        (
            "replicated-c10-s2-r3",
            "examples/mixed.jsonl",
            &["--replica-policy", "random", "--seed", "7"][..],
        ),
        (
            "replicated-c10-s2-r3",
            "examples/mixed.jsonl",
            &["--replica-policy", "round_robin"][..],
        ),
    ] {
        let mut args = vec!["replay", "--preset", preset, trace];
        args.extend_from_slice(extra);
        let model = tidekv(&args);
        assert!(model.status.success());
        args.extend_from_slice(&["--backend", "verilator"]);
        let core = tidekv_within(&args, 900);
        assert!(
            core.status.success(),
            "{}",
            String::from_utf8_lossy(&core.stderr)
        );
        assert!(!model.stdout.is_empty());
        assert_eq!(stdout(&core), stdout(&model), "{preset} {trace} {extra:?}");
    }
}

#[test]
fn verilator_backend_writes_a_waveform() {
    let trace = temp_file(
        "vcd.jsonl",
        "{\"round\": 0, \"client\": 0, \"op\": \"put\", \"key\": 5, \"value\": 9}\n{\"round\": 1, \"client\": 2, \"op\": \"get\", \"key\": 5}\n",
    );
    let vcd = trace.with_extension("vcd");
    let t = trace.to_str().unwrap();
    let args = ["replay", "--config", "rtl/test.toml", t];
    let model = tidekv(&args);
    let core = tidekv_within(
        &[
            &args[..],
            &["--backend", "verilator", "--vcd", vcd.to_str().unwrap()],
        ]
        .concat(),
        900,
    );
    assert!(
        core.status.success(),
        "{}",
        String::from_utf8_lossy(&core.stderr)
    );
    assert_eq!(stdout(&core), stdout(&model));
    assert!(
        stdout(&core).contains("\"value\": 9"),
        "the get read the put"
    );
    let wave = std::fs::read_to_string(&vcd).expect("the VCD file");
    assert!(
        wave.contains("$enddefinitions") && wave.contains(" clock "),
        "a VCD with the core's clock"
    );
    assert!(
        wave.lines().filter(|l| l.starts_with('#')).count() > 20,
        "timestamps for every clock edge"
    );
    let bad = tidekv(&[
        "replay",
        "--preset",
        "single-c10",
        "--vcd",
        vcd.to_str().unwrap(),
        "examples/aegir.jsonl",
    ]);
    assert_eq!(bad.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--vcd needs --backend verilator"));
}
