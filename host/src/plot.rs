//! The explorer's plots (plotters), each written as SVG and PNG:
//!
//! - `NAME-link-bits`: link bits per round against C, one line per
//!   topology shape (H, S, R) at SPEC's FE;
//! - `NAME-throughput-latency-KEYS`: requests per clock against p99 latency
//!   in rounds, one line per service rate k (points: S shards), at full load;
//! - `NAME-anomalies`: stale reads and conditional conflicts per 1,000
//!   requests, per replica policy (replicated points).
//!
//! - with `--synth`, `NAME-synth-lut4` and `NAME-synth-fmax`: LUT4 and Fmax
//!   against the table engines S x R, one line per (board, C, H).
//!
//! Text is drawn with DejaVu Sans, embedded (the
//! `dejavu` crate), so a machine without fonts draws the same images.

use crate::explore::Row;
use crate::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const SIZE: (u32, u32) = (900, 600);

/// A line of a plot: its name and its points.
type Series = (String, Vec<(f64, f64)>);

/// What one plot shows.
struct Plot {
    file: String,
    title: String,
    x: String,
    y: String,
    log_y: bool,
    series: Vec<Series>,
    /// Names for integer x positions (a category axis), if any.
    categories: Vec<String>,
    /// Where the legend goes (where the lines are not).
    legend: SeriesLabelPosition,
}

fn font() -> Result<()> {
    static ONCE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    let ok = *ONCE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .is_ok()
    });
    ok.then_some(())
        .ok_or_else(|| Error::Usage("plots: the embedded DejaVu Sans font did not load".into()))
}

/// Draw every plot the rows have data for into `dir` as `STEM-*.svg` and
/// `.png`; returns the files written.
pub fn plots(rows: &[Row], dir: &Path, stem: &str) -> Result<Vec<PathBuf>> {
    font()?;
    let mut written = vec![];
    for p in [link_bits(rows, stem)]
        .into_iter()
        .chain(throughput_latency(rows, stem))
        .chain([anomalies(rows, stem)])
        .chain(synth(rows, stem))
        .filter(|p| p.series.iter().any(|(_, pts)| !pts.is_empty()))
    {
        let svg = dir.join(format!("{}.svg", p.file));
        draw(&p, SVGBackend::new(&svg, SIZE).into_drawing_area())
            .map_err(|e| plot_error(&svg, &e))?;
        let png = dir.join(format!("{}.png", p.file));
        draw(&p, BitMapBackend::new(&png, SIZE).into_drawing_area())
            .map_err(|e| plot_error(&png, &e))?;
        written.extend([svg, png]);
    }
    Ok(written)
}

fn plot_error(path: &Path, e: &dyn std::fmt::Display) -> Error {
    Error::Output(std::io::Error::other(format!("{}: {e}", path.display())))
}

fn shape(r: &Row) -> (u64, u64, u64) {
    let b = &r.point.build;
    (b["fe_levels"], b["shards"], b["replicas"])
}

fn at_spec_fe(r: &Row) -> bool {
    r.point.service_rate == r.point.build["clients"] && r.point.load >= 1.0
}

/// Link bits per round against C, per (H, S, R).
fn link_bits(rows: &[Row], stem: &str) -> Plot {
    let mut by: BTreeMap<(u64, u64, u64), BTreeMap<u64, u64>> = BTreeMap::new();
    for r in rows.iter().filter(|r| at_spec_fe(r)) {
        by.entry(shape(r))
            .or_default()
            .insert(r.point.build["clients"], r.derived.link_bits.total);
    }
    let series = by
        .into_iter()
        .filter(|(_, pts)| pts.len() > 1)
        .map(|((h, s, r), pts)| {
            (
                format!("H{h} S{s} R{r}"),
                pts.into_iter().map(|(c, b)| (c as f64, b as f64)).collect(),
            )
        })
        .collect();
    Plot {
        file: format!("{stem}-link-bits"),
        title: "Link bits per round against clients, per topology (H, S, R)".into(),
        x: "clients C".into(),
        y: "bits per round, all links".into(),
        log_y: true,
        series,
        categories: vec![],
        legend: SeriesLabelPosition::LowerRight,
    }
}

/// Requests per clock against p99 latency, one line per service rate,
/// per key distribution, at full load and the deepest queue swept.
fn throughput_latency(rows: &[Row], stem: &str) -> Vec<Plot> {
    let queued: Vec<&Row> = rows
        .iter()
        .filter(|r| r.point.load >= 1.0 && shape(r).0 == 1 && shape(r).2 == 1)
        .collect();
    if !queued.iter().any(|r| !at_spec_fe(r)) {
        return vec![];
    }
    let deepest = queued.iter().map(|r| r.point.queue).max().unwrap_or(0);
    let mut plots = vec![];
    let mut dists: Vec<&str> = queued.iter().map(|r| r.point.keys.as_str()).collect();
    dists.sort_unstable();
    dists.dedup();
    let c = queued
        .iter()
        .map(|r| r.point.build["clients"])
        .max()
        .unwrap_or(0);
    for keys in dists {
        let mut by: BTreeMap<u64, BTreeMap<u64, (f64, f64)>> = BTreeMap::new();
        for r in queued.iter().filter(|r| {
            r.point.keys == keys
                && r.point.build["clients"] == c
                && (at_spec_fe(r) || r.point.queue == deepest)
                && r.point.mix == "a"
        }) {
            by.entry(r.point.service_rate).or_default().insert(
                shape(r).1,
                (r.measured.latency_p99 as f64, r.requests_per_clock),
            );
        }
        let series = by
            .into_iter()
            .map(|(k, pts)| {
                let name = if k == c {
                    format!("k = C = {k}")
                } else {
                    format!("k = {k}")
                };
                (name, pts.into_values().collect())
            })
            .collect();
        plots.push(Plot {
            file: format!("{stem}-throughput-latency-{}", keys.replace(':', "")),
            title: format!(
                "C = {c}, {keys} keys, full load, queue {deepest}: points are S = 1, 2, 4, 8 shards"
            ),
            x: "p99 latency, rounds".into(),
            y: "requests per clock (served per round / T(k))".into(),
            log_y: false,
            series,
            categories: vec![],
            legend: SeriesLabelPosition::UpperRight,
        });
    }
    plots
}

/// Stale reads and conditional conflicts per 1,000 requests, per policy.
fn anomalies(rows: &[Row], stem: &str) -> Plot {
    let policies = ["random", "round_robin", "key_affine"];
    let mut sums = [(0u64, 0u64, 0u64); 3];
    for r in rows.iter().filter(|r| shape(r).2 > 1 && at_spec_fe(r)) {
        if let Some(i) = policies.iter().position(|p| *p == r.point.replica_policy) {
            sums[i].0 += r.measured.stale_reads;
            sums[i].1 += r.measured.conditional_conflicts;
            sums[i].2 += r.measured.requests;
        }
    }
    let per_k = |n: u64, d: u64| {
        if d == 0 {
            0.0
        } else {
            1000.0 * n as f64 / d as f64
        }
    };
    let line = |f: &dyn Fn(&(u64, u64, u64)) -> u64| -> Vec<(f64, f64)> {
        sums.iter()
            .enumerate()
            .filter(|(_, s)| s.2 > 0)
            .map(|(i, s)| (i as f64, per_k(f(s), s.2)))
            .collect()
    };
    Plot {
        file: format!("{stem}-anomalies"),
        title: "Replication anomalies per replica policy (all replicated points)".into(),
        x: "replica policy".into(),
        y: "per 1,000 requests".into(),
        log_y: false,
        series: vec![
            ("stale reads".into(), line(&|s| s.0)),
            ("conditional conflicts".into(), line(&|s| s.1)),
        ],
        categories: policies.iter().map(|s| s.to_string()).collect(),
        legend: SeriesLabelPosition::UpperRight,
    }
}

/// LUT4 and Fmax against S x R per (board, C, H), from `--synth`.
fn synth(rows: &[Row], stem: &str) -> Vec<Plot> {
    let mut lut: BTreeMap<String, BTreeMap<u64, f64>> = BTreeMap::new();
    let mut fmax: BTreeMap<String, BTreeMap<u64, f64>> = BTreeMap::new();
    for r in rows {
        let (h, s, rr) = shape(r);
        for f in &r.synth {
            let name = format!("{} C{} H{h}", f.board, r.point.build["clients"]);
            if let Some(l) = f.lut {
                lut.entry(name.clone())
                    .or_default()
                    .insert(s * rr, l as f64);
            }
            if let Some(m) = f.fmax_mhz {
                fmax.entry(name).or_default().insert(s * rr, m);
            }
        }
    }
    let series = |m: BTreeMap<String, BTreeMap<u64, f64>>| -> Vec<Series> {
        m.into_iter()
            .map(|(n, pts)| (n, pts.into_iter().map(|(x, y)| (x as f64, y)).collect()))
            .collect()
    };
    if lut.is_empty() {
        return vec![];
    }
    vec![
        Plot {
            file: format!("{stem}-synth-lut4"),
            title: "Area: LUT4 against table engines (S x R), per board, C and H".into(),
            x: "shards x replicas".into(),
            y: "LUT4".into(),
            log_y: true,
            series: series(lut),
            categories: vec![],
            legend: SeriesLabelPosition::LowerRight,
        },
        Plot {
            file: format!("{stem}-synth-fmax"),
            title: "Fmax against table engines (S x R), per board, C and H".into(),
            x: "shards x replicas".into(),
            y: "Fmax, MHz".into(),
            log_y: false,
            series: series(fmax),
            categories: vec![],
            legend: SeriesLabelPosition::UpperRight,
        },
    ]
}

fn draw<DB: DrawingBackend>(
    p: &Plot,
    area: DrawingArea<DB, Shift>,
) -> std::result::Result<(), Box<dyn std::error::Error + 'static>>
where
    DB::ErrorType: 'static,
{
    area.fill(&WHITE)?;
    let pts = p.series.iter().flat_map(|(_, v)| v.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in pts {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    let xpad = ((x1 - x0) * 0.05).max(0.5);
    let (x0, x1) = (x0 - xpad, x1 + xpad);
    let mut chart = ChartBuilder::on(&area);
    chart
        .caption(&p.title, ("sans-serif", 20))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(80);
    let cats = p.categories.clone();
    let xfmt = move |x: &f64| {
        if cats.is_empty() {
            format!("{x}")
        } else if (x - x.round()).abs() < 1e-9 && *x >= 0.0 {
            cats.get(*x as usize).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    };
    macro_rules! finish {
        ($chart:expr) => {{
            let mut c = $chart;
            let mut mesh = c.configure_mesh();
            mesh.x_desc(p.x.as_str())
                .y_desc(p.y.as_str())
                .x_label_formatter(&xfmt)
                .label_style(("sans-serif", 14));
            if !p.categories.is_empty() {
                mesh.x_labels(p.categories.len() * 2 + 1);
            }
            mesh.draw()?;
            for (i, (name, v)) in p.series.iter().enumerate() {
                let color = Palette99::pick(i).to_rgba();
                c.draw_series(LineSeries::new(v.iter().copied(), color.stroke_width(2)))?
                    .label(name.as_str())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                c.draw_series(v.iter().map(|&pt| Circle::new(pt, 4, color.filled())))?;
            }
            c.configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font(("sans-serif", 14))
                .position(p.legend.clone())
                .draw()?;
        }};
    }
    if p.log_y {
        let (y0, y1) = (y0.max(1.0) / 1.5, y1 * 1.5);
        finish!(chart.build_cartesian_2d(x0..x1, (y0..y1).log_scale())?);
    } else {
        let ypad = ((y1 - y0) * 0.08).max(0.1);
        finish!(chart.build_cartesian_2d(x0..x1, (y0 - ypad).min(0.0)..y1 + ypad)?);
    }
    area.present()?;
    Ok(())
}
