//! `tidekv explore`: sweep a space of configurations (a TOML file, see
//! `examples/explore.toml`) on the reference model and write the report.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::PathBuf;
use tidekv_host::explore::{explore, markdown, Space};
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
}

pub fn run(a: Args, g: &super::Global) -> tidekv_host::Result<()> {
    let path = a.space.display().to_string();
    let text = std::fs::read_to_string(&a.space).map_err(|source| Error::Read {
        path: path.clone(),
        source,
    })?;
    let space = Space::parse(&text, &path)?;
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
    let rows = explore(&space, |row| {
        bar.set_message(row.label.clone());
        bar.inc(1);
    })?;
    bar.finish_and_clear();
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
