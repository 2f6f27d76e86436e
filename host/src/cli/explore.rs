//! `tidekv explore`: sweep a space of configurations (a TOML file, see
//! `examples/explore.toml`) on the reference model and write the report.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::PathBuf;
use tidekv_host::explore::{explore, markdown, synthesize, Space};
use tidekv_host::synth::Synthesizer;
use tidekv_host::Error;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The space: build parameters, replica policies and workloads as
    /// lists or ranges (examples/explore.toml).
    pub space: PathBuf,
    /// Where the report goes: DIR/NAME.md and DIR/NAME.jsonl, NAME the
    /// space file's name without its extension.
    #[arg(long, default_value = "build/explore", value_name = "DIR")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Write no plots (DIR/NAME-*.svg and .png).
    #[arg(long)]
    pub no_plots: bool,
    /// Also build every distinct build of the space on the boards (yosys
    /// and nextpnr, minutes to an hour each; cached by configuration and
    /// sources, so a rerun costs nothing) and report LUT4, FF, BRAM, Fmax.
    #[arg(long)]
    pub synth: bool,
    /// A board for --synth (constraints/BOARD.toml); repeat for several.
    #[arg(long = "synth-board", value_name = "BOARD", default_values_t = vec!["ulx3s".to_string()])]
    pub synth_boards: Vec<String>,
    /// Where --synth keeps its cache.
    #[arg(long, default_value = "build/explore-synth", value_name = "DIR")]
    pub synth_cache: PathBuf,
    /// Most seconds one --synth build may take before it is killed.
    #[arg(long, default_value_t = 7200, value_name = "SECS")]
    pub synth_timeout: u64,
    /// The flow script --synth runs as `SCRIPT bitstream BOARD CONFIG`.
    #[arg(long, default_value = "scripts/board.sh", value_name = "SCRIPT")]
    pub synth_script: PathBuf,
}

pub fn run(a: Args, g: &super::Global) -> tidekv_host::Result<()> {
    let path = a.space.display().to_string();
    let text = std::fs::read_to_string(&a.space).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    let space = Space::parse(&text, &path)?;
    // Check the --synth options before anything runs.
    let synth = if a.synth {
        let root = std::env::current_dir().map_err(Error::Output)?;
        Some(Synthesizer::new(
            &root,
            &a.synth_boards,
            &a.synth_cache,
            Some(&a.synth_script),
            std::time::Duration::from_secs(a.synth_timeout),
        )?)
    } else {
        None
    };
    let stem = a
        .space
        .file_stem()
        .map_or("space".into(), |s| s.to_string_lossy().into_owned());
    let out_err = |p: &PathBuf, e: std::io::Error| {
        Error::Output(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", p.display()),
        ))
    };
    std::fs::create_dir_all(&a.out).map_err(|e| out_err(&a.out, e))?;
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(space.points.len() as u64).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} points, {elapsed} {msg}")
                .expect("template"),
        )
    };
    let mut rows = explore(&space, |row| {
        bar.set_message(row.label.clone());
        bar.inc(1);
    })?;
    bar.finish_and_clear();
    if let Some(s) = &synth {
        let bar = if a.quiet {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(0).with_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} builds, {elapsed} {msg}")
                    .expect("template"),
            )
        };
        synthesize(&mut rows, s, |done, total, what| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
            bar.set_message(what.to_string());
        })?;
        bar.finish_and_clear();
    }
    let jsonl = a.out.join(format!("{stem}.jsonl"));
    let mut f =
        std::io::BufWriter::new(std::fs::File::create(&jsonl).map_err(|e| out_err(&jsonl, e))?);
    for r in &rows {
        let line = serde_json::to_string(r).expect("a row serializes");
        writeln!(f, "{line}").map_err(|e| out_err(&jsonl, e))?;
    }
    f.flush().map_err(|e| out_err(&jsonl, e))?;
    let md = a.out.join(format!("{stem}.md"));
    std::fs::write(&md, markdown(&space, &rows)).map_err(|e| out_err(&md, e))?;
    let plots = if a.no_plots {
        vec![]
    } else {
        tidekv_host::plot::plots(&rows, &a.out, &stem)?
    };
    super::print(
        g,
        || {
            format!(
                "{} points evaluated ({} skipped, named in the report); wrote {}, {} and {} plots{}",
                rows.len(),
                space.skipped.len(),
                md.display(),
                jsonl.display(),
                plots.len(),
                if plots.is_empty() {
                    String::new()
                } else {
                    format!(" ({} ...)", plots[0].display())
                }
            )
        },
        || {
            serde_json::json!({
                "points": rows.len(),
                "skipped": space.skipped.len(),
                "markdown": md,
                "jsonl": jsonl,
                "plots": plots,
            })
        },
    );
    Ok(())
}
