//! The filter, on the CPU: the reference the GPU's results must equal bit for bit, and the
//! middle stage of the pipeline without the GPU.
//!
//! Per pixel: a 5×5 Gaussian blur of R, G and B (weights `[1, 4, 6, 4, 1]` outer `[1, 4, 6, 4,
//! 1]`, sum 256, rounded: `(sum + 128) >> 8`; past the image's edges, the edge pixel again), then
//! a threshold on the blurred pixel's luma `(77 R + 150 G + 29 B + 128) >> 8`: alpha becomes 255
//! where it is at least [`THRESHOLD`], 0 elsewhere (a mask of the bright areas). Integer
//! arithmetic only, so that `blur.wgsl` computes exactly the same.

use crate::image::{Filtered, Tile, HALO};

/// The luma at or above which a pixel is in the mask.
pub const THRESHOLD: u32 = 128;

/// The pipeline's CPU stage: filters a tile (with its halo) of an image `width` pixels wide.
///
/// The blur is separable, so it runs as a horizontal then a vertical 5-tap pass (10 taps a
/// pixel rather than 25), on the four channels at once: each in a 16-bit lane of a `u64`. No
/// lane can carry into the next: a horizontal sum is at most `16 × 255`, a full sum at most
/// `256 × 255 + 128 < 2^16`. Rounding only once, at the end, makes it equal the direct 5×5 sum.
pub fn filter_tile(tile: &Tile, width: usize) -> Filtered {
    const LANES: u64 = 0x0000_00ff_00ff_00ff; // R, G, B; alpha is replaced by the mask
    const HALF: u64 = 0x0000_0080_0080_0080; // 128 in each lane: rounds the >> 8
    let in_rows = tile.rows + 2 * HALO;
    // One input row with its channels spread, and the edge columns repeated on both sides.
    let mut row = vec![0u64; width + 2 * HALO];
    // The horizontal sums of the last 5 input rows, a ring: the vertical pass's window.
    let mut ring = vec![0u64; 5 * width];
    let mut out = Vec::with_capacity(tile.rows * width);
    for r in 0..in_rows {
        let src = &tile.pixels[r * width..(r + 1) * width];
        for (lanes, &p) in row[HALO..HALO + width].iter_mut().zip(src) {
            let p = u64::from(p);
            *lanes = (p & 0xff) | (p & 0xff00) << 8 | (p & 0xff_0000) << 16;
        }
        let (first, last) = (row[HALO], row[HALO + width - 1]);
        row[..HALO].fill(first);
        row[HALO + width..].fill(last);
        let sums = &mut ring[(r % 5) * width..][..width];
        for (sum, w) in sums.iter_mut().zip(row.windows(5)) {
            *sum = w[0] + 4 * w[1] + 6 * w[2] + 4 * w[3] + w[4];
        }
        if r >= 2 * HALO {
            // Input rows r-4..=r: output row r-4.
            let [r0, r1, r2, r3, r4]: [&[u64]; 5] =
                std::array::from_fn(|i| &ring[((r - 4 + i) % 5) * width..][..width]);
            out.extend((0..width).map(|x| {
                let sum = r0[x] + 4 * r1[x] + 6 * r2[x] + 4 * r3[x] + r4[x];
                let c = ((sum + HALF) >> 8) & LANES;
                pixel(
                    c as u32 & 0xff,
                    (c >> 16) as u32 & 0xff,
                    (c >> 32) as u32 & 0xff,
                )
            }));
        }
    }
    Filtered {
        index: tile.index,
        pixels: out,
    }
}

/// A blurred pixel, its alpha the threshold's mask.
fn pixel(r: u32, g: u32, b: u32) -> u32 {
    let luma = (77 * r + 150 * g + 29 * b + 128) >> 8;
    let alpha = if luma >= THRESHOLD { 255 } else { 0 };
    r | g << 8 | b << 16 | alpha << 24
}

/// The filter the plain way, on a whole image (no tiles, no halo, no packed lanes): what the
/// tests check both the tiled CPU stage and the GPU against.
#[cfg(test)]
pub fn filter_image(image: &crate::image::Image) -> Vec<u32> {
    const WEIGHTS: [u32; 5] = [1, 4, 6, 4, 1];
    let crate::image::Geometry { width, height, .. } = image.geometry;
    let at = |x: isize, y: isize| {
        let x = x.clamp(0, width as isize - 1) as usize;
        let y = y.clamp(0, height as isize - 1) as usize;
        image.pixels[y * width + x]
    };
    let mut out = Vec::with_capacity(width * height);
    for y in 0..height as isize {
        for x in 0..width as isize {
            let mut sums = [0u32; 3];
            for (dy, wy) in (-2..=2).zip(WEIGHTS) {
                for (dx, wx) in (-2..=2).zip(WEIGHTS) {
                    let p = at(x + dx, y + dy);
                    for (c, sum) in sums.iter_mut().enumerate() {
                        *sum += wy * wx * (p >> (8 * c) & 0xff);
                    }
                }
            }
            let [r, g, b] = sums.map(|s| (s + 128) >> 8);
            out.push(pixel(r, g, b));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::{Geometry, Image};

    /// Tiles of every shape (one row, fewer rows than the halo, a partial last tile, one
    /// column) filtered one by one equal the whole image filtered directly.
    #[test]
    fn tiles_equal_the_direct_filter() {
        for (width, height, tile_rows) in [
            (37, 24, 8),
            (37, 23, 8),
            (5, 3, 1),
            (1, 9, 2),
            (64, 10, 3),
            (3, 2, 5),
        ] {
            let geometry = Geometry {
                width,
                height,
                tile_rows,
            };
            let image = Image::generate(geometry, 7);
            let tiled: Vec<u32> = (0..geometry.tiles())
                .flat_map(|i| filter_tile(&image.tile(i), width).pixels)
                .collect();
            let first_difference = tiled
                .iter()
                .zip(filter_image(&image))
                .position(|(a, b)| *a != b);
            assert_eq!(
                first_difference, None,
                "{width}x{height}, tiles of {tile_rows} rows"
            );
            assert_eq!(tiled.len(), width * height);
        }
    }

    #[test]
    fn the_mask_follows_the_luma() {
        assert_eq!(pixel(255, 255, 255) >> 24, 255);
        assert_eq!(pixel(0, 0, 0) >> 24, 0);
        assert_eq!(pixel(128, 128, 128) >> 24, 255); // luma exactly 128
        assert_eq!(pixel(127, 127, 127) >> 24, 0);
    }
}
