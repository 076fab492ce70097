//! Seeded randomness split into independent named streams.
//!
//! Every stream is ChaCha8 keyed by the run's seed, with the ChaCha *stream id* taken from a
//! 64-bit FNV-1a hash of the stream's name. Streams never share state, so drawing more numbers
//! from one (say, a new fault) never shifts the numbers another (say, a node's kubelet) sees.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The RNG type every component draws from.
pub type SimRng = ChaCha8Rng;

/// Factory of named, independent RNG streams for one seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RngStreams {
    seed: u64,
}

impl RngStreams {
    /// Streams for `seed`.
    pub fn new(seed: u64) -> Self {
        RngStreams { seed }
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The stream called `name`; the same name always yields the same sequence.
    pub fn stream(&self, name: &str) -> SimRng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(fnv1a64(name.as_bytes()));
        rng
    }
}

/// 64-bit FNV-1a, used for stream ids.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn same_name_same_sequence_different_names_differ() {
        let s = RngStreams::new(42);
        let a: Vec<u32> = (0..4)
            .map(|_| 0)
            .scan(s.stream("kubelet/node-1"), |r, _: u32| Some(r.random()))
            .collect();
        let b: Vec<u32> = (0..4)
            .map(|_| 0)
            .scan(s.stream("kubelet/node-1"), |r, _: u32| Some(r.random()))
            .collect();
        let c: Vec<u32> = (0..4)
            .map(|_| 0)
            .scan(s.stream("kubelet/node-2"), |r, _: u32| Some(r.random()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
