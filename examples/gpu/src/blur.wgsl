// The filter of kernel.rs on the GPU, over a batch of tiles: per output pixel, a 5x5
// Gaussian sum of R, G and B, then the luma threshold into alpha. Integer arithmetic only, so it
// equals the CPU's result bit for bit.
//
// Two channels go through each u32, in 16-bit lanes: R and B (p & 0x00ff00ff), G and A
// ((p >> 8) & 0x00ff00ff). No lane carries into the next: a full sum is at most
// 256 * 255 + 128 < 2^16. Half the arithmetic of one channel at a time, and no arrays indexed at
// run time (a software driver such as lavapipe handles those slowly).

struct Params {
    // Pixels per row.
    width: u32,
    // Output rows per tile; each tile's input has 2 halo rows more on each side.
    rows: u32,
    // The luma at or above which alpha becomes 255.
    threshold: u32,
    _pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
// The batch's tiles, each (rows + 4) * width pixels, one after the other (R in the low byte).
@group(0) @binding(1) var<storage, read> tiles: array<u32>;
// The batch's outputs, each rows * width pixels.
@group(0) @binding(2) var<storage, read_write> filtered: array<u32>;

// The horizontal 1-4-6-4-1 sums of row `row` (an index into `tiles`) around column x: the R and
// B lanes, then the G and A lanes. Past either edge, the edge column.
fn row_sums(row: u32, x: u32) -> vec2<u32> {
    let last = params.width - 1u;
    let p0 = tiles[row + select(0u, x - 2u, x >= 2u)];
    let p1 = tiles[row + select(0u, x - 1u, x >= 1u)];
    let p2 = tiles[row + x];
    let p3 = tiles[row + min(x + 1u, last)];
    let p4 = tiles[row + min(x + 2u, last)];
    let m = vec2<u32>(0x00ff00ffu);
    let l0 = vec2<u32>(p0, p0 >> 8u) & m;
    let l1 = vec2<u32>(p1, p1 >> 8u) & m;
    let l2 = vec2<u32>(p2, p2 >> 8u) & m;
    let l3 = vec2<u32>(p3, p3 >> 8u) & m;
    let l4 = vec2<u32>(p4, p4 >> 8u) & m;
    return l0 + 4u * l1 + 6u * l2 + 4u * l3 + l4;
}

// Output rows per invocation: it walks down its column, keeping the last 5 rows' horizontal sums,
// so each output pixel costs 5 loads rather than 25 (a load is the dear part on a software
// driver, and on a GPU neighbouring invocations still read neighbouring words).
const STRIP: u32 = 16u;

// x: the column, y: the strip of STRIP rows in the tile, z: the tile in the batch.
@compute @workgroup_size(64, 1, 1)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let width = params.width;
    let x = id.x;
    let first = id.y * STRIP;
    if x >= width || first >= params.rows {
        return;
    }
    let end = min(first + STRIP, params.rows);
    // Output row y of the tile is the centre of its input rows y..y+4.
    let tile = id.z * (params.rows + 4u) * width;
    var h0 = row_sums(tile + first * width, x);
    var h1 = row_sums(tile + (first + 1u) * width, x);
    var h2 = row_sums(tile + (first + 2u) * width, x);
    var h3 = row_sums(tile + (first + 3u) * width, x);
    for (var y = first; y < end; y++) {
        let h4 = row_sums(tile + (y + 4u) * width, x);
        let sum = h0 + 4u * h1 + 6u * h2 + 4u * h3 + h4;
        let c = ((sum + vec2<u32>(0x00800080u)) >> vec2<u32>(8u)) & vec2<u32>(0x00ff00ffu);
        let r = c.x & 0xffu;
        let g = c.y & 0xffu;
        let b = c.x >> 16u;
        let luma = (77u * r + 150u * g + 29u * b + 128u) >> 8u;
        let alpha = select(0u, 255u, luma >= params.threshold);
        filtered[(id.z * params.rows + y) * width + x] = c.x | (g << 8u) | (alpha << 24u);
        h0 = h1;
        h1 = h2;
        h2 = h3;
        h3 = h4;
    }
}
