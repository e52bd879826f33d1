//! Randomness for subscription ids and backoff jitter, the same on every target without an
//! OS or JS entropy source: neither needs to be unpredictable, only well spread and unique.

use std::sync::atomic::{AtomicU64, Ordering};

static STATE: AtomicU64 = AtomicU64::new(0);

/// The next pseudo-random 64-bit value (SplitMix64 over a shared counter seeded by the clock).
pub fn next_u64() -> u64 {
    let mut seed = STATE.load(Ordering::Relaxed);
    if seed == 0 {
        let _ = STATE.compare_exchange(
            0,
            crate::runtime::now_ms() as u64 | 1,
            Ordering::Relaxed,
            Ordering::Relaxed,
        );
    }
    seed = STATE.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A version-4-shaped UUID, as AppSync expects for operation ids.
pub fn uuid_v4() -> String {
    let (a, b) = (next_u64(), next_u64());
    let hi = (a & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let lo = (b & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        hi >> 32,
        (hi >> 16) & 0xFFFF,
        hi & 0xFFFF,
        lo >> 48,
        lo & 0xFFFF_FFFF_FFFF
    )
}

/// Full jitter: a uniform delay in `[0, min(cap, base * 2^attempt)]` milliseconds.
pub fn backoff_ms(attempt: u32, base_ms: u64, cap_ms: u64) -> u64 {
    let ceiling = base_ms.saturating_mul(1u64 << attempt.min(30)).min(cap_ms);
    if ceiling == 0 {
        0
    } else {
        next_u64() % (ceiling + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_uuid_shaped() {
        let ids: HashSet<String> = (0..10_000).map(|_| uuid_v4()).collect();
        assert_eq!(ids.len(), 10_000);
        let id = uuid_v4();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }

    #[test]
    fn backoff_stays_within_the_growing_cap() {
        for attempt in 0..40 {
            let ceiling = (100u64 << attempt.min(30)).min(5_000);
            for _ in 0..50 {
                assert!(backoff_ms(attempt, 100, 5_000) <= ceiling);
            }
        }
        let spread: HashSet<u64> = (0..200).map(|_| backoff_ms(10, 100, 5_000)).collect();
        assert!(spread.len() > 50, "jitter spreads the delays");
    }
}
