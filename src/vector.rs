//! Small dense-vector helpers shared by pooling, retrieval and custom intents.

pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent accumulators let the compiler vectorise without fast-math.
    let mut acc = [0f32; 8];
    let chunks = a.len() / 8 * 8;
    for (x, y) in a[..chunks].chunks_exact(8).zip(b[..chunks].chunks_exact(8)) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = a[chunks..].iter().zip(&b[chunks..]).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

pub fn normalize(v: &mut [f32]) {
    let norm = dot(v, v).sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Little-endian f32 bytes, the layout embeddings are stored in SQLite.
pub fn to_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

pub fn from_bytes(bytes: &[u8]) -> Vec<f32> {
    bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

/// xorshift64: reproducible pseudo-random data (generated knowledge bases, benchmarks, tests)
/// without a dependency; not for anything that needs real randomness.
pub struct Xorshift(u64);

impl Xorshift {
    pub fn new(seed: u64) -> Self {
        // Zero is xorshift's one fixed point.
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A random L2-normalised vector of `dim` components.
    pub fn unit_vector(&mut self, dim: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..dim).map(|_| self.unit() as f32 * 2.0 - 1.0).collect();
        normalize(&mut v);
        v
    }
}

/// Appends the symmetric 8-bit codes of `v` to `out` and returns their scale
/// (`v[i] ≈ code[i] × scale`, `scale = max|v| / 127`).
pub fn quantize_i8_into(v: &[f32], out: &mut Vec<i8>) -> f32 {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        out.extend(std::iter::repeat_n(0i8, v.len()));
        return 0.0;
    }
    let inv = 127.0 / max;
    out.extend(v.iter().map(|x| (x * inv).round().clamp(-127.0, 127.0) as i8));
    max / 127.0
}

#[inline(always)]
fn dot_i8_portable(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).map(|(&x, &y)| x as i16 as i32 * y as i16 as i32).sum()
}

#[inline(always)]
fn dot_i8_rows_portable(rows: &[i8], query: &[i8], out: &mut [i32]) {
    for (row, o) in rows.chunks_exact(query.len()).zip(out) {
        *o = dot_i8_portable(row, query);
    }
}

/// AVX2: 16 codes at a time widened to i16 and multiplied-and-paired into i32 lanes
/// (`vpmaddwd`); the query is widened once. Written with intrinsics because the autovectorised
/// form of the portable loop widened to i32 and ran about 3× slower (criterion, `dense top-50`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn dot_i8_rows_avx2(rows: &[i8], query: &[i8], out: &mut [i32]) {
    use std::arch::x86_64::*;
    let dim = query.len();
    let body = dim / 16 * 16;
    let wide: Vec<__m256i> = query[..body]
        .chunks_exact(16)
        // SAFETY: each chunk is 16 bytes; loadu has no alignment requirement.
        .map(|c| unsafe { _mm256_cvtepi8_epi16(_mm_loadu_si128(c.as_ptr().cast())) })
        .collect();
    for (row, o) in rows.chunks_exact(dim).zip(out) {
        let mut acc0 = _mm256_setzero_si256();
        let mut acc1 = _mm256_setzero_si256();
        let mut pairs = row[..body].chunks_exact(32).zip(wide.chunks_exact(2));
        for (codes, q) in &mut pairs {
            // SAFETY: `codes` is 32 bytes, read as two unaligned 16-byte halves.
            let (a, b) = unsafe {
                (
                    _mm256_cvtepi8_epi16(_mm_loadu_si128(codes.as_ptr().cast())),
                    _mm256_cvtepi8_epi16(_mm_loadu_si128(codes.as_ptr().add(16).cast())),
                )
            };
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(a, q[0]));
            acc1 = _mm256_add_epi32(acc1, _mm256_madd_epi16(b, q[1]));
        }
        let done = body / 32 * 32;
        if done < body {
            // SAFETY: 16 bytes remain before `body`.
            let a = unsafe { _mm256_cvtepi8_epi16(_mm_loadu_si128(row[done..].as_ptr().cast())) };
            acc0 = _mm256_add_epi32(acc0, _mm256_madd_epi16(a, wide[done / 16]));
        }
        let acc = _mm256_add_epi32(acc0, acc1);
        let half = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
        let quad = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0b01_00_11_10));
        let one = _mm_add_epi32(quad, _mm_shuffle_epi32(quad, 0b10_11_00_01));
        *o = _mm_cvtsi128_si32(one) + dot_i8_portable(&row[body..], &query[body..]);
    }
}

/// Integer dot product of 8-bit codes.
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let mut out = [0i32];
    dot_i8_rows_one_thread(a, b, &mut out);
    out[0]
}

/// Rows above which the scan is split across the cores: a scan of a few megabytes is over before
/// threads would start; beyond it, one core cannot draw the bytes from memory fast enough.
const PARALLEL_ROWS: usize = 32_768;

/// `out[r] = rows[r] · query` for every row of the row-major matrix `rows` (row width =
/// `query.len()`), split across the available cores for large matrices.
pub fn dot_i8_rows(rows: &[i8], query: &[i8], out: &mut [i32]) {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    if threads < 2 || out.len() < PARALLEL_ROWS || query.is_empty() {
        return dot_i8_rows_one_thread(rows, query, out);
    }
    let per = out.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for (rows, out) in rows.chunks(per * query.len()).zip(out.chunks_mut(per)) {
            scope.spawn(move || dot_i8_rows_one_thread(rows, query, out));
        }
    });
}

fn dot_i8_rows_one_thread(rows: &[i8], query: &[i8], out: &mut [i32]) {
    if query.is_empty() {
        return out.fill(0);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has just been checked for AVX2.
        return unsafe { dot_i8_rows_avx2(rows, query, out) };
    }
    dot_i8_rows_portable(rows, query, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn i8_codes_round_trip_within_half_a_step() {
        let v = vec![0.5f32, -1.0, 0.25, 0.0, 0.999];
        let mut codes = Vec::new();
        let scale = quantize_i8_into(&v, &mut codes);
        assert_eq!(codes[1], -127);
        for (x, c) in v.iter().zip(&codes) {
            assert!((x - *c as f32 * scale).abs() <= scale / 2.0 + 1e-7);
        }
        let mut zeros = Vec::new();
        assert_eq!(quantize_i8_into(&[0.0, 0.0], &mut zeros), 0.0);
        assert_eq!(zeros, vec![0, 0]);
    }

    #[test]
    fn i8_row_dots_match_the_naive_sum() {
        // Widths around the 16- and 32-code steps of the AVX2 kernel, and enough rows of the
        // shortest to take the multi-threaded path.
        for (dim, n) in [(37, 3), (16, 5), (48, 4), (384, 7), (3, PARALLEL_ROWS + 5)] {
            let rows: Vec<i8> = (0..n * dim).map(|i| ((i * 53) % 255) as i32 - 127).map(|x| x as i8).collect();
            let query: Vec<i8> = (0..dim).map(|i| ((i * 31) % 255) as i32 - 127).map(|x| x as i8).collect();
            let mut out = vec![0; n];
            dot_i8_rows(&rows, &query, &mut out);
            for (r, o) in rows.chunks_exact(dim).zip(&out) {
                assert_eq!(*o, r.iter().zip(&query).map(|(&a, &b)| a as i32 * b as i32).sum::<i32>(), "dim {dim}");
            }
            assert_eq!(dot_i8(&rows[..dim], &query), out[0]);
        }
    }

    #[test]
    fn dot_matches_naive_sum_for_odd_lengths() {
        let a: Vec<f32> = (0..19).map(|i| i as f32 * 0.5).collect();
        let b: Vec<f32> = (0..19).map(|i| 1.0 - i as f32 * 0.1).collect();
        let naive: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - naive).abs() < 1e-4);
    }

    #[test]
    fn bytes_round_trip() {
        let v = vec![1.5f32, -0.25, 3.0e-8];
        assert_eq!(from_bytes(&to_bytes(&v)), v);
    }
}
