//! `tidekv stream`: JSON lines in (requests without rounds, and events),
//! SPEC section 8's answer lines out, free-running, with a progress bar.

use super::Global;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::PathBuf;
use tidekv_host::stream;
use tidekv_host::Error;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The input (`-`: standard input, checked batch by batch; a file is checked whole before anything runs).
    #[arg(default_value = "-")]
    pub input: PathBuf,
    /// Write the answer lines here instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Step frames in flight (default: as many as the device's receive FIFO holds).
    #[arg(long, value_name = "FRAMES")]
    pub window: Option<usize>,
    /// At the end, read back every key with an acknowledged write and report lost writes (exit 8 if any).
    #[arg(long)]
    pub check: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(a: Args, g: &Global) -> tidekv_host::Result<()> {
    let mut d = g.open()?;
    let stdin = a.input.as_os_str() == "-";
    let name = if stdin {
        "standard input".to_string()
    } else {
        a.input.display().to_string()
    };
    // A file is parsed whole before anything runs; standard input as it comes.
    let items = if stdin {
        None
    } else {
        let (_, text) = tidekv_host::read_text(&a.input)?;
        Some((stream::parse_all(&text, &d, &name)?, text.len() as u64))
    };
    let mut out: Box<dyn Write> = match &a.output {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).map_err(
            |e| {
                Error::Output(std::io::Error::new(
                    e.kind(),
                    format!("{}: {e}", p.display()),
                ))
            },
        )?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let bar = if a.quiet {
        ProgressBar::hidden()
    } else {
        match &items {
            Some((_, n)) => ProgressBar::new(*n).with_style(
                ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}")
                    .expect("template"),
            ),
            None => ProgressBar::new_spinner(),
        }
    };
    let window = d.window_bytes(a.window);
    let progress = |bytes, answered| {
        bar.set_position(bytes);
        bar.set_message(format!("{answered} answered"));
    };
    let sum = match items {
        Some((items, _)) => stream::stream_items(
            &mut d,
            &name,
            &mut items.into_iter().map(Ok),
            &mut out,
            window,
            a.check,
            progress,
        )?,
        None => stream::stream(
            &mut d,
            &mut std::io::stdin().lock(),
            &name,
            &mut out,
            window,
            a.check,
            progress,
        )?,
    };
    bar.finish_and_clear();
    drop(out);
    let lost = sum.check.as_ref().map_or(0, |c| c.lost.len());
    if g.json {
        eprintln!(
            "{}",
            serde_json::to_string(&sum).expect("a summary serialises")
        );
    } else {
        let st: Vec<String> = sum
            .statuses
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        eprintln!(
            "{} requests, {} events; {:.0} requests/s, latency p50 {:.0} us, p99 {:.0} us; {}",
            sum.requests,
            sum.events,
            sum.ops_per_s,
            sum.p50_us,
            sum.p99_us,
            st.join(", ")
        );
        if let Some(c) = &sum.check {
            eprintln!("check: {} keys read back, {} lost, {} not checked (last write answered unavailable)", c.keys, c.lost.len(), c.uncertain);
            for (k, want, got) in c.lost.iter().take(10) {
                eprintln!("  key {k}: last acknowledged {want:?}, found {got:?}");
            }
        }
    }
    if lost > 0 {
        return Err(Error::Device(format!("{lost} acknowledged write(s) lost")));
    }
    Ok(())
}
