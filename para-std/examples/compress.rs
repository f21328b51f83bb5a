//! Parallel gzip with one `pipeline!`, as pigz does it: read 128 KiB chunks (serial source),
//! deflate each on every thread (flate2's pure-Rust zlib-rs backend) with
//! the 32 KiB of input before it as its dictionary, write the deflated chunks in input order
//! (`ordered try` sink) into one gzip member. `gzip -d` restores the input byte for byte.
//!
//! ```text
//! cargo run --release --example compress [INPUT] [-o OUTPUT] [-t THREADS] [-l LEVEL]
//!     [--dot FILE] [--stats] [--stats-dot FILE] [--trace FILE]
//! ```
//!
//! Without INPUT it compresses a generated, deterministic 64 MiB text (to a file in the
//! temporary directory unless `-o` is given). OUTPUT defaults to `INPUT.gz`; it is written to a
//! temporary file next to it and renamed on success, so a failed run leaves no half-written
//! output. THREADS defaults to every core, LEVEL to 6. The pipeline itself is in
//! `tests/src/compress.rs`, shared with the end-to-end test.

#[path = "../../tests/src/compress.rs"]
pub mod compress;

use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

/// Inputs larger than this get a progress bar (on stderr, when it is a terminal).
const PROGRESS_ABOVE: u64 = 4 << 20;
/// The size of the generated input.
const DEMO_SIZE: usize = 64 << 20;

const USAGE: &str = "usage: compress [INPUT] [-o OUTPUT] [-t THREADS] [-l LEVEL] [--dot FILE]
                [--stats] [--stats-dot FILE] [--trace FILE]
  INPUT        the file to compress (default: a generated 64 MiB text)
  -o           the gzip file to write (default: INPUT.gz)
  -t           worker threads (default: every core)
  -l           zlib level 0-9 (default: 6)
  --dot        also write the pipeline's graph to FILE (Graphviz DOT: `dot -Tsvg FILE`)
  --stats      print what each stage and worker did (items, steps, busy time, load)
  --stats-dot  write the graph with those figures on it, the busiest stage in red, to FILE
  --trace      write the run's timeline to FILE (Chrome trace-event JSON: open it in
               https://ui.perfetto.dev or chrome://tracing): per worker, its steps and sleeps";

struct Args {
    input: Option<PathBuf>,
    output: Option<PathBuf>,
    threads: usize,
    level: u32,
    dot: Option<PathBuf>,
    stats: bool,
    stats_dot: Option<PathBuf>,
    trace: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        input: None,
        output: None,
        threads: para_std::all_cores(),
        level: 6,
        dot: None,
        stats: false,
        stats_dot: None,
        trace: None,
    };
    let mut it = std::env::args_os().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value"))
                .map(|v| v.to_string_lossy().into_owned())
        };
        match arg.to_str() {
            Some("-h" | "--help") => return Err(String::new()),
            Some("-o") => args.output = Some(PathBuf::from(value("-o")?)),
            Some("--dot") => args.dot = Some(PathBuf::from(value("--dot")?)),
            Some("--stats") => args.stats = true,
            Some("--stats-dot") => args.stats_dot = Some(PathBuf::from(value("--stats-dot")?)),
            Some("--trace") => args.trace = Some(PathBuf::from(value("--trace")?)),
            Some("-t") => {
                args.threads = value("-t")?
                    .parse()
                    .ok()
                    .filter(|&t| t >= 1)
                    .ok_or("-t needs a thread count of at least 1")?
            }
            Some("-l") => {
                args.level = value("-l")?
                    .parse()
                    .ok()
                    .filter(|&l| l <= 9)
                    .ok_or("-l needs a level from 0 to 9")?
            }
            Some(a) if a.starts_with('-') && a.len() > 1 => {
                return Err(format!("unknown option {a}"))
            }
            _ if args.input.is_none() => args.input = Some(PathBuf::from(arg)),
            _ => return Err("more than one INPUT".to_owned()),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if message.is_empty() {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            eprintln!("compress: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("compress: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    if let Some(path) = &args.dot {
        std::fs::write(path, compress::graph_dot())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let demo;
    let (input, size, output): (Box<dyn std::io::Read + Send>, u64, PathBuf) = match &args.input {
        Some(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            // An unknown size (a pipe) just means no progress bar.
            let size = file.metadata().map(|m| m.len()).unwrap_or(0);
            let output = args.output.clone().unwrap_or_else(|| {
                let mut name = path.clone().into_os_string();
                name.push(".gz");
                PathBuf::from(name)
            });
            (Box::new(file), size, output)
        }
        None => {
            demo = compress::demo_text(DEMO_SIZE);
            let output = args
                .output
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join("para-compress-demo.gz"));
            eprintln!(
                "compress: no INPUT given: compressing a generated {} MiB text",
                DEMO_SIZE >> 20
            );
            (Box::new(&demo[..]), demo.len() as u64, output)
        }
    };
    let input_name = args
        .input
        .as_ref()
        .map_or("the generated input".to_owned(), |p| {
            p.display().to_string()
        });

    // The run's progress hook counts the chunks its sink has written.
    let bar = if size > PROGRESS_ABOVE {
        let bar = ProgressBar::new(size.div_ceil(compress::CHUNK as u64));
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} chunks {per_sec} eta {eta}")
                .expect("a valid template"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };

    let started = Instant::now();
    let mut run_stats = match args.trace {
        // Every step of a run of this size fits (512 chunks of 64 MiB take ~200 steps).
        Some(_) => para_std::Stats::new().with_trace(1 << 16),
        None => para_std::Stats::new(),
    };
    let watch = compress::Watch {
        progress: Some(&|chunks| bar.inc(chunks as u64)),
        stats: Some(&mut run_stats),
    };
    let result = compress::compress_to_path(input, &output, args.threads, args.level, watch);
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    if args.stats {
        eprintln!("{run_stats}");
    }
    if let Some(path) = &args.trace {
        let file = std::fs::File::create(path)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        run_stats
            .write_trace(file)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.stats_dot {
        std::fs::write(path, run_stats.dot())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let stats = result.map_err(|e| match e {
        compress::Error::Read(e) => format!("cannot read {input_name}: {e}"),
        compress::Error::Write(e) => format!("cannot write {}: {e}", output.display()),
        e @ compress::Error::Deflate(_) => e.to_string(),
    })?;

    let ratio = if stats.bytes_in == 0 {
        "n/a (empty input)".to_owned()
    } else {
        format!(
            "{:.3} (output {:.1}% of input)",
            stats.bytes_in as f64 / stats.bytes_out as f64,
            100.0 * stats.bytes_out as f64 / stats.bytes_in as f64
        )
    };
    println!(
        "{} -> {}: {} bytes in, {} bytes out ({} chunks), ratio {}; \
         {:.3} s, {:.1} MB/s; {} threads, level {}",
        input_name,
        output.display(),
        stats.bytes_in,
        stats.bytes_out,
        stats.chunks,
        ratio,
        elapsed,
        stats.bytes_in as f64 / 1e6 / elapsed,
        args.threads,
        args.level,
    );
    Ok(())
}
