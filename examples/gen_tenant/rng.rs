//! Deterministic randomness for the generator: splitmix64, no clock, no hash order.
//!
//! Nothing shares one long stream: every item (a group, a policy, a GPO) draws from a stream of
//! its own, seeded by [`key`] of (seed, purpose, item index), and every choice about a catalog
//! record is keyed by the record's name (its definition id or catalog key), not its position.
//! A catalog that gains or loses records then shifts no other stream: see [`rendezvous`].

use std::collections::BinaryHeap;

/// splitmix64: small, fast, and good enough for synthetic data.
pub struct Rng(pub u64);

/// What a stream or a key is for. The numbers are part of the output: add, never renumber.
#[derive(Clone, Copy)]
pub enum Purpose {
    Group = 1,
    GroupRule = 2,
    Filter = 3,
    Policy = 4,
    Assignments = 5,
    /// Which settings a policy picks (rendezvous scores).
    PolicyPicks = 6,
    /// The value a policy gives one setting.
    PolicyValue = 7,
    /// A setting's usual (tenant-wide) option.
    UsualOption = 8,
    Gpo = 9,
    GpoPicks = 10,
    GpoValue = 11,
    GpoUsualValue = 12,
    StigPicks = 13,
    StigRule = 14,
}

/// The splitmix64 output function: a bijective mix of 64 bits.
pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A hash of (seed, purpose, items): item indices and [`name_hash`]es.
pub fn key(seed: u64, purpose: Purpose, items: &[u64]) -> u64 {
    let start = mix(mix(seed) ^ purpose as u64);
    items.iter().fold(start, |k, &item| mix(k ^ item))
}

/// A stable hash of a name (FNV-1a, mixed): not std's hasher, whose algorithm may change.
pub fn name_hash(name: &str) -> u64 {
    let fnv = name.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01B3)
    });
    mix(fnv)
}

/// Rendezvous (highest random weight) hashing: the positions of the `count` entries whose
/// score `key(.., [.., entry hash])` (that is, `mix(prefix ^ hash)`) is lowest, lowest first.
/// An entry's score depends on its own name only, so adding an entry to `hashes` changes the
/// picks only if it scores among the `count` best (it then replaces the worst pick), and
/// removing one changes them only if it was picked (the next best replaces it). A bounded heap
/// keeps this one pass over the pool.
pub fn rendezvous(
    prefix: u64,
    hashes: impl ExactSizeIterator<Item = u64>,
    count: usize,
) -> Vec<usize> {
    let count = count.min(hashes.len());
    let mut best: BinaryHeap<(u64, usize)> = BinaryHeap::with_capacity(count);
    for (position, hash) in hashes.enumerate() {
        let score = mix(prefix ^ hash);
        if best.len() < count {
            best.push((score, position));
        } else if let Some(mut worst) = best.peek_mut()
            && score < worst.0
        {
            *worst = (score, position);
        }
    }
    best.into_sorted_vec()
        .into_iter()
        .map(|(_, position)| position)
        .collect()
}

impl Rng {
    /// The stream for one purpose and item: it depends on nothing else.
    pub fn keyed(seed: u64, purpose: Purpose, items: &[u64]) -> Rng {
        Rng(key(seed, purpose, items))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:x}{:03x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            8 + (b >> 62),
            (b >> 48) & 0xfff,
            b & 0xffff_ffff_ffff
        )
    }
}
