//! `tidekv campaign` end to end: a few seeded fault runs on the replicated
//! preset, on the model and (one) on the Verilated core, and a short
//! hostile link campaign; its summary file; bad arguments refused before
//! anything runs.

mod common;
use common::*;

#[test]
fn a_small_campaign_passes_and_writes_its_summary() {
    let out = std::env::temp_dir().join(format!("tidekv-campaign-{}", std::process::id()));
    let o = tidekv_within(
        &[
            "campaign",
            "--preset",
            "replicated-c10-s2-r3",
            "--runs",
            "6",
            "--core-runs",
            "1",
            "--rounds",
            "80",
            "--link-frames",
            "2000",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ],
        600,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = stdout(&o);
    assert!(text.contains("6 runs (1 on the Verilated core)"), "{text}");
    assert!(text.contains("0 lost, 0 diverged, 0 mismatches"), "{text}");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let row = &s["targets"][0];
    assert_eq!(row["target"], "replicated-c10-s2-r3");
    assert!(row["kills"].as_u64().unwrap() > 0, "{row}");
    assert!(row["acked_writes"].as_u64().unwrap() > 1000, "{row}");
    let link = &s["link"];
    assert_eq!(link["target"], "single-c10");
    assert_eq!(link["frames"], 2000, "{link}");
    assert_eq!(
        (
            &link["hangs"],
            &link["accepted_corrupt"],
            &link["mismatches"]
        ),
        (&0.into(), &0.into(), &0.into()),
        "{link}"
    );
    assert!(
        text.contains("link campaign on single-c10's device top: 2000 bad frames"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn bad_campaign_arguments_are_refused() {
    for args in [
        &["campaign", "--preset", "no-such"][..],
        &["campaign", "--rounds", "3"][..],
        &["campaign", "--runs", "0"][..],
        &["campaign", "--link-only"][..],
        &[
            "campaign",
            "--link-frames",
            "10",
            "--link-preset",
            "no-such",
        ][..],
    ] {
        let o = tidekv_within(args, 30);
        assert_eq!(
            o.status.code(),
            Some(3),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}
