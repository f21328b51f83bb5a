//! The input: a generated RGBA8 image, cut into tiles of whole rows, each with the halo rows the
//! 5×5 filter reads above and below it.

/// Rows of halo on each side of a tile: the filter's radius.
pub const HALO: usize = 2;

/// The shape shared by the image, its tiles and both filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Pixels per row.
    pub width: usize,
    /// Rows of the whole image.
    pub height: usize,
    /// Rows per tile (the last tile may have fewer).
    pub tile_rows: usize,
}

impl Geometry {
    /// The number of tiles.
    pub fn tiles(&self) -> usize {
        self.height.div_ceil(self.tile_rows)
    }

    /// The rows of tile `index`.
    pub fn rows_of(&self, index: usize) -> usize {
        self.tile_rows.min(self.height - index * self.tile_rows)
    }

    /// Pixels of a full tile with its halo: what a tile's input occupies on the GPU.
    pub fn input_pixels(&self) -> usize {
        (self.tile_rows + 2 * HALO) * self.width
    }

    /// Pixels of a full tile's output.
    pub fn output_pixels(&self) -> usize {
        self.tile_rows * self.width
    }

    /// The image's size in bytes.
    pub fn bytes(&self) -> usize {
        self.width * self.height * 4
    }
}

/// A tile as the filters take it: its rows plus `HALO` rows on each side, edge rows repeated at
/// the image's top and bottom, one `u32` per pixel (R in the low byte).
#[derive(Debug)]
pub struct Tile {
    /// Its position in the image, counted in tiles from the top.
    pub index: usize,
    /// Rows of output it stands for (the halo excluded).
    pub rows: usize,
    /// `(rows + 2 * HALO) * width` pixels.
    pub pixels: Vec<u32>,
}

/// A filtered tile: `rows * width` pixels.
#[derive(Debug, PartialEq, Eq)]
pub struct Filtered {
    /// Its position in the image, counted in tiles from the top.
    pub index: usize,
    /// Its pixels, row after row.
    pub pixels: Vec<u32>,
}

/// An RGBA8 image, one `u32` per pixel.
#[derive(Debug)]
pub struct Image {
    /// Its size and how it is cut into tiles.
    pub geometry: Geometry,
    /// `width * height` pixels, row after row.
    pub pixels: Vec<u32>,
}

impl Image {
    /// A deterministic picture from `seed`: smooth gradients (something for the blur to keep)
    /// plus per-pixel noise (something for it to remove).
    pub fn generate(geometry: Geometry, seed: u64) -> Image {
        let Geometry { width, height, .. } = geometry;
        let mut pixels = Vec::with_capacity(width * height);
        for y in 0..height {
            for x in 0..width {
                let noise = mix(seed ^ (y * width + x) as u64);
                let (r, g, b) = (x * 256 / width, y * 256 / height, (x ^ y) & 0xff);
                let channel = |base: usize, shift: u32| {
                    (base as u64 + ((noise >> shift) & 0x3f)).min(255) as u32
                };
                pixels.push(
                    channel(r, 0)
                        | channel(g, 8) << 8
                        | channel(b, 16) << 16
                        | ((noise >> 24) as u32 & 0xff) << 24,
                );
            }
        }
        Image { geometry, pixels }
    }

    /// Tile `index` with its halo: the pipeline's first CPU stage.
    pub fn tile(&self, index: usize) -> Tile {
        let Geometry {
            width,
            height,
            tile_rows,
        } = self.geometry;
        let rows = self.geometry.rows_of(index);
        let top = (index * tile_rows) as isize - HALO as isize;
        let mut pixels = Vec::with_capacity((rows + 2 * HALO) * width);
        for y in top..top + (rows + 2 * HALO) as isize {
            // Past the image's top or bottom edge, the edge row again.
            let y = y.clamp(0, height as isize - 1) as usize;
            pixels.extend_from_slice(&self.pixels[y * width..(y + 1) * width]);
        }
        Tile {
            index,
            rows,
            pixels,
        }
    }
}

/// splitmix64's finaliser: noise that is the same on every run and machine.
fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_carry_their_halo() {
        let geometry = Geometry {
            width: 3,
            height: 7,
            tile_rows: 3,
        };
        let image = Image::generate(geometry, 1);
        let row = |y: usize| &image.pixels[y * 3..y * 3 + 3];
        assert_eq!(geometry.tiles(), 3);
        let first = image.tile(0);
        let expected: Vec<u32> = [0, 0, 0, 1, 2, 3, 4]
            .iter()
            .flat_map(|&y| row(y).to_vec())
            .collect();
        assert_eq!((first.rows, first.pixels), (3, expected));
        let last = image.tile(2); // one row: 6, halo 4, 5 above and 6, 6 below
        let expected: Vec<u32> = [4, 5, 6, 6, 6]
            .iter()
            .flat_map(|&y| row(y).to_vec())
            .collect();
        assert_eq!((last.rows, last.pixels), (1, expected));
    }
}
