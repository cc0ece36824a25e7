//! [`SegmentWeights`]: the segmentation model's weights laid out for serving.
//!
//! Training knows a feature only by its key. Serving looks up 27 features a character, and a
//! lookup that misses the cache costs more than all the arithmetic, so the weights are
//! regrouped when a model is loaded:
//! - every character template's weights for one character sit together in that character's
//!   block (`blocks`), which consecutive positions share (the character two before one
//!   position is one before the next);
//! - the four pair templates of one pair of characters sit in one entry (`pairs`), looked up
//!   once per pair rather than once per template;
//! - the templates of a small code (classes, dictionary lengths) are arrays indexed by the
//!   code (`dense`);
//! - only the two templates of three characters are looked up by key (`hashed`).
//!
//! Weights are 16-bit integers (the trained weights times `scale`, rounded), summed in 32 bits,
//! so more of them stay in the cache (BENCHMARKS.md, "Accurate segmenter", has what this layout
//! gained over one flat table).

use super::features::{
    CHAR_LAYOUT, CHAR_TEMPLATES, DENSE_LAYOUT, DENSE_TEMPLATES, FIRST_DENSE, FIRST_PAIR, ID_BITS,
    ID_MASK, PAIR_TEMPLATES, Prepared, key, payload, template,
};
use super::table::FeatureTable;

/// Entries in a character's block: the codes of every character template.
const BLOCK: usize = block_len();

const fn block_len() -> usize {
    let mut total = 0;
    let mut t = 0;
    while t < CHAR_TEMPLATES {
        total += CHAR_LAYOUT[t].1 as usize;
        t += 1;
    }
    total
}

/// Where each character template's codes start in a block.
const BASE: [usize; CHAR_TEMPLATES] = bases();

const fn bases() -> [usize; CHAR_TEMPLATES] {
    let mut out = [0; CHAR_TEMPLATES];
    let mut t = 1;
    while t < CHAR_TEMPLATES {
        out[t] = out[t - 1] + CHAR_LAYOUT[t - 1].1 as usize;
        t += 1;
    }
    out
}

/// Where each dense template's codes start in `dense`, then their total.
const DENSE_BASE: [usize; DENSE_TEMPLATES + 1] = dense_bases();

const fn dense_bases() -> [usize; DENSE_TEMPLATES + 1] {
    let mut out = [0; DENSE_TEMPLATES + 1];
    let mut t = 0;
    while t < DENSE_TEMPLATES {
        out[t + 1] = out[t] + DENSE_LAYOUT[t];
        t += 1;
    }
    out
}

/// Four tags' weights.
pub(crate) type Weights = [i16; 4];

/// The segmentation weights of a model, grouped for serving.
#[derive(Debug, Clone, Default)]
pub(crate) struct SegmentWeights {
    /// `BLOCK` entries for each character id.
    blocks: Vec<Weights>,
    /// The pair templates of a pair of characters, in template order.
    pairs: FeatureTable<[Weights; PAIR_TEMPLATES]>,
    hashed: FeatureTable<Weights>,
    /// The dense templates' weights, each template's codes from `DENSE_BASE`.
    dense: Vec<Weights>,
    pub(crate) transitions: [[i32; 4]; 4],
}

impl SegmentWeights {
    /// Groups `features` (keys of a vocabulary of `characters` characters, with their
    /// weights); a key whose template or code is out of range is refused.
    pub(crate) fn new(
        characters: usize,
        features: &[(u64, Weights)],
        transitions: [[i32; 4]; 4],
    ) -> Result<Self, String> {
        let ids = characters + 2;
        let mut blocks = vec![[0; 4]; ids * BLOCK];
        let mut pairs: Vec<(u64, [Weights; PAIR_TEMPLATES])> = Vec::new();
        let mut hashed = Vec::new();
        let mut dense = vec![[0; 4]; DENSE_BASE[DENSE_TEMPLATES]];
        for &(k, w) in features {
            let (t, bits) = (template(k), payload(k));
            match t {
                1..=14 => {
                    let t = t as usize - 1;
                    let (id, code) = ((bits & ID_MASK) as usize, (bits >> ID_BITS) as usize);
                    if id >= ids || code >= CHAR_LAYOUT[t].1 as usize {
                        return Err(format!("feature {k:#x} is out of range"));
                    }
                    blocks[id * BLOCK + BASE[t] + code] = w;
                }
                15..=18 => {
                    let slot = (t - FIRST_PAIR) as usize;
                    match pairs.last_mut() {
                        Some((last, entry)) if *last == bits => entry[slot] = w,
                        _ => {
                            let mut entry = [[0; 4]; PAIR_TEMPLATES];
                            entry[slot] = w;
                            pairs.push((bits, entry));
                        }
                    }
                }
                19 | 20 => hashed.push((k, w)),
                21..=27 => {
                    let t = (t - FIRST_DENSE) as usize;
                    if bits as usize >= DENSE_LAYOUT[t] {
                        return Err(format!("feature {k:#x} is out of range"));
                    }
                    dense[DENSE_BASE[t] + bits as usize] = w;
                }
                _ => return Err(format!("feature {k:#x} has no template")),
            }
        }
        // Keys arrive sorted, so one pair's templates are apart: merge them.
        pairs.sort_unstable_by_key(|p| p.0);
        let mut merged: Vec<(u64, [Weights; PAIR_TEMPLATES])> = Vec::with_capacity(pairs.len());
        for (bits, entry) in pairs {
            match merged.last_mut() {
                Some((last, m)) if *last == bits => {
                    for (slot, w) in entry.iter().enumerate() {
                        if *w != [0; 4] {
                            m[slot] = *w;
                        }
                    }
                }
                _ => merged.push((bits, entry)),
            }
        }
        // A pair key may be 0 (two unknown characters), which the table keeps for empty slots.
        merged.retain(|p| p.0 != 0);
        Ok(Self {
            blocks,
            pairs: FeatureTable::new(merged.into_iter()),
            hashed: FeatureTable::new(hashed.into_iter()),
            dense,
            transitions,
        })
    }

    /// Every feature with its weights, sorted by key: what [`SegmentWeights::new`] was given.
    pub(crate) fn features(&self) -> Vec<(u64, Weights)> {
        let mut out = Vec::new();
        for (at, w) in self.blocks.iter().enumerate() {
            if *w != [0; 4] {
                let (id, offset) = (at / BLOCK, at % BLOCK);
                let t = BASE.partition_point(|&b| b <= offset) - 1;
                let code = offset - BASE[t];
                out.push((key(t as u64 + 1, (code as u64) << ID_BITS | id as u64), *w));
            }
        }
        for (bits, entry) in self.pairs.iter() {
            for (slot, w) in entry.iter().enumerate() {
                if *w != [0; 4] {
                    out.push((key(FIRST_PAIR + slot as u64, bits), *w));
                }
            }
        }
        out.extend(self.hashed.iter().map(|(k, w)| (k, *w)));
        for (at, w) in self.dense.iter().enumerate() {
            if *w != [0; 4] {
                let t = DENSE_BASE.partition_point(|&b| b <= at) - 1;
                out.push((key(FIRST_DENSE + t as u64, (at - DENSE_BASE[t]) as u64), *w));
            }
        }
        out.sort_unstable_by_key(|e| e.0);
        out
    }

    /// The bytes the weights hold in memory.
    pub(crate) fn heap_bytes(&self) -> usize {
        (self.blocks.len() + self.dense.len()) * 8
            + self.pairs.heap_bytes()
            + self.hashed.heap_bytes()
    }

    /// The score of each tag at each position of `p`.
    pub(crate) fn emissions(&self, p: &Prepared, out: &mut Vec<[i32; 4]>) {
        let n = p.len();
        out.clear();
        out.resize(n, [0; 4]);
        let ids = p.padded_ids();
        let pair = |j: usize| u64::from(ids[j]) << ID_BITS | u64::from(ids[j + 1]);
        for i in 0..n {
            for k in p.hashed_keys(i) {
                self.hashed.touch(k);
            }
        }
        for j in 0..n + 3 {
            self.pairs.touch(pair(j));
        }
        for (i, e) in out.iter_mut().enumerate() {
            let codes = p.char_codes(i);
            for t in 0..CHAR_TEMPLATES {
                let id = ids[i + CHAR_LAYOUT[t].0] as usize;
                if let Some(w) = self.blocks.get(id * BLOCK + BASE[t] + codes[t] as usize) {
                    add(e, w);
                }
            }
            for k in p.hashed_keys(i) {
                if let Some(w) = self.hashed.get(k) {
                    add(e, w);
                }
            }
            for (t, code) in p.dense_codes(i).into_iter().enumerate() {
                if let Some(w) = self.dense.get(DENSE_BASE[t] + code) {
                    add(e, w);
                }
            }
        }
        // The pair starting at padded index `j` is template `FIRST_PAIR + k` of position
        // `j - k`.
        for j in 0..n + 3 {
            if let Some(entry) = self.pairs.get(pair(j)) {
                for (k, w) in entry.iter().enumerate() {
                    if let Some(e) = j.checked_sub(k).and_then(|i| out.get_mut(i)) {
                        add(e, w);
                    }
                }
            }
        }
    }
}

#[inline]
fn add(e: &mut [i32; 4], w: &Weights) {
    for t in 0..4 {
        e[t] += i32::from(w[t]);
    }
}

#[cfg(test)]
mod tests {
    use super::super::features::{DictAt, TEMPLATES, Vocabulary};
    use super::*;

    /// Grouped or not, a position scores the same.
    #[test]
    fn grouped_weights_score_as_the_keys_do() {
        let vocabulary = Vocabulary::new("一二三中国人民的".chars().collect());
        let mut p = Prepared::default();
        let text: Vec<char> = "中国人民的一二三x中".chars().collect();
        p.fill(&vocabulary, &text);
        DictAt::note(&mut p.dict, 0, 2);
        DictAt::note(&mut p.dict, 2, 4);
        DictAt::note_route(&mut p.dict, 0, 2);
        DictAt::note_route(&mut p.dict, 4, 5);
        let mut features: Vec<(u64, Weights)> = Vec::new();
        let mut keys = [0; TEMPLATES];
        for i in 0..p.len() {
            p.keys(i, &mut keys);
            for &k in &keys {
                let w = (k % 997) as i16;
                features.push((k, [w, -w, w / 2, 3]));
            }
        }
        features.sort_unstable_by_key(|f| f.0);
        features.dedup_by_key(|f| f.0);
        let weights = SegmentWeights::new(vocabulary.chars().len(), &features, [[0; 4]; 4])
            .expect("in range");
        assert_eq!(weights.features(), features);
        let mut grouped = Vec::new();
        weights.emissions(&p, &mut grouped);
        for (i, e) in grouped.iter().enumerate() {
            p.keys(i, &mut keys);
            let mut flat = [0; 4];
            for k in keys {
                let w = features[features.binary_search_by_key(&k, |f| f.0).unwrap()].1;
                add(&mut flat, &w);
            }
            assert_eq!(*e, flat, "position {i}");
        }
    }
}
