//! `tidekv explore` end to end: a small space on the model, its report files,
//! and a bad space file refused with its file, field and reason.

mod common;
use common::*;

#[test]
fn a_small_space_writes_its_report() {
    let out = std::env::temp_dir().join(format!("tidekv-explore-{}", std::process::id()));
    let o = tidekv_within(
        &[
            "explore",
            "examples/explore-small.toml",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
        120,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let jsonl = std::fs::read_to_string(out.join("explore-small.jsonl")).expect("the JSON Lines");
    let rows: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    // 2 C x 3 H x 2 S x 2 R x 2 policies x 2 key distributions = 96, less
    // the H = 0 points with S or R above 1 (24) and the second policy of the
    // remaining R = 1 points (20); then the [[sweep]]: 3 service rates x 2
    // loads, less the one point (k = C, full load) the first sweep had.
    assert_eq!(rows.len(), 52 + 5, "{}", stdout(&o));
    for r in &rows {
        let c = r["point"]["build"]["clients"].as_u64().unwrap();
        let requests = r["measured"]["requests"].as_u64().unwrap();
        if r["point"]["load"].as_f64() == Some(1.0) {
            assert_eq!(requests, 200 * c);
        } else {
            assert!(requests > 70 * c && requests < 130 * c, "{requests}");
        }
        let h = r["point"]["build"]["fe_levels"].as_u64().unwrap();
        assert_eq!(r["derived"]["latency_rounds"].as_u64(), Some(2 * (h + 1)));
        let l = &r["derived"]["link_bits"];
        let sum: u64 = [
            "client_fe",
            "fe_fe",
            "fe_shard",
            "shard_fe",
            "replica_replica",
        ]
        .iter()
        .map(|k| l[k].as_u64().unwrap())
        .sum();
        assert_eq!(l["total"].as_u64(), Some(sum));
    }
    let md = std::fs::read_to_string(out.join("explore-small.md")).expect("the Markdown");
    assert_eq!(md.lines().filter(|l| l.starts_with("| c")).count(), 57);
    // The plots, SVG and PNG: link bits for the two client counts, the
    // service rates' throughput against latency, the replica policies.
    for name in [
        "explore-small-link-bits",
        "explore-small-throughput-latency-zipf0.99",
        "explore-small-anomalies",
    ] {
        let svg = std::fs::read_to_string(out.join(format!("{name}.svg")))
            .unwrap_or_else(|e| panic!("{name}.svg: {e}"));
        assert!(
            svg.starts_with("<svg") && svg.contains("<text"),
            "{name}.svg"
        );
        let png = std::fs::read(out.join(format!("{name}.png"))).expect("the PNG");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}.png");
        // IHDR: width and height, big-endian, at bytes 16..24.
        assert_eq!(
            &png[16..24],
            &[0, 0, 3, 0x84, 0, 0, 2, 0x58],
            "{name}.png is 900 x 600"
        );
    }
    let svg = std::fs::read_to_string(out.join("explore-small-link-bits.svg")).unwrap();
    assert!(
        svg.contains("H1 S2 R3") && svg.contains("H0 S1 R1"),
        "the topologies' lines"
    );
    let svg =
        std::fs::read_to_string(out.join("explore-small-throughput-latency-zipf0.99.svg")).unwrap();
    assert!(svg.contains("k = 2") && svg.contains("k = 4") && svg.contains("k = C = 10"));
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_bad_space_names_file_field_and_reason() {
    let p = temp_file(
        "bad-space.toml",
        "[build]\nclients = [4]\nfe_levels = 1\nshards = 2\nreplicas = [1]\ncapacity = 1000\n",
    );
    let out = std::env::temp_dir().join(format!("tidekv-explore-bad-{}", std::process::id()));
    let o = tidekv_within(
        &[
            "explore",
            p.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        30,
    );
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("bad-space.toml")
            && e.contains("build.capacity")
            && e.contains("nothing was run"),
        "{e}"
    );
    assert!(!out.exists(), "nothing may be written");
}

/// `--synth` with a stand-in for scripts/board.sh (the real flow takes
/// minutes to an hour a build; `make test-board` runs it): every distinct
/// build runs once per board, its manifest's figures reach the JSON, the
/// report and the plots, a failed build keeps its reason, and a rerun with
/// the same sources runs nothing.
#[test]
fn synth_builds_each_distinct_build_once_and_caches() {
    let dir = std::env::temp_dir().join(format!("tidekv-explore-synth-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let runs = dir.join("runs");
    // The stand-in: LUT4 = 1000 x clients x shards; four clients on two
    // shards "do not fit".
    let script = dir.join("board.sh");
    std::fs::write(
        &script,
        format!(
            r#"#!/bin/sh
set -e
c=$(sed -n 's/^clients = //p' "$3"); s=$(sed -n 's/^shards = //p' "$3")
n=$(basename "$3" .toml)
case "$1" in
verilog)
    # The "Verilog": the configuration itself.
    mkdir -p "build/boards/$2-$n"
    cp "$3" "build/boards/$2-$n/tidekv_device.v"
    exit 0 ;;
bitstream) ;;
*) exit 9 ;;
esac
echo "$2 $3" >> {runs}
if [ "$c" = 4 ] && [ "$s" = 2 ]; then
    # As the real flow leaves it: yosys' stat, nextpnr's table and error.
    d="build/boards/$2-$n"
    printf '   Number of cells:    3\n     LUT4     77424\n     TRELLIS_FF     21770\n     DP16KD     232\n' > "$d/synth.log"
    printf 'Info: \t   DP16KD:   232/   208   111%%\nERROR: Unable to place cell x\n' > "$d/pnr.log"
    echo "ERROR: Unable to place cell 'x'" >&2; exit 1
fi
mkdir -p bitstreams
echo "{{\"lut\": $((1000 * c * s)), \"ff\": $((100 * c)), \"bram\": $s, \"fmax_mhz\": 50.5, \"target_mhz\": 35.714, \"timing_met\": true, \"requests_per_s\": 1e8}}" > "bitstreams/$2-$n.json"
"#,
            runs = runs.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    let space = temp_file(
        "synth-space.toml",
        "[build]\nclients = [2, 4]\nfe_levels = 1\nshards = [1, 2]\nreplicas = 1\ncapacity = 256\nbuckets = 16\n\
         [workload]\nkeys = [\"uniform\", \"zipf:0.99\"]\n[run]\nrecords = 50\nrounds = 20\n",
    );
    let out = dir.join("out");
    let cache = dir.join("cache");
    let args = [
        "explore",
        space.to_str().unwrap(),
        "--quiet",
        "--out",
        out.to_str().unwrap(),
        "--synth",
        "--synth-cache",
        cache.to_str().unwrap(),
        "--synth-script",
        script.to_str().unwrap(),
    ];
    let o = tidekv_within(&args, 120);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let ran = std::fs::read_to_string(&runs).unwrap();
    assert_eq!(
        ran.lines().count(),
        4,
        "four distinct builds, eight points: {ran}"
    );
    assert!(ran.lines().all(|l| l.starts_with("ulx3s ")));
    let jsonl = std::fs::read_to_string(out.join("synth-space.jsonl")).unwrap();
    let mut seen = 0;
    for l in jsonl.lines() {
        let r: serde_json::Value = serde_json::from_str(l).unwrap();
        let b = &r["point"]["build"];
        let (c, s) = (
            b["clients"].as_u64().unwrap(),
            b["shards"].as_u64().unwrap(),
        );
        let f = &r["synth"][0];
        assert_eq!(f["board"], "ulx3s");
        if (c, s) == (4, 2) {
            // Did not fit: yosys' counts kept, the resource named.
            assert_eq!(f["lut"].as_u64(), Some(77424), "{f}");
            assert_eq!(f["bram"].as_u64(), Some(232), "{f}");
            assert!(f["fmax_mhz"].is_null(), "{f}");
            let e = f["error"].as_str().unwrap();
            assert!(
                e.contains("Unable to place") && e.contains("over the device: DP16KD 232/208"),
                "{f}"
            );
        } else {
            assert_eq!(f["lut"].as_u64(), Some(1000 * c * s), "{f}");
            assert_eq!(f["fmax_mhz"].as_f64(), Some(50.5));
        }
        seen += 1;
    }
    assert_eq!(seen, 8);
    let md = std::fs::read_to_string(out.join("synth-space.md")).unwrap();
    assert!(md.contains("## Synthesis"), "{md}");
    assert!(
        md.contains("| c2-h1-s2-r1 k32 v32 cap256 | ulx3s | 4000 | 200 | 2 | 50.50 |"),
        "{md}"
    );
    assert!(out.join("synth-space-synth-lut4.svg").is_file());
    assert!(out.join("synth-space-synth-fmax.png").is_file());
    // A rerun: everything from the cache, nothing built.
    let md_before = md;
    let o = tidekv_within(&args, 120);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(std::fs::read_to_string(&runs).unwrap().lines().count(), 4);
    assert_eq!(
        std::fs::read_to_string(out.join("synth-space.md")).unwrap(),
        md_before
    );
    // An unknown board: refused before anything runs.
    let mut bad = args.to_vec();
    bad.extend(["--synth-board", "nosuchboard"]);
    let o = tidekv_within(&bad, 60);
    assert_eq!(o.status.code(), Some(3));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(
        e.contains("nosuchboard") && e.contains("constraints"),
        "{e}"
    );
    assert_eq!(std::fs::read_to_string(&runs).unwrap().lines().count(), 4);
    // The stand-in's manifests and build trees, named by the builds.
    for l in ran.lines() {
        let n = l.rsplit('/').next().unwrap().trim_end_matches(".toml");
        let _ = std::fs::remove_file(root().join(format!("bitstreams/ulx3s-{n}.json")));
        let _ = std::fs::remove_dir_all(root().join(format!("build/boards/ulx3s-{n}")));
    }
    let _ = std::fs::remove_dir_all(&dir);
}
