//! A para pipeline with a GPU stage: CPU stage → batched async GPU stage → CPU stage → `ordered`
//! sink, on a real GPU through wgpu (Vulkan, Metal or DX12).
//!
//! ```text
//! source: tile indices of a generated RGBA8 image (64 MiB by default, 4096 pixels wide)
//!  => |i| image.tile(i)                       CPU: the tile's rows plus 2 halo rows on each side
//!  => batch(N) limit(K) async |tiles| …       GPU: 5×5 Gaussian blur + luma threshold, one
//!                                             compute dispatch per batch of up to N tiles, K
//!                                             dispatches in flight
//!  => summarize                               CPU: each tile's checksum and mask count
//!  => ordered |out| assembly.add(out)         the image reassembled in source order, one digest
//! ```
//!
//! The GPU stage's futures wait for the GPU without holding a worker: a readback's `map_async`
//! callback answers a oneshot channel, and a device thread polls the device while readbacks are
//! outstanding (`gpu.rs`). The same pipeline then runs with the CPU filter (`kernel.rs`) as its
//! middle stage instead — the throughput without the GPU stage — and the two results must be
//! equal, pixel for pixel (integer arithmetic only on both sides).
//!
//! ```text
//! cargo run --release --manifest-path examples/gpu/Cargo.toml -- [MiB] [threads] [rounds]
//! ```
//!
//! Defaults: 64 MiB, every core, 1 round (each round runs the GPU pipeline then the CPU one and
//! compares their results; the median times are reported). It needs a Vulkan, Metal or DX12 driver; without a GPU,
//! on Debian, `apt install mesa-vulkan-drivers` gives Mesa's lavapipe, a Vulkan implementation
//! on the CPU (what CI uses: `scripts/gpu.sh`). `WGPU_BACKEND=vulkan` (or `metal`, `dx12`)
//! picks a backend. Exits with 2 when no adapter is found, 1 when the results differ.

mod gpu;
mod image;
mod kernel;

use gpu::Gpu;
use image::{Filtered, Geometry, Image, Tile};
use para_std::{pipeline, Batch};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Tiles per GPU dispatch: the GPU stage's `batch(…)` (a literal: keep it equal).
const BATCH: usize = 4;
/// GPU dispatches in flight at most: the async stage's `limit(…)` (a literal: keep it equal).
const IN_FLIGHT: usize = 4;
/// Pixels per row: 16 KiB rows.
const WIDTH: usize = 4096;
/// Rows per tile: 1 MiB tiles (plus 4 halo rows).
const TILE_ROWS: usize = 64;
/// The generated image's seed.
const SEED: u64 = 0x5EED;

fn main() -> ExitCode {
    let args = match Args::parse() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("gpu example: {message}");
            eprintln!("usage: para-gpu-example [MiB, default 64] [threads, default every core] [rounds, default 1]");
            return ExitCode::from(2);
        }
    };
    let geometry = Geometry {
        width: WIDTH,
        height: args.mib * (1 << 20) / (WIDTH * 4),
        tile_rows: TILE_ROWS,
    };
    let image = Image::generate(geometry, SEED);

    let gpu = match Gpu::new(geometry, BATCH) {
        Ok(gpu) => gpu,
        Err(e) => {
            eprintln!("gpu example: {e}");
            return ExitCode::from(2);
        }
    };
    let info = &gpu.info;
    println!(
        "adapter: {} ({:?}, {:?}; driver: {} {})",
        info.name, info.backend, info.device_type, info.driver, info.driver_info
    );
    println!(
        "input: {} MiB RGBA8 image, {}x{} pixels, {} tiles of {} rows (+{} halo rows), {} threads",
        args.mib,
        geometry.width,
        geometry.height,
        geometry.tiles(),
        geometry.tile_rows,
        2 * image::HALO,
        args.threads
    );

    // Once, untimed: the driver's first dispatch may compile the shader (lavapipe JITs it).
    // The result is checked with the rest below.
    pollster::block_on(gpu.process(&[image.tile(0)]));

    // Rounds alternate the two pipelines, so both see the same machine (it may be shared).
    let (mut gpu_times, mut cpu_times) = (Vec::new(), Vec::new());
    let mut result = None;
    for _ in 0..args.rounds {
        let (with_gpu, with_cpu) = (
            gpu_pipeline(args.threads, &image, &gpu),
            cpu_pipeline(args.threads, &image),
        );
        if let Err(difference) = compare(&with_gpu, &with_cpu) {
            eprintln!("gpu example: results differ: {difference}");
            return ExitCode::FAILURE;
        }
        gpu_times.push(with_gpu.elapsed);
        cpu_times.push(with_cpu.elapsed);
        result = Some(with_gpu);
    }
    let result = result.expect("one round at least");

    let counts = gpu.counts();
    let dispatches = counts.dispatches - 1; // less the warm-up's
    println!(
        "GPU stage: {dispatches} dispatches in {} round(s), {:.1} tiles each (batch {BATCH}), at \
         most {} in flight (limit {IN_FLIGHT}); the device thread polled \
         {} times",
        args.rounds,
        (geometry.tiles() * args.rounds) as f64 / dispatches as f64,
        counts.most_in_flight,
        counts.polls
    );
    let mb = geometry.bytes() as f64 / 1e6;
    let (gpu_time, cpu_time) = (median(gpu_times), median(cpu_times));
    for (what, time) in [
        ("with the GPU stage:", gpu_time),
        ("with the CPU stage:", cpu_time),
    ] {
        let seconds = time.as_secs_f64();
        println!(
            "{what} {seconds:7.3} s, {:8.1} MB/s (median of {})",
            mb / seconds,
            args.rounds
        );
    }
    println!(
        "GPU/CPU throughput: {:.2}x",
        cpu_time.as_secs_f64() / gpu_time.as_secs_f64()
    );
    println!(
        "results match: {} pixels, digest {:#018x}, {:.1}% of pixels in the mask",
        result.pixels.len(),
        result.digest,
        100.0 * result.masked as f64 / result.pixels.len() as f64
    );
    ExitCode::SUCCESS
}

/// Both pipelines' images, compared in full, and their digests (the tiles' checksums, folded
/// in order).
fn compare(with_gpu: &Run, with_cpu: &Run) -> Result<(), String> {
    if let Some(at) = with_gpu
        .pixels
        .iter()
        .zip(&with_cpu.pixels)
        .position(|(a, b)| a != b)
    {
        let (x, y) = (at % WIDTH, at / WIDTH);
        return Err(format!(
            "pixel ({x}, {y}) (tile {}) is {:#010x} on the GPU, {:#010x} on the CPU",
            y / TILE_ROWS,
            with_gpu.pixels[at],
            with_cpu.pixels[at]
        ));
    }
    if with_gpu.pixels.len() != with_cpu.pixels.len() {
        return Err(format!(
            "{} pixels from the GPU, {} from the CPU",
            with_gpu.pixels.len(),
            with_cpu.pixels.len()
        ));
    }
    if (with_gpu.digest, with_gpu.masked) != (with_cpu.digest, with_cpu.masked) {
        return Err("equal pixels, but not equal digests: the tiles' summaries differ".into());
    }
    Ok(())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The pipeline with the GPU filter as its middle stage.
fn gpu_pipeline(threads: usize, image: &Image, gpu: &Gpu) -> Run {
    let mut assembly = Assembly::new(image.geometry);
    let start = Instant::now();
    pipeline!(threads, 0..image.geometry.tiles()
        => |i| image.tile(i)
        => batch(4) limit(4) async |tiles: Batch<Tile, BATCH>| gpu.process(&tiles).await
        => summarize
        => ordered |out| assembly.add(out));
    assembly.finish(start.elapsed())
}

/// The same pipeline with the CPU filter as its middle stage.
fn cpu_pipeline(threads: usize, image: &Image) -> Run {
    let mut assembly = Assembly::new(image.geometry);
    let start = Instant::now();
    pipeline!(threads, 0..image.geometry.tiles()
        => |i| image.tile(i)
        => |tile: Tile| kernel::filter_tile(&tile, image.geometry.width)
        => summarize
        => ordered |out| assembly.add(out));
    assembly.finish(start.elapsed())
}

/// The CPU stage after the filter: a tile's checksum (FNV-1a over its pixels) and the number
/// of its pixels in the mask.
fn summarize(tile: Filtered) -> (Filtered, u64, usize) {
    let checksum = tile.pixels.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &p| {
        (h ^ u64::from(p)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    let masked = tile.pixels.iter().filter(|&&p| p >> 24 != 0).count();
    (tile, checksum, masked)
}

/// The ordered sink's state: the filtered image, reassembled in source order, and a digest of
/// the tiles' checksums in that order.
struct Assembly {
    pixels: Vec<u32>,
    digest: u64,
    masked: usize,
    next: usize,
}

/// One pipeline's result and time.
struct Run {
    pixels: Vec<u32>,
    digest: u64,
    masked: usize,
    elapsed: Duration,
}

impl Assembly {
    fn new(geometry: Geometry) -> Assembly {
        Assembly {
            pixels: Vec::with_capacity(geometry.width * geometry.height),
            digest: 0,
            masked: 0,
            next: 0,
        }
    }

    fn add(&mut self, (tile, checksum, masked): (Filtered, u64, usize)) {
        assert_eq!(
            tile.index, self.next,
            "the ordered sink sees tiles in source order"
        );
        self.next += 1;
        self.pixels.extend_from_slice(&tile.pixels);
        self.digest = (self.digest ^ checksum)
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .rotate_left(29);
        self.masked += masked;
    }

    fn finish(self, elapsed: Duration) -> Run {
        Run {
            pixels: self.pixels,
            digest: self.digest,
            masked: self.masked,
            elapsed,
        }
    }
}

/// The command line: `[MiB] [threads] [rounds]`.
struct Args {
    mib: usize,
    threads: usize,
    rounds: usize,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let mut args = std::env::args().skip(1);
        let mut next = |name: &str, default: usize, max: usize| -> Result<usize, String> {
            match args.next() {
                None => Ok(default),
                Some(arg) => match arg.parse::<usize>() {
                    Ok(n) if (1..=max).contains(&n) => Ok(n),
                    _ => Err(format!(
                        "{name} must be a whole number from 1 to {max}, not {arg:?}"
                    )),
                },
            }
        };
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Ok(Args {
            mib: next("the size in MiB", 64, 1024)?,
            threads: next(
                "threads",
                cores.min(para_std::MAX_THREADS),
                para_std::MAX_THREADS,
            )?,
            rounds: next("rounds", 1, 100)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Both pipelines, on 2 threads, give the image the direct filter gives, in order.
    #[test]
    fn both_pipelines_equal_the_direct_filter() {
        let geometry = Geometry {
            width: 300,
            height: 70,
            tile_rows: 8,
        };
        let image = Image::generate(geometry, 11);
        let gpu = Gpu::new(geometry, BATCH).unwrap_or_else(|e| panic!("{e}"));
        let expected = kernel::filter_image(&image);
        let (with_gpu, with_cpu) = (gpu_pipeline(2, &image, &gpu), cpu_pipeline(2, &image));
        assert!(
            with_gpu.pixels == expected,
            "the GPU pipeline's image differs"
        );
        assert!(
            with_cpu.pixels == expected,
            "the CPU pipeline's image differs"
        );
        assert_eq!(with_gpu.digest, with_cpu.digest);
    }
}
