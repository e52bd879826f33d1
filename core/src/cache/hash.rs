//! A fast hasher for the cache's own maps (interned symbols, record keys, field pointers): the
//! multiply-rotate scheme of rustc's FxHash, written here. Not DoS-resistant: the keys are the
//! app's own data and documents, hashed in the app's own process.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    #[cfg_attr(size_build, optimize(speed))]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    #[cfg_attr(size_build, optimize(speed))]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }
    #[inline]
    #[cfg_attr(size_build, optimize(speed))]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    #[cfg_attr(size_build, optimize(speed))]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    #[cfg_attr(size_build, optimize(speed))]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    #[cfg_attr(size_build, optimize(speed))]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    /// Mixed so the low bits (the bucket index) depend on every input bit: keys like
    /// `Todo:todo-1`, `Todo:todo-2` differ only in their last bytes.
    #[inline]
    #[cfg_attr(size_build, optimize(speed))]
    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h
    }
}

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;
pub type FastSet<K> = HashSet<K, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_hash_equal_and_maps_work() {
        let mut map: FastMap<String, u32> = FastMap::default();
        for i in 0..1000u32 {
            map.insert(format!("Todo:todo-{i}"), i);
        }
        assert_eq!(map.get("Todo:todo-999"), Some(&999));
        assert_eq!(map.len(), 1000);
        // Keys that differ in their last bytes spread over the low bits (hashbrown's index).
        let buckets: FastSet<u64> = (0..1000)
            .map(|i| {
                let mut h = FastHasher::default();
                h.write(format!("Todo:todo-{i}").as_bytes());
                h.finish() & 1023
            })
            .collect();
        assert!(
            buckets.len() > 500,
            "{} distinct low-bit buckets",
            buckets.len()
        );
        let set: FastSet<u32> = (0..10).collect();
        assert!(set.contains(&9) && !set.contains(&10));
    }
}
