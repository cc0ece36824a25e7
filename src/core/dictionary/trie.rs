//! A character-level trie of dictionary words, made for the route's question: which words
//! start at this character of a block. A node is a prefix of some word; the transitions out
//! of every node are entries of one open-addressing table keyed by (node, character), each
//! holding what a walk needs of the node it leads to (the word ending there, whether any
//! transition leaves it), so each character of a walk reads one slot and a walk stops at a leaf
//! without probing. The built-in dictionary's trie also indexes the root's transitions for the
//! Basic Multilingual Plane directly (512 KB, once per process).
//!
//! Measured against a byte-level double-array trie (yada) of the same words, on one review
//! under callgrind (`bench/instructions.sh`): precise segmentation took 63,500 instructions with
//! yada's trie against 37,900 with jieba-rs's (whose layout is like this one's); this trie
//! brought it to the figure in BENCHMARKS.md, "Dictionary profiles".

/// Bits of a character in a key.
const CHAR_BITS: u32 = 21;

/// Fibonacci hashing's multiplier (2^64 / φ).
const MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

/// In a transition's entry: set when a transition leaves the node it leads to. The rest of the
/// entry is the value of the word ending there plus one (0: no word ends there).
const HAS_CHILDREN: u32 = 1 << 31;

/// A transition: the node it leads to and that node's entry (kept here, so that a step of a
/// walk reads one slot).
#[derive(Debug, Clone, Copy, Default)]
struct Edge {
    child: u32,
    entry: u32,
}

/// One transition of the table.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    /// `(parent << CHAR_BITS | char) + 1`; 0 marks an empty slot.
    key: u64,
    edge: Edge,
}

/// Where a transition is kept.
#[derive(Debug, Clone, Copy)]
enum Place {
    Root(usize),
    Slot(usize),
}

/// See the module's comment.
#[derive(Debug, Clone)]
pub(super) struct CharTrie {
    /// With a dense root: the root's transition for each BMP character (child 0: none).
    root: Vec<Edge>,
    slots: Vec<Slot>,
    /// Occupied slots.
    len: usize,
    /// `64 - log2(slots.len())`.
    shift: u32,
    /// Nodes made so far; node 0 is the root.
    nodes: u32,
}

impl CharTrie {
    /// An empty trie; `dense_root` indexes the root's BMP transitions directly (for a large
    /// dictionary: 512 KB).
    pub(super) fn new(dense_root: bool) -> Self {
        Self {
            root: if dense_root {
                vec![Edge::default(); 0x1_0000]
            } else {
                Vec::new()
            },
            slots: Vec::new(),
            len: 0,
            shift: 64,
            nodes: 1,
        }
    }

    /// Adds `word` with `value` (below 2^31 - 1), replacing the value it had.
    pub(super) fn insert(&mut self, word: &str, value: u32) {
        let mut node = 0;
        let mut last: Option<Place> = None;
        for c in word.chars() {
            let place = match self.find(node, c) {
                Some(place) => place,
                None => {
                    if let Some(parent) = last {
                        self.edge_mut(parent).entry |= HAS_CHILDREN;
                    }
                    self.add(node, c)
                }
            };
            node = self.edge_mut(place).child;
            last = Some(place);
        }
        if let Some(place) = last {
            let edge = self.edge_mut(place);
            edge.entry = (edge.entry & HAS_CHILDREN) | (value + 1);
        }
    }

    /// The value of `word`.
    pub(super) fn get(&self, word: &str) -> Option<u32> {
        let mut node = 0;
        let mut entry = 0;
        for c in word.chars() {
            let edge = self.edge(node, c)?;
            (node, entry) = (edge.child, edge.entry);
        }
        let value = entry & !HAS_CHILDREN;
        (value != 0).then(|| value - 1)
    }

    /// Each word that `chars` starts with, shortest first: its value and its length in
    /// characters.
    #[inline]
    pub(super) fn prefixes(&self, chars: &[char], mut each: impl FnMut(u32, usize)) {
        let mut node = 0;
        for (k, &c) in chars.iter().enumerate() {
            let Some(edge) = self.edge(node, c) else {
                return;
            };
            let value = edge.entry & !HAS_CHILDREN;
            if value != 0 {
                each(value - 1, k + 1);
            }
            if edge.entry & HAS_CHILDREN == 0 {
                return;
            }
            node = edge.child;
        }
    }

    /// The transition out of `node` by `c`.
    #[inline]
    fn edge(&self, node: u32, c: char) -> Option<Edge> {
        if node == 0
            && let Some(&edge) = self.root.get(c as usize)
        {
            return (edge.child != 0).then_some(edge);
        }
        self.slot_of(node, c).map(|at| self.slots[at].edge)
    }

    #[inline]
    fn slot_of(&self, node: u32, c: char) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let key = key(node, c);
        let mask = self.slots.len() - 1;
        let mut at = self.home(key);
        loop {
            let slot = &self.slots[at];
            if slot.key == key {
                return Some(at);
            }
            if slot.key == 0 {
                return None;
            }
            at = (at + 1) & mask;
        }
    }

    fn find(&self, node: u32, c: char) -> Option<Place> {
        if node == 0 && (c as usize) < self.root.len() {
            return (self.root[c as usize].child != 0).then_some(Place::Root(c as usize));
        }
        self.slot_of(node, c).map(Place::Slot)
    }

    fn edge_mut(&mut self, place: Place) -> &mut Edge {
        match place {
            Place::Root(c) => &mut self.root[c],
            Place::Slot(at) => &mut self.slots[at].edge,
        }
    }

    #[inline]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(MULTIPLIER) >> self.shift) as usize
    }

    /// A new node under `node` by `c`, and where its transition is.
    fn add(&mut self, node: u32, c: char) -> Place {
        let child = self.nodes;
        self.nodes = self.nodes.checked_add(1).expect("fewer than 2^32 nodes");
        let edge = Edge { child, entry: 0 };
        if node == 0 && (c as usize) < self.root.len() {
            self.root[c as usize] = edge;
            return Place::Root(c as usize);
        }
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        self.len += 1;
        Place::Slot(self.place(key(node, c), edge))
    }

    fn place(&mut self, key: u64, edge: Edge) -> usize {
        let mask = self.slots.len() - 1;
        let mut at = self.home(key);
        while self.slots[at].key != 0 {
            at = (at + 1) & mask;
        }
        self.slots[at] = Slot { key, edge };
        at
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); size]);
        self.shift = 64 - size.trailing_zeros();
        for slot in old.into_iter().filter(|s| s.key != 0) {
            self.place(slot.key, slot.edge);
        }
    }
}

fn key(node: u32, c: char) -> u64 {
    ((u64::from(node) << CHAR_BITS) | u64::from(c)) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_words_and_their_prefixes() {
        for dense in [true, false] {
            let mut trie = CharTrie::new(dense);
            for (i, word) in ["中", "中国", "中国人", "国人", "𠀀字", "a"]
                .iter()
                .enumerate()
            {
                trie.insert(word, i as u32);
            }
            trie.insert("中国", 9);
            assert_eq!(trie.get("中国"), Some(9));
            assert_eq!(trie.get("中国人民"), None);
            assert_eq!(trie.get("𠀀"), None);
            assert_eq!(trie.get("𠀀字"), Some(4));
            assert_eq!(trie.get(""), None);
            let chars: Vec<char> = "中国人民".chars().collect();
            let mut found = Vec::new();
            trie.prefixes(&chars, |value, len| found.push((value, len)));
            assert_eq!(found, [(0, 1), (9, 2), (2, 3)]);
            for n in 0..2000u32 {
                trie.insert(&format!("词{n}"), n);
            }
            assert_eq!(trie.get("词1999"), Some(1999));
            assert_eq!(trie.get("中国人"), Some(2));
        }
    }
}
