//! A character-level trie of dictionary words, made for the route's question: which words
//! start at this character of a block. A node is a prefix of some word; the transitions out
//! of every node are entries of one open-addressing table keyed by (node, character), each
//! holding what a walk needs of the node it leads to (the word ending there, a 16-bit `aux` of
//! that word, whether any transition leaves it), so each character of a walk reads one slot
//! and a walk stops at a leaf without probing. The built-in dictionary's trie also indexes the
//! root's transitions for the Basic Multilingual Plane directly (640 KB, once per process),
//! and keeps its words' frequencies by `aux`, so that the route reads a word's frequency from
//! the slot it found it in rather than from a table by line (which cost a tenant's profile 5 %
//! of its speed on long texts, against the default profile).
//!
//! Measured against a byte-level double-array trie (yada) of the same words, on one review
//! under callgrind (`bench/instructions.sh`): precise segmentation took 63,500 instructions with
//! yada's trie against 37,900 with jieba-rs's (whose layout is like this one's); this trie
//! brought it to the figure in BENCHMARKS.md, "Dictionary profiles".

/// Bits of a character in a key.
const CHAR_BITS: u32 = 21;

/// Bits of a slot's key that hold the transition; the 16 above them hold its word's `aux`.
const KEY_BITS: u32 = 48;
const KEY_MASK: u64 = (1 << KEY_BITS) - 1;

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
    /// `(parent << CHAR_BITS | char) + 1`, and above [`KEY_BITS`] the `aux` of the word
    /// ending where it leads; 0 marks an empty slot.
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
    /// With a dense root: the `aux` of the word of each of those characters.
    root_aux: Vec<u16>,
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
            root_aux: if dense_root {
                vec![0; 0x1_0000]
            } else {
                Vec::new()
            },
            slots: Vec::new(),
            len: 0,
            shift: 64,
            nodes: 1,
        }
    }

    /// Adds `word` with `value` (below 2^31 - 1) and `aux` (what a walk hands out with the
    /// value, read from the slot the walk reads anyway), replacing the ones it had.
    pub(super) fn insert(&mut self, word: &str, value: u32, aux: u16) {
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
            match place {
                Place::Root(c) => self.root_aux[c] = aux,
                Place::Slot(at) => {
                    let slot = &mut self.slots[at];
                    slot.key = slot.key & KEY_MASK | u64::from(aux) << KEY_BITS;
                }
            }
        }
    }

    /// The value of `word`.
    pub(super) fn get(&self, word: &str) -> Option<u32> {
        let mut node = 0;
        let mut entry = 0;
        for c in word.chars() {
            let (edge, _) = self.edge_aux(node, c)?;
            (node, entry) = (edge.child, edge.entry);
        }
        let value = entry & !HAS_CHILDREN;
        (value != 0).then(|| value - 1)
    }

    /// Each word that `chars` starts with, shortest first: its value, its `aux` and its length
    /// in characters.
    #[inline(always)]
    pub(super) fn prefixes(&self, chars: &[char], mut each: impl FnMut(u32, u16, usize)) {
        let mut node = 0;
        for (k, &c) in chars.iter().enumerate() {
            let Some((edge, aux)) = self.edge_aux(node, c) else {
                return;
            };
            let value = edge.entry & !HAS_CHILDREN;
            if value != 0 {
                each(value - 1, aux, k + 1);
            }
            if edge.entry & HAS_CHILDREN == 0 {
                return;
            }
            node = edge.child;
        }
    }

    /// Asks the processor to fetch into cache the slot a walk from `a` then `b` reads second
    /// (where the root has a transition by `a` that others leave), so that a walk started a
    /// few characters later finds it there rather than waiting on memory: the table is too
    /// large for the caches nearest the core (16 MB for the built-in words), and a walk's
    /// loads depend on each other. A load in its place (`black_box`) helped less, 0.94 of
    /// the default profile's speed against 0.99, as the processor must finish it.
    #[inline(always)]
    pub(super) fn prefetch(&self, a: char, b: char) {
        if let Some(edge) = self.root.get(a as usize)
            && edge.entry & HAS_CHILDREN != 0
            && self.len != 0
        {
            prefetch(&self.slots[self.home(key(edge.child, b))]);
        }
    }

    /// The transition out of `node` by `c`, and the `aux` of the word it ends (when it ends
    /// one).
    #[inline(always)]
    fn edge_aux(&self, node: u32, c: char) -> Option<(Edge, u16)> {
        if node == 0
            && let Some(&edge) = self.root.get(c as usize)
        {
            if edge.child == 0 {
                return None;
            }
            let word = edge.entry & !HAS_CHILDREN != 0;
            return Some((edge, if word { self.root_aux[c as usize] } else { 0 }));
        }
        self.slot_of(node, c).map(|at| {
            let slot = &self.slots[at];
            (slot.edge, (slot.key >> KEY_BITS) as u16)
        })
    }

    #[inline(always)]
    fn slot_of(&self, node: u32, c: char) -> Option<usize> {
        if self.len == 0 {
            return None;
        }
        let key = key(node, c);
        let mask = self.slots.len() - 1;
        let mut at = self.home(key);
        loop {
            let slot = &self.slots[at];
            if slot.key & KEY_MASK == key {
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

    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(MULTIPLIER) >> self.shift) as usize
    }

    /// A new node under `node` by `c`, and where its transition is.
    fn add(&mut self, node: u32, c: char) -> Place {
        let child = self.nodes;
        assert!(
            self.nodes < 1 << (KEY_BITS - CHAR_BITS - 1),
            "fewer than 2^26 nodes"
        );
        self.nodes += 1;
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
        let mut at = self.home(key & KEY_MASK);
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

/// Asks the processor to bring `slot` into its caches (no more than a hint: on processors
/// other than x86-64, nothing).
#[inline(always)]
fn prefetch(slot: &Slot) {
    #[cfg(target_arch = "x86_64")]
    #[allow(unsafe_code)]
    // SAFETY: a prefetch reads nothing and cannot fault; `_mm_prefetch` is unsafe only as a
    // function of a target feature (SSE), which every x86-64 processor has.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(slot).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = slot;
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
                trie.insert(word, i as u32, 100 + i as u16);
            }
            trie.insert("中国", 9, 7);
            assert_eq!(trie.get("中国"), Some(9));
            assert_eq!(trie.get("中国人民"), None);
            assert_eq!(trie.get("𠀀"), None);
            assert_eq!(trie.get("𠀀字"), Some(4));
            assert_eq!(trie.get(""), None);
            let chars: Vec<char> = "中国人民".chars().collect();
            let mut found = Vec::new();
            trie.prefixes(&chars, |value, aux, len| found.push((value, aux, len)));
            assert_eq!(found, [(0, 100, 1), (9, 7, 2), (2, 102, 3)]);
            for n in 0..2000u32 {
                trie.insert(&format!("词{n}"), n, n as u16);
            }
            assert_eq!(trie.get("词1999"), Some(1999));
            assert_eq!(trie.get("中国人"), Some(2));
            // Growing the table kept each word's aux.
            found.clear();
            trie.prefixes(&chars, |value, aux, len| found.push((value, aux, len)));
            assert_eq!(found, [(0, 100, 1), (9, 7, 2), (2, 102, 3)]);
            found.clear();
            let chars: Vec<char> = "词1999".chars().collect();
            trie.prefixes(&chars, |value, aux, len| found.push((value, aux, len)));
            assert_eq!(found.last(), Some(&(1999, 1999, 5)));
            // A hint only, on any characters, of any trie.
            trie.prefetch('中', '国');
            trie.prefetch('𠀀', '字');
            CharTrie::new(dense).prefetch('中', '国');
        }
    }
}
