//! [`FeatureTable`]: the weights of a model's features by key, for reading while segmenting.
//!
//! An open-addressing table of 64-bit keys, half full at most, probed linearly from a
//! multiplicative hash: a lookup is one multiplication and, almost always, one cache line,
//! which holds the key and its value side by side (keys and values in arrays of their own cost
//! two cache misses a lookup, and serving makes millions a second). Key 0 marks an empty slot;
//! the features' keys are never 0 (every template number is at least 1).

/// Values by 64-bit key, built once.
#[derive(Debug, Clone, Default)]
pub(crate) struct FeatureTable<V> {
    slots: Vec<(u64, V)>,
    /// 64 less the table's size in bits.
    shift: u32,
}

const EMPTY: u64 = 0;

impl<V: Copy + Default> FeatureTable<V> {
    /// A table of `entries` (distinct non-zero keys).
    pub(crate) fn new(entries: impl ExactSizeIterator<Item = (u64, V)>) -> Self {
        let slots = (entries.len() * 2).next_power_of_two().max(16);
        let mut table = Self {
            slots: vec![(EMPTY, V::default()); slots],
            shift: 64 - slots.trailing_zeros(),
        };
        let mask = slots - 1;
        for (key, value) in entries {
            if key == EMPTY {
                continue;
            }
            let mut at = table.slot(key);
            while table.slots[at].0 != EMPTY && table.slots[at].0 != key {
                at = (at + 1) & mask;
            }
            table.slots[at] = (key, value);
        }
        table
    }

    #[inline]
    fn slot(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// Reads the slot where `key` would be, so that a [`FeatureTable::get`] of it soon after
    /// finds it in the cache. Touching a sentence's keys in a first pass lets the processor wait
    /// for many of them at once, where a lookup that follows its own probes waits for each in
    /// turn.
    #[inline]
    pub(crate) fn touch(&self, key: u64) {
        std::hint::black_box(self.slots[self.slot(key)].0);
    }

    /// The value of `key`, if the table has it.
    #[inline]
    pub(crate) fn get(&self, key: u64) -> Option<&V> {
        let mask = self.slots.len() - 1;
        let mut at = self.slot(key);
        loop {
            let (k, v) = &self.slots[at];
            if *k == key && key != EMPTY {
                return Some(v);
            }
            if *k == EMPTY {
                return None;
            }
            at = (at + 1) & mask;
        }
    }

    /// Every key and its value, in slot order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, &V)> {
        self.slots
            .iter()
            .filter(|(k, _)| *k != EMPTY)
            .map(|(k, v)| (*k, v))
    }

    /// The bytes the table holds.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.slots.len() * std::mem::size_of::<(u64, V)>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_what_it_holds_and_nothing_else() {
        let entries: Vec<(u64, u32)> = (1..1000u64).map(|k| (k * 7919, k as u32)).collect();
        let table = FeatureTable::new(entries.iter().copied());
        for &(k, v) in &entries {
            assert_eq!(table.get(k), Some(&v));
        }
        assert_eq!(table.get(3), None);
        assert_eq!(table.get(0), None);
        assert_eq!(table.get(u64::MAX), None);
    }
}
