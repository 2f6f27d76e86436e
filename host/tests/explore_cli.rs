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
