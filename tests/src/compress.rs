//! The core of the `compress` example (`para-std/examples/compress.rs`, which includes this file
//! with `#[path]`), kept here so that the end-to-end test (`tests/tests/compress.rs`) runs the
//! very same code.
//!
//! One `pipeline!`: a serial source reads the input in 128 KiB chunks, a parallel stage deflates
//! each chunk into a complete gzip member (system zlib through flate2, like pigz), and an
//! `ordered try` sink writes the members in input order. Concatenated gzip members are one valid
//! gzip stream: `gzip -d` restores the input byte for byte.

use flate2::write::GzEncoder;
use flate2::Compression;
use para_std::pipeline;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The size of the chunks the input is cut into; each becomes one gzip member.
pub const CHUNK: usize = 128 * 1024;

/// What a run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes read from the input.
    pub bytes_in: u64,
    /// Bytes written to the output.
    pub bytes_out: u64,
    /// Gzip members written (one per chunk; one empty member for an empty input).
    pub members: u64,
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

/// Gzip-compresses `input` into `output` on `threads` workers (at least 1) at zlib `level`
/// (0–9). `progress` is called, in order, with the input size of each member written.
pub fn compress<R, W>(
    input: R,
    output: &mut W,
    threads: usize,
    level: u32,
    mut progress: impl FnMut(u64) + Send,
) -> Result<Stats, Error>
where
    R: Read + Send,
    W: Write + Send,
{
    assert!(threads >= 1, "compress needs at least one thread");
    let level = Compression::new(level);
    let mut stats = Stats::default();
    pipeline!(threads, capacity = 16, Chunks::new(input)
    => try |chunk: io::Result<Vec<u8>>| {
        let chunk = chunk.map_err(Error::Read)?;
        Ok((chunk.len() as u64, deflate(&chunk, level)?))
    }
    => ordered try |(in_len, member): (u64, Vec<u8>)| {
        output.write_all(&member).map_err(Error::Write)?;
        stats.bytes_in += in_len;
        stats.bytes_out += member.len() as u64;
        stats.members += 1;
        progress(in_len);
        Ok(())
    })?;
    output.flush().map_err(Error::Write)?;
    Ok(stats)
}

/// One complete gzip member holding `data`.
fn deflate(data: &[u8], level: Compression) -> Result<Vec<u8>, Error> {
    let mut gz = GzEncoder::new(Vec::with_capacity(data.len() / 2 + 64), level);
    gz.write_all(data)
        .and_then(|()| gz.finish())
        .map_err(Error::Deflate)
}

/// The input as an iterator of chunks of `CHUNK` bytes (the last one may be shorter; an empty
/// input is one empty chunk, which becomes a valid empty gzip member); ends after the first
/// error.
struct Chunks<R> {
    input: R,
    first: bool,
    done: bool,
}

impl<R> Chunks<R> {
    fn new(input: R) -> Self {
        Chunks {
            input,
            first: true,
            done: false,
        }
    }
}

impl<R: Read> Iterator for Chunks<R> {
    type Item = io::Result<Vec<u8>>;

    fn next(&mut self) -> Option<io::Result<Vec<u8>>> {
        if self.done {
            return None;
        }
        let mut chunk = Vec::with_capacity(CHUNK);
        // `read_to_end` retries on `Interrupted` and stops at EOF or after CHUNK bytes.
        let first = std::mem::replace(&mut self.first, false);
        match (&mut self.input).take(CHUNK as u64).read_to_end(&mut chunk) {
            Ok(0) => {
                self.done = true;
                first.then_some(Ok(chunk))
            }
            Ok(n) => {
                self.done = n < CHUNK;
                Some(Ok(chunk))
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
    progress: impl FnMut(u64) + Send,
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
            return compress(input, &mut file, threads, level, progress);
        }
        _ => {}
    }
    let mut partial = Partial::create(output).map_err(Error::Write)?;
    let stats = compress(input, &mut partial.file, threads, level, progress)?;
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
