//! The core of the `compress` example (`para-std/examples/compress.rs`, which includes this file
//! with `#[path]`), kept here so that the end-to-end test (`tests/tests/compress.rs`) runs the
//! very same code.
//!
//! One `pipeline!`, as pigz does it: a serial source reads the input in 128 KiB chunks and hands
//! each one the 32 KiB of input before it; a parallel stage deflates each chunk into raw deflate
//! blocks (flate2's zlib-rs backend) primed with those 32 KiB as its dictionary, so
//! that matches reach back across chunk boundaries, and ends them with a sync flush (byte-aligned,
//! not final); an `ordered try` sink writes the blocks in input order and combines the chunks'
//! CRC-32s. Around them, one gzip header, a final empty block and the trailer make one gzip
//! member: `gzip -d` restores the input byte for byte.
//!
//! ```text
//! input     |........ chunk 0 ........|........ chunk 1 ........|.... chunk 2 ....|
//! items     [         data 0          ]
//!                              [ dict |         data 1          ]
//!                                                        [ dict |     data 2      ]
//! output    header | blocks 0 | blocks 1 | blocks 2 | final empty block | CRC-32, length
//! ```

use flate2::{Compress, Compression, Crc, FlushCompress};
use para_std::{pipeline, pipeline_dot};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The size of the chunks the input is cut into; each is deflated on its own.
pub const CHUNK: usize = 128 * 1024;

/// The input before a chunk that primes its compressor: deflate's whole window.
pub const DICTIONARY: usize = 32 * 1024;

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes read from the input.
    pub bytes_in: u64,
    /// Bytes written to the output.
    pub bytes_out: u64,
    /// Chunks deflated (none for an empty input).
    pub chunks: u64,
}

/// Why a run failed, by the side that failed.
#[derive(Debug)]
pub enum Error {
    /// Opening or reading the input.
    Read(io::Error),
    /// Deflating a chunk (zlib refused it: not expected with valid levels).
    Deflate(io::Error),
    /// Creating, writing or renaming the output.
    Write(io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Read(e) => write!(f, "cannot read the input: {e}"),
            Error::Deflate(e) => write!(f, "cannot deflate: {e}"),
            Error::Write(e) => write!(f, "cannot write the output: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Read(e) | Error::Deflate(e) | Error::Write(e) => Some(e),
        }
    }
}

/// What watches a run of [`compress_watched`]: progress as it goes, statistics after it.
#[derive(Default)]
pub struct Watch<'a> {
    /// Told how many chunks the sink has just written, from the worker that wrote them (the
    /// calls may come from several threads, as chunks are written in order).
    pub progress: Option<&'a (dyn Fn(usize) + Sync)>,
    /// Filled with what each stage and worker did.
    pub stats: Option<&'a mut para_std::Stats>,
}

impl fmt::Debug for Watch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch")
            .field("progress", &self.progress.is_some())
            .field("stats", &self.stats)
            .finish()
    }
}

/// The pipeline of [`compress`], written once for `pipeline!` (which runs it) and
/// `pipeline_dot!` (which draws it: [`graph_dot`]).
macro_rules! the_pipeline {
    ($macro:ident, $threads:expr, $input:ident, $level:ident, $output:ident, $crc:ident,
     $stats:ident, $run_stats:ident, $progress:ident) => {
        $macro!($threads, capacity = 16, stats = $run_stats, progress = $progress,
            Chunks::new($input)
        => try |chunk: io::Result<Chunk>| deflate(&chunk.map_err(Error::Read)?, $level)
        => ordered try |chunk: Deflated| {
            $output.write_all(&chunk.blocks).map_err(Error::Write)?;
            let len = u64::from(chunk.crc.amount());
            $crc.combine(&chunk.crc);
            $stats.bytes_in += len;
            $stats.bytes_out += chunk.blocks.len() as u64;
            $stats.chunks += 1;
            Ok(())
        })
    };
}

/// The DOT picture (Graphviz) of the graph [`compress`] runs, as `pipeline_dot!` draws it:
/// nodes, queues and the bound on queued chunks (the same for every thread count).
pub fn graph_dot() -> String {
    the_pipeline!(
        pipeline_dot,
        threads,
        input,
        level,
        output,
        crc,
        stats,
        run_stats,
        progress
    )
}

/// Gzip-compresses `input` into `output` on `threads` workers (at least 1) at zlib `level`
/// (0–9), as one gzip member.
///
/// On an error, `output` holds the gzip header and the chunks written before it: a truncated
/// stream whose every byte decompresses to a prefix of the input.
pub fn compress<R, W>(input: R, output: &mut W, threads: usize, level: u32) -> Result<Stats, Error>
where
    R: Read + Send,
    W: Write + Send,
{
    compress_watched(input, output, threads, level, Watch::default())
}

/// [`compress`], watched by `watch`: the run's progress hook and its statistics.
pub fn compress_watched<R, W>(
    input: R,
    output: &mut W,
    threads: usize,
    level: u32,
    watch: Watch<'_>,
) -> Result<Stats, Error>
where
    R: Read + Send,
    W: Write + Send,
{
    assert!(threads >= 1, "compress needs at least one thread");
    let level = Compression::new(level);
    let header = header(level);
    output.write_all(&header).map_err(Error::Write)?;
    let mut stats = Stats {
        bytes_out: header.len() as u64,
        ..Stats::default()
    };
    let mut crc = Crc::new();
    let mut unwatched = para_std::Stats::new();
    let run_stats = watch.stats.unwrap_or(&mut unwatched);
    let progress = |chunks: usize| {
        if let Some(progress) = watch.progress {
            progress(chunks);
        }
    };
    the_pipeline!(pipeline, threads, input, level, output, crc, stats, run_stats, progress)?;
    let end = end(&crc);
    output.write_all(&end).map_err(Error::Write)?;
    output.flush().map_err(Error::Write)?;
    stats.bytes_out += end.len() as u64;
    Ok(stats)
}

/// The gzip header (RFC 1952): deflate, no name, no time, the level hint, unknown system.
fn header(level: Compression) -> [u8; 10] {
    let xfl = match level.level() {
        9 => 2,     // the slowest, best compression
        0 | 1 => 4, // the fastest
        _ => 0,
    };
    [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255]
}

/// What ends the member after the last chunk: an empty final block with fixed codes (after a
/// sync flush, the stream is byte-aligned), the CRC-32 of the input and its length mod 2^32.
fn end(crc: &Crc) -> [u8; 10] {
    let mut end = [0; 10];
    end[..2].copy_from_slice(&[0x03, 0x00]);
    end[2..6].copy_from_slice(&crc.sum().to_le_bytes());
    end[6..].copy_from_slice(&crc.amount().to_le_bytes());
    end
}

/// A chunk of the input and the input just before it.
struct Chunk {
    /// The dictionary (the `DICTIONARY` bytes before the chunk; none for the first), then the
    /// chunk's own data.
    bytes: Vec<u8>,
    /// Where the data starts in `bytes`: the dictionary's length.
    start: usize,
}

/// A chunk deflated: raw deflate blocks ending in a sync flush, and the chunk's CRC-32.
struct Deflated {
    blocks: Vec<u8>,
    crc: Crc,
}

/// `chunk`'s data deflated with its dictionary primed: blocks that a decompressor can only read
/// after the chunks before them.
fn deflate(chunk: &Chunk, level: Compression) -> Result<Deflated, Error> {
    let failed = |e| Error::Deflate(io::Error::other(e));
    let (dictionary, data) = chunk.bytes.split_at(chunk.start);
    let mut zlib = Compress::new(level, false);
    if !dictionary.is_empty() {
        zlib.set_dictionary(dictionary).map_err(failed)?;
    }
    let mut blocks = Vec::with_capacity(data.len() / 2 + 64);
    loop {
        let done = zlib.total_in() as usize;
        zlib.compress_vec(&data[done..], &mut blocks, FlushCompress::Sync)
            .map_err(failed)?;
        // zlib returns with room left in the output only once it has flushed everything.
        if blocks.len() < blocks.capacity() {
            break;
        }
        blocks.reserve(blocks.capacity() / 2);
    }
    let mut crc = Crc::new();
    crc.update(data);
    Ok(Deflated { blocks, crc })
}

/// The input as an iterator of chunks of `CHUNK` bytes (the last one may be shorter; an empty
/// input has none), each after the `DICTIONARY` bytes before it; ends after the first error.
struct Chunks<R> {
    input: R,
    /// The next chunk's buffer, holding its dictionary.
    next: Vec<u8>,
    done: bool,
}

impl<R> Chunks<R> {
    fn new(input: R) -> Self {
        Chunks {
            input,
            next: Vec::with_capacity(CHUNK),
            done: false,
        }
    }
}

impl<R: Read> Iterator for Chunks<R> {
    type Item = io::Result<Chunk>;

    fn next(&mut self) -> Option<io::Result<Chunk>> {
        if self.done {
            return None;
        }
        let mut bytes = std::mem::take(&mut self.next);
        let start = bytes.len();
        // `read_to_end` retries on `Interrupted` and stops at EOF or after CHUNK bytes.
        match (&mut self.input).take(CHUNK as u64).read_to_end(&mut bytes) {
            Ok(0) => {
                self.done = true;
                None
            }
            Ok(n) => {
                self.done = n < CHUNK;
                if !self.done {
                    // Every chunk but the last is full, so it holds a whole dictionary.
                    self.next = Vec::with_capacity(DICTIONARY + CHUNK);
                    self.next
                        .extend_from_slice(&bytes[bytes.len() - DICTIONARY..]);
                }
                Some(Ok(Chunk { bytes, start }))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// [`compress`] into the file at `output`, never leaving a half-written file there: it writes
/// to a temporary file in the same directory and renames it over `output` on success; on
/// failure the temporary file is deleted and `output` is left as it was. An existing `output`
/// that is not a regular file (`/dev/null`, a pipe) is written directly.
pub fn compress_to_path<R: Read + Send>(
    input: R,
    output: &Path,
    threads: usize,
    level: u32,
    watch: Watch<'_>,
) -> Result<Stats, Error> {
    match fs::metadata(output) {
        Ok(meta) if meta.is_dir() => {
            return Err(Error::Write(io::Error::new(
                io::ErrorKind::IsADirectory,
                "is a directory",
            )))
        }
        Ok(meta) if !meta.is_file() => {
            let mut file = OpenOptions::new()
                .write(true)
                .open(output)
                .map_err(Error::Write)?;
            return compress_watched(input, &mut file, threads, level, watch);
        }
        _ => {}
    }
    let mut partial = Partial::create(output).map_err(Error::Write)?;
    let stats = compress_watched(input, &mut partial.file, threads, level, watch)?;
    partial.persist().map_err(Error::Write)?;
    Ok(stats)
}

/// A temporary file next to its final path; deleted on drop unless persisted.
struct Partial {
    file: File,
    path: PathBuf,
    target: PathBuf,
    persisted: bool,
}

impl Partial {
    fn create(target: &Path) -> io::Result<Partial> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = target.file_name().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "the output path names no file")
        })?;
        let mut temp = std::ffi::OsString::from(".");
        temp.push(name);
        temp.push(format!(
            ".{}-{}.partial",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let path = target.with_file_name(temp);
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok(Partial {
            file,
            path,
            target: target.to_owned(),
            persisted: false,
        })
    }

    fn persist(mut self) -> io::Result<()> {
        fs::rename(&self.path, &self.target)?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        if !self.persisted {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// `size` bytes of deterministic, English-like text: lines of words drawn with a skewed
/// (Zipf-like) frequency from a fixed vocabulary, so that it compresses about as well as prose: the
/// `compress` example's demo input, and the benchmarks' (`benches/`).
pub fn demo_text(size: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    const LETTERS: &[u8] = b"eeeeeeetttttaaaaooooiiiinnnnsssshhhrrrdddlllcuumwfgypbvk";
    let words: Vec<Vec<u8>> = (0..4096)
        .map(|_| {
            let r = next();
            let len = 1 + (r % 4 + (r >> 8) % 6) as usize;
            (0..len)
                .map(|i| LETTERS[((r >> (16 + 5 * i)) as usize ^ (i * 7)) % LETTERS.len()])
                .collect()
        })
        .collect();
    let mut text = Vec::with_capacity(size + 64);
    let mut column = 0;
    while text.len() < size {
        let r = next();
        // The product of three uniform indexes favours small ones: a few words are very common.
        let word =
            &words[(((r & 0xfff) * ((r >> 12) & 0xfff) * ((r >> 24) & 0xfff)) >> 24) as usize];
        text.extend_from_slice(word);
        column += word.len() + 1;
        let punct = (r >> 40) % 16;
        if punct == 0 {
            text.push(b',');
        } else if punct == 1 {
            text.push(b'.');
        }
        if column > 72 {
            text.push(b'\n');
            column = 0;
        } else {
            text.push(b' ');
        }
    }
    text.truncate(size);
    text
}
