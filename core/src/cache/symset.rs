//! Sets of symbols as reads collect them: every record a read reached (its dependencies).
//!
//! A read of a 10,000-item list reaches about 10,000 records, most of them twice or more (a
//! shared owner, a memoized item's own list of what it read). A hash set pays a hash and a probe
//! for each; [`SymCollector`] pays a bit test (one bit per symbol of the interner), and
//! [`SymSet`], what a read keeps, is the sorted symbols: half the size of a hash set, and
//! `contains` is a binary search.

use super::records::Sym;

/// A set of symbols, sorted and each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymSet(Box<[Sym]>);

impl SymSet {
    #[cfg_attr(size_build, optimize(speed))]
    pub fn contains(&self, sym: &Sym) -> bool {
        self.0.binary_search(sym).is_ok()
    }

    #[cfg_attr(size_build, optimize(speed))]
    pub fn iter(&self) -> std::slice::Iter<'_, Sym> {
        self.0.iter()
    }

    #[cfg_attr(size_build, optimize(speed))]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    #[cfg_attr(size_build, optimize(speed))]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<Sym> for SymSet {
    #[cfg_attr(size_build, optimize(speed))]
    fn from_iter<I: IntoIterator<Item = Sym>>(iter: I) -> SymSet {
        let mut collector = SymCollector::default();
        for sym in iter {
            collector.insert(sym);
        }
        collector.finish()
    }
}

impl<'s> IntoIterator for &'s SymSet {
    type Item = &'s Sym;
    type IntoIter = std::slice::Iter<'s, Sym>;
    #[cfg_attr(size_build, optimize(speed))]
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Collects symbols, each once, in the order first seen.
#[derive(Debug, Default)]
pub struct SymCollector {
    /// The symbols collected, as bits.
    seen: SymBits,
    syms: Vec<Sym>,
}

impl SymCollector {
    /// Room for `symbols` distinct symbols below `bound` without growing.
    #[cfg_attr(size_build, optimize(speed))]
    pub fn with_capacity(bound: usize, symbols: usize) -> SymCollector {
        SymCollector {
            seen: SymBits(vec![0; bound.div_ceil(64)]),
            syms: Vec::with_capacity(symbols),
        }
    }

    /// Adds `sym`; whether it was new.
    #[inline]
    #[cfg_attr(size_build, optimize(speed))]
    pub fn insert(&mut self, sym: Sym) -> bool {
        let new = self.seen.insert(sym);
        if new {
            self.syms.push(sym);
        }
        new
    }

    #[cfg_attr(size_build, optimize(speed))]
    pub fn extend(&mut self, syms: &[Sym]) {
        for &sym in syms {
            self.insert(sym);
        }
    }

    #[cfg_attr(size_build, optimize(speed))]
    pub fn len(&self) -> usize {
        self.syms.len()
    }

    #[cfg_attr(size_build, optimize(speed))]
    pub fn finish(mut self) -> SymSet {
        if self.syms.len() >= self.seen.0.len() {
            // Dense (a symbol per 64 bits or more): the bits, read in order, are the sorted
            // symbols, in fewer steps than a sort.
            self.seen.finish()
        } else {
            self.syms.sort_unstable();
            SymSet(self.syms.into_boxed_slice())
        }
    }
}

/// Symbols as bits alone (one per symbol of the interner): a set gathered while memory is
/// tight, read out sorted at the end.
#[derive(Debug, Default)]
pub struct SymBits(Vec<u64>);

impl SymBits {
    /// Adds `sym`; whether it was new.
    #[inline]
    #[cfg_attr(size_build, optimize(speed))]
    pub fn insert(&mut self, sym: Sym) -> bool {
        let (word, bit) = (sym as usize / 64, 1u64 << (sym % 64));
        if word >= self.0.len() {
            self.0.resize(word + 1, 0);
        }
        match self.0.get_mut(word) {
            Some(w) if *w & bit == 0 => {
                *w |= bit;
                true
            }
            _ => false,
        }
    }

    #[cfg_attr(size_build, optimize(speed))]
    pub fn finish(self) -> SymSet {
        let count: u32 = self.0.iter().map(|w| w.count_ones()).sum();
        let mut syms = Vec::with_capacity(count as usize);
        for (word, bits) in self.0.iter().enumerate() {
            let mut bits = *bits;
            while bits != 0 {
                syms.push(word as Sym * 64 + bits.trailing_zeros());
                bits &= bits - 1;
            }
        }
        SymSet(syms.into_boxed_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_each_symbol_once_and_answers_contains() {
        let mut collector = SymCollector::with_capacity(10, 4);
        for sym in [5, 3, 5, 700, 3, 0, 64, 63] {
            collector.insert(sym);
        }
        assert_eq!(collector.len(), 6);
        let set = collector.finish();
        assert_eq!(
            set.iter().copied().collect::<Vec<_>>(),
            [0, 3, 5, 63, 64, 700]
        );
        assert!(set.contains(&700) && set.contains(&0) && !set.contains(&4) && !set.contains(&701));
        assert_eq!(
            set,
            [700, 0, 3, 64, 5, 63, 5].into_iter().collect::<SymSet>()
        );
        assert!(SymSet::default().is_empty());
        // Dense: read from the bits.
        let mut dense = SymCollector::default();
        for sym in (0..300).rev().filter(|s| s % 3 != 0) {
            dense.insert(sym);
        }
        let dense = dense.finish();
        assert_eq!(dense.len(), 200);
        assert!(dense.iter().zip(dense.iter().skip(1)).all(|(a, b)| a < b));
        assert!(dense.contains(&299) && !dense.contains(&297));
        // Bits alone: the same set.
        let mut bits = SymBits::default();
        for sym in [700, 0, 3, 64, 5, 63, 5] {
            bits.insert(sym);
        }
        assert_eq!(bits.finish(), set);
        assert!(SymBits::default().finish().is_empty());
    }
}
