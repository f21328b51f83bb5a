//! Real work: gzip-compressing a 64 MiB generated text (deterministic, English-like, ~3–4×
//! compressible) in 128 KiB chunks, each deflated independently at level 6 (flate2's zlib-rs
//! backend, as the example) into one gzip member, the members written in input order into
//! one `Vec<u8>` — the shape of the `compress` example (`para-std/examples/compress.rs`).
//!
//! Compared in the same run: `sequential` (a loop over the chunks), `channels/T` (a source
//! thread, `T` deflating workers, a reorder buffer on the caller writing the members in order),
//! `rayon/T` (`par_chunks(…).map(deflate).collect()`, then the members appended in order) and
//! `para/T` (`chunks => deflate => ordered sink`), for T = 1 and 2. Channels and para both hold
//! at most 16 chunks in flight (`capacity = 16`); rayon holds every compressed member until the
//! end, as its natural form does. Every output is checked once, before timing, to decompress
//! (`MultiGzDecoder`) to the input.
//!
//! Throughput is input bytes per second: compare it with `pigz -p T -6` on the same machine
//! (`scripts/compare-pigz.sh`). One iteration takes about a second, so the group runs few
//! samples; `PARA_BENCH_QUICK=1` compresses 4 MiB instead.

mod common;

use common::{compare, in_order, source, stage, Implementations};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use crossbeam_channel::bounded;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use para_benches::{demo_text, size, Timing};
use para_std::pipeline;
use rayon::prelude::*;
use std::io::{Read, Write};

/// The size of the chunks the input is cut into; each becomes one gzip member.
const CHUNK: usize = 128 * 1024;
/// Chunks in flight in the channel and para pipelines.
const CAPACITY: usize = 16;
const LEVEL: u32 = 6;

/// `chunk` gzip-compressed into `out` as one complete gzip member.
fn deflate_into(chunk: &[u8], out: &mut Vec<u8>) {
    let mut gz = GzEncoder::new(out, Compression::new(LEVEL));
    gz.write_all(chunk).expect("deflate into memory");
    gz.finish().expect("deflate into memory");
}

/// `chunk` as one complete gzip member.
fn deflate(chunk: &[u8]) -> Vec<u8> {
    let mut member = Vec::with_capacity(chunk.len() / 2 + 64);
    deflate_into(chunk, &mut member);
    member
}

fn compress(c: &mut Criterion) {
    let text = demo_text(size(64 << 20, 4 << 20));
    let text = &text[..];
    let sequential = || {
        let mut out = Vec::new();
        for chunk in text.chunks(CHUNK) {
            deflate_into(chunk, &mut out);
        }
        out
    };
    let gz = sequential();
    eprintln!(
        "compress: {} bytes -> {} bytes ({:.2}x)",
        text.len(),
        gz.len(),
        text.len() as f64 / gz.len() as f64
    );
    compare(
        c,
        "compress",
        // ~2 s per iteration at 1 thread, ~1 s at 2: one iteration per sample, ten samples each,
        // about 2.5 minutes for the group (criterion warns that 10 s are too short for ten
        // samples: expected).
        Timing::new(10, 1.0, 10.0),
        Throughput::Bytes(text.len() as u64),
        |name, got: Vec<u8>| {
            let mut back = Vec::with_capacity(text.len());
            MultiGzDecoder::new(&got[..])
                .read_to_end(&mut back)
                .unwrap_or_else(|e| panic!("{name}: not a valid gzip stream: {e}"));
            assert!(back == text, "{name}: does not decompress to the input");
        },
        Implementations {
            sequential,
            channels: |t| {
                let (tx0, rx0) = bounded(CAPACITY);
                let (tx1, rx1) = bounded(CAPACITY);
                let numbered = |(i, chunk): (u64, &[u8])| (i, deflate(chunk));
                std::thread::scope(|s| {
                    source(s, (0..).zip(text.chunks(CHUNK)), tx0);
                    stage(s, t, rx0, tx1, &numbered);
                    let mut out = Vec::new();
                    in_order(rx1, |member: Vec<u8>| out.extend_from_slice(&member));
                    out
                })
            },
            rayon: |pool| {
                let members: Vec<Vec<u8>> =
                    pool.install(|| text.par_chunks(CHUNK).map(deflate).collect());
                let mut out = Vec::new();
                for member in members {
                    out.extend_from_slice(&member);
                }
                out
            },
            para: |t| {
                let mut out = Vec::new();
                pipeline!(t, capacity = CAPACITY, text.chunks(CHUNK)
                          => |chunk: &[u8]| deflate(chunk)
                          => ordered |member: Vec<u8>| out.extend_from_slice(&member));
                out
            },
        },
    );
}

criterion_group!(benches, compress);
criterion_main!(benches);
