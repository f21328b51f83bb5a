//! The `compress` example's pipeline (`tests/src/compress.rs`): what it writes is a gzip stream
//! that restores the input byte for byte (checked with flate2's decoder and with the system
//! `gzip -d` when there is one), for empty inputs, inputs smaller than a chunk's dictionary and
//! inputs of several chunks, the same at every thread count; each chunk is primed with the input
//! before it; read and write errors are returned (through an `ordered try` sink) and leave no
//! file behind.

use crate::common::watchdog;
use flate2::read::{GzDecoder, MultiGzDecoder};
use para_tests::compress::{
    compress, compress_to_path, compress_watched, Error, Stats, Watch, CHUNK, DICTIONARY,
};
use std::io::{self, Read, Write};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

const THREADS: [usize; 3] = [1, 2, 4];

/// `len` bytes of text-like data with some incompressible stretches, different for each `seed`.
fn sample(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut data = Vec::with_capacity(len);
    while data.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if state.is_multiple_of(8) {
            data.extend_from_slice(&state.to_le_bytes());
        } else {
            data.extend_from_slice(b"the quick brown fox jumps over the lazy dog ");
            data.push(b'a' + (state % 26) as u8);
        }
    }
    data.truncate(len);
    data
}

fn gunzip(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    MultiGzDecoder::new(gz)
        .read_to_end(&mut out)
        .expect("a valid gzip stream");
    out
}

/// What a gzip stream cut short (with no end) restores: all it holds.
fn gunzip_prefix(gz: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    // On an error, `read_to_end` keeps what it has read.
    if let Err(e) = GzDecoder::new(gz).read_to_end(&mut out) {
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{e}");
    }
    out
}

/// `gzip -dc` of the file at `path`, or None when there is no `gzip` binary.
fn system_gunzip(path: &Path) -> Option<Vec<u8>> {
    let out = match Command::new("gzip").arg("-dc").arg(path).output() {
        Ok(out) => out,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            eprintln!("note: no `gzip` binary: checked with flate2's decoder only");
            return None;
        }
        Err(e) => panic!("cannot run gzip: {e}"),
    };
    assert!(
        out.status.success(),
        "gzip -d failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

fn chunks(len: usize) -> u64 {
    len.div_ceil(CHUNK) as u64
}

#[test]
fn compressed_data_restores_the_input_byte_for_byte() {
    let sizes = [
        0,
        1,
        1_000,
        DICTIONARY - 1,
        DICTIONARY + 1,
        CHUNK - 1,
        CHUNK,
        2 * CHUNK,
        3 * CHUNK + 12_345,
        40 * CHUNK + 7,
    ];
    for (seed, len) in sizes.into_iter().enumerate() {
        let data = sample(len, seed as u64);
        let mut first = None;
        for threads in THREADS {
            let (gz, stats, progress) = watchdog(60, || {
                let mut gz = Vec::new();
                let progress = AtomicUsize::new(0);
                let watch = Watch {
                    progress: Some(&|n| {
                        progress.fetch_add(n, Ordering::Relaxed);
                    }),
                    stats: None,
                };
                let stats = compress_watched(&data[..], &mut gz, threads, 6, watch)
                    .expect("compressing into memory works");
                (gz, stats, progress.into_inner())
            });
            let what = format!("len={len} threads={threads}");
            assert_eq!(gunzip(&gz), data, "{what}");
            assert_eq!(
                stats,
                Stats {
                    bytes_in: len as u64,
                    bytes_out: gz.len() as u64,
                    chunks: chunks(len),
                },
                "{what}"
            );
            // Progress counts every chunk written.
            assert_eq!(progress as u64, chunks(len), "{what}");
            // The output does not depend on the thread count.
            assert!(*first.get_or_insert_with(|| gz.clone()) == gz, "{what}");
        }
    }
}

#[test]
fn the_system_gzip_restores_files_written_by_compress_to_path() {
    let dir = tempfile::tempdir().unwrap();
    // Empty, shorter than a dictionary, several chunks.
    for (seed, len) in [0, 1_000, 5 * CHUNK + 999].into_iter().enumerate() {
        let data = sample(len, 100 + seed as u64);
        for threads in THREADS {
            let path = dir.path().join(format!("out-{len}-{threads}.gz"));
            let stats = watchdog(60, || {
                compress_to_path(&data[..], &path, threads, 6, Watch::default())
                    .expect("compresses")
            });
            assert_eq!(stats.bytes_out, std::fs::metadata(&path).unwrap().len());
            if let Some(restored) = system_gunzip(&path) {
                assert_eq!(restored, data, "len={len} threads={threads}");
            }
            assert_eq!(gunzip(&std::fs::read(&path).unwrap()), data);
        }
    }
    // Only the outputs are left: no temporary files.
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        3 * THREADS.len()
    );
}

#[test]
fn each_chunk_is_primed_with_the_input_before_it() {
    // 16 KiB of noise, repeated over 8 chunks: with the 32 KiB before it as its dictionary, each
    // chunk is all matches. Deflated alone, each would start with 16 KiB it cannot compress
    // (8 × 16 KiB in all).
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let noise: Vec<u8> = (0..16 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect();
    let data = noise.repeat(8 * CHUNK / noise.len());
    for threads in THREADS {
        let mut gz = Vec::new();
        watchdog(60, || compress(&data[..], &mut gz, threads, 6)).unwrap();
        assert!(gunzip(&gz) == data, "threads={threads}");
        assert!(
            gz.len() < 2 * noise.len(),
            "threads={threads}: {} bytes",
            gz.len()
        );
    }
}

#[test]
fn every_level_round_trips() {
    let data = sample(3 * CHUNK + 1, 7);
    let mut sizes = Vec::new();
    for level in [0, 1, 6, 9] {
        let mut gz = Vec::new();
        watchdog(60, || compress(&data[..], &mut gz, 2, level)).unwrap();
        assert_eq!(gunzip(&gz), data, "level={level}");
        sizes.push(gz.len());
    }
    assert!(sizes[0] > data.len() && sizes[1] < sizes[0], "{sizes:?}");
}

#[test]
fn an_existing_output_is_replaced_only_on_success() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.gz");
    std::fs::write(&path, b"old contents").unwrap();
    let data = sample(2 * CHUNK + 5, 3);
    let failing = FailingReader {
        data: &data,
        fail_at: CHUNK + 10,
    };
    let result = watchdog(60, || {
        compress_to_path(failing, &path, 2, 6, Watch::default())
    });
    assert!(matches!(result, Err(Error::Read(_))), "{result:?}");
    assert_eq!(std::fs::read(&path).unwrap(), b"old contents");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);

    watchdog(60, || {
        compress_to_path(&data[..], &path, 2, 6, Watch::default())
    })
    .unwrap();
    assert_eq!(gunzip(&std::fs::read(&path).unwrap()), data);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

/// Reads `data`, but fails once `fail_at` bytes have been read.
struct FailingReader<'a> {
    data: &'a [u8],
    fail_at: usize,
}

impl Read for FailingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.fail_at == 0 {
            return Err(io::Error::other("the disk fell off"));
        }
        let n = buf.len().min(self.fail_at).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.fail_at -= n;
        Ok(n)
    }
}

/// Accepts `room` bytes, then fails.
struct FullDisk {
    room: usize,
    written: usize,
}

impl Write for FullDisk {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.written + buf.len() > self.room {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"));
        }
        self.written += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_read_error_stops_the_run_and_is_returned() {
    let data = sample(20 * CHUNK, 11);
    for threads in THREADS {
        for fail_at in [0, 1, CHUNK, 7 * CHUNK + 3] {
            let mut gz = Vec::new();
            let reader = FailingReader {
                data: &data,
                fail_at,
            };
            let result = watchdog(60, || compress(reader, &mut gz, threads, 6));
            match result {
                Err(Error::Read(e)) => assert_eq!(e.to_string(), "the disk fell off"),
                other => panic!("threads={threads} fail_at={fail_at}: {other:?}"),
            }
            // What was written before the error (the header, whole chunks if any) restores a
            // prefix.
            let restored = gunzip_prefix(&gz);
            assert!(restored.len() <= fail_at && data.starts_with(&restored));
            assert!(restored.len().is_multiple_of(CHUNK), "{}", restored.len());
        }
    }
}

#[test]
fn a_write_error_stops_the_run_and_is_returned() {
    let data = sample(30 * CHUNK, 12);
    for threads in THREADS {
        // In the header, in the header, in the ordered sink.
        for room in [0, 1, 20_000] {
            let mut disk = FullDisk { room, written: 0 };
            let written = AtomicUsize::new(0);
            let watch = Watch {
                progress: Some(&|n| {
                    written.fetch_add(n, Ordering::Relaxed);
                }),
                stats: None,
            };
            let result = watchdog(60, || {
                compress_watched(&data[..], &mut disk, threads, 6, watch)
            });
            match result {
                Err(Error::Write(e)) => assert_eq!(e.kind(), io::ErrorKind::StorageFull),
                other => panic!("threads={threads} room={room}: {other:?}"),
            }
            assert!(written.into_inner() < 30, "the run went on after the error");
            assert!(disk.written <= room);
        }
    }
}

#[test]
fn an_unwritable_output_is_an_error_and_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = sample(3 * CHUNK, 13);

    // A directory that does not exist.
    let missing = dir.path().join("no-such-dir").join("out.gz");
    let result = watchdog(60, || {
        compress_to_path(&data[..], &missing, 2, 6, Watch::default())
    });
    assert!(matches!(result, Err(Error::Write(_))), "{result:?}");
    assert!(!missing.exists());

    // A path that is a directory.
    let sub = dir.path().join("sub");
    std::fs::create_dir(&sub).unwrap();
    let result = watchdog(60, || {
        compress_to_path(&data[..], &sub, 2, 6, Watch::default())
    });
    assert!(matches!(result, Err(Error::Write(_))), "{result:?}");
    assert!(sub.is_dir() && std::fs::read_dir(&sub).unwrap().next().is_none());

    // A path ending in `..` names no file.
    let result = watchdog(60, || {
        compress_to_path(&data[..], &sub.join(".."), 2, 6, Watch::default())
    });
    assert!(matches!(result, Err(Error::Write(_))), "{result:?}");

    // A device that is always full: written directly, the error comes from the first write.
    let full = Path::new("/dev/full");
    if full.exists() {
        let result = watchdog(60, || {
            compress_to_path(&data[..], full, 2, 6, Watch::default())
        });
        match result {
            Err(Error::Write(e)) => assert_eq!(e.kind(), io::ErrorKind::StorageFull),
            other => panic!("{other:?}"),
        }
    }

    // Nothing was left behind.
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["sub"]);
}

#[test]
fn a_non_regular_output_is_written_directly() {
    let null = Path::new("/dev/null");
    if null.exists() {
        let data = sample(2 * CHUNK, 14);
        let stats = watchdog(60, || {
            compress_to_path(&data[..], null, 2, 6, Watch::default())
        })
        .unwrap();
        assert_eq!(stats.bytes_in, data.len() as u64);
        assert_eq!(stats.chunks, 2);
    }
}

#[test]
fn the_statistics_of_a_run_add_up() {
    let len = 20 * CHUNK + 99;
    let data = sample(len, 21);
    for threads in THREADS {
        let mut stats = para_std::Stats::new().with_trace(1 << 16);
        let watch = Watch {
            progress: None,
            stats: Some(&mut stats),
        };
        let mut gz = Vec::new();
        let totals = watchdog(60, || {
            compress_watched(&data[..], &mut gz, threads, 6, watch)
        })
        .expect("compresses");
        assert_eq!(gunzip(&gz), data);
        // Source, deflate, ordered sink: every chunk through each, none filtered.
        let nodes: Vec<_> = stats.nodes().collect();
        assert_eq!(nodes.len(), 3, "{stats}");
        let chunks = totals.chunks;
        assert_eq!(nodes[0].items_out, chunks, "{stats}");
        assert_eq!(
            (nodes[1].items_in, nodes[1].items_out),
            (chunks, chunks),
            "{stats}"
        );
        assert_eq!(
            (nodes[2].items_in, nodes[2].items_out),
            (chunks, 0),
            "{stats}"
        );
        // Deflating is the work: the stage with the most busy time. (Not `bottleneck()`: with
        // more threads than cores, a parallel stage's load over T understates it.)
        assert!(nodes[1].busy > nodes[0].busy, "{stats}");
        assert!(nodes[1].busy > nodes[2].busy, "{stats}");
        // The timeline: a span per step, named by its node.
        let mut json = Vec::new();
        stats.write_trace(&mut json).unwrap();
        let trace: serde_json::Value = serde_json::from_slice(&json).expect("JSON");
        let events = trace["traceEvents"].as_array().unwrap();
        for (i, node) in nodes.iter().enumerate() {
            let spans = events
                .iter()
                .filter(|e| e["cat"] == "step" && e["args"]["node"] == i)
                .inspect(|e| assert_eq!(e["name"], node.name))
                .count();
            assert_eq!(spans as u64, node.steps, "node {i}:\n{stats}");
        }
    }
}
