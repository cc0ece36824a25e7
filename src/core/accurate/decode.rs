//! The best tag sequence of a sentence: Viterbi over the four position tags.
//!
//! A word is `S` (a single character) or `B M* E`; the decoder only ever follows those
//! transitions, so every answer is a segmentation, and a position's allowed tags can be
//! narrowed further (a user's word kept whole).

use std::ops::Add;

/// The first character of a word of two or more.
pub(crate) const B: u8 = 0;
/// A character inside a word, neither first nor last.
pub(crate) const M: u8 = 1;
/// The last character of a word of two or more.
pub(crate) const E: u8 = 2;
/// A word of one character.
pub(crate) const S: u8 = 3;
/// Every tag allowed.
pub(crate) const ANY: u8 = 0b1111;

/// Whether tag `to` may follow tag `from`.
const fn follows(from: u8, to: u8) -> bool {
    matches!((from, to), (B | M, M | E) | (E | S, B | S))
}

/// A score the decoder can add and compare: an `i64` sum of the integer weights while
/// training, an `i32` one of the rounded weights when serving.
pub(crate) trait Score: Copy + PartialOrd + Add<Output = Self> {
    /// Less than any reachable score.
    const WORST: Self;
}

impl Score for i64 {
    const WORST: Self = i64::MIN / 4;
}

impl Score for i32 {
    const WORST: Self = i32::MIN / 4;
}

impl Score for f32 {
    const WORST: Self = f32::NEG_INFINITY;
}

/// Scratch space for [`viterbi`], reused between sentences.
#[derive(Debug, Default)]
pub(crate) struct Lattice {
    back: Vec<[u8; 4]>,
}

/// Writes the best tags of a sentence into `tags`: `emissions[i][t]` scores tag `t` at position
/// `i`, `transitions[a][b]` tag `b` after tag `a`, and `masks[i]` (bit `t` for tag `t`) the tags
/// allowed at `i`. Ties go to the lower tag, so the answer is a function of the scores.
pub(crate) fn viterbi<T: Score>(
    emissions: &[[T; 4]],
    transitions: &[[T; 4]; 4],
    masks: &[u8],
    lattice: &mut Lattice,
    tags: &mut Vec<u8>,
) {
    let n = emissions.len();
    tags.clear();
    if n == 0 {
        return;
    }
    let back = &mut lattice.back;
    back.clear();
    back.resize(n, [0; 4]);
    let allowed = |i: usize, t: u8| masks.get(i).is_none_or(|m| m & (1 << t) != 0);
    let mut best = [T::WORST; 4];
    for t in [B, S] {
        if allowed(0, t) {
            best[t as usize] = emissions[0][t as usize];
        }
    }
    for i in 1..n {
        let mut next = [T::WORST; 4];
        for to in 0..4u8 {
            if !allowed(i, to) {
                continue;
            }
            let mut top = T::WORST;
            let mut from_top = 0;
            for from in 0..4u8 {
                if follows(from, to) && best[from as usize] > T::WORST {
                    let s = best[from as usize] + transitions[from as usize][to as usize];
                    if s > top {
                        top = s;
                        from_top = from;
                    }
                }
            }
            if top > T::WORST {
                next[to as usize] = top + emissions[i][to as usize];
                back[i][to as usize] = from_top;
            }
        }
        best = next;
    }
    // The last tag ends a word; when the masks leave no path at all (they never do for a
    // consistent set of kept words), fall back to single characters.
    let last = if best[E as usize] >= best[S as usize] && best[E as usize] > T::WORST {
        E
    } else if best[S as usize] > T::WORST {
        S
    } else {
        tags.resize(n, S);
        return;
    };
    tags.resize(n, S);
    let mut t = last;
    for i in (0..n).rev() {
        tags[i] = t;
        t = back[i][t as usize];
    }
}

/// The ends (exclusive, in characters) of the words `tags` mark.
pub(crate) fn word_ends(tags: &[u8]) -> impl Iterator<Item = usize> + '_ {
    tags.iter()
        .enumerate()
        .filter(|&(_, &t)| t == E || t == S)
        .map(|(i, _)| i + 1)
}

/// The tags of words of the given lengths, appended to `tags`.
pub(crate) fn tags_of_lengths(lengths: impl IntoIterator<Item = usize>, tags: &mut Vec<u8>) {
    for len in lengths {
        match len {
            0 => {}
            1 => tags.push(S),
            _ => {
                tags.push(B);
                tags.extend(std::iter::repeat_n(M, len - 2));
                tags.push(E);
            }
        }
    }
}

/// The masks that keep the word over characters `start..end` whole.
pub(crate) fn keep_whole(masks: &mut [u8], start: usize, end: usize) {
    match end - start {
        0 => {}
        1 => masks[start] = 1 << S,
        _ => {
            masks[start] = 1 << B;
            masks[start + 1..end - 1].fill(1 << M);
            masks[end - 1] = 1 << E;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(emissions: &[[f32; 4]], masks: &[u8]) -> Vec<u8> {
        let mut tags = Vec::new();
        viterbi(
            emissions,
            &[[0.0; 4]; 4],
            masks,
            &mut Lattice::default(),
            &mut tags,
        );
        tags
    }

    #[test]
    fn follows_the_word_structure_whatever_the_scores() {
        // Each position alone prefers M, which can neither start nor end a sentence.
        let tags = decode(&[[0.0, 9.0, 0.0, 0.0]; 3], &[]);
        assert_eq!(tags, vec![B, M, E]);
        let tags = decode(&[[0.0, 0.0, 0.0, 1.0]; 2], &[]);
        assert_eq!(tags, vec![S, S]);
    }

    #[test]
    fn masks_keep_a_word_whole() {
        let mut masks = vec![ANY; 4];
        keep_whole(&mut masks, 1, 3);
        let tags = decode(&[[0.0, 0.0, 0.0, 1.0]; 4], &masks);
        assert_eq!(tags, vec![S, B, E, S]);
        assert_eq!(word_ends(&tags).collect::<Vec<_>>(), vec![1, 3, 4]);
    }

    #[test]
    fn lengths_and_tags_agree() {
        let mut tags = Vec::new();
        tags_of_lengths([1, 3, 2], &mut tags);
        assert_eq!(tags, vec![S, B, M, E, B, E]);
        assert_eq!(word_ends(&tags).collect::<Vec<_>>(), vec![1, 4, 6]);
    }
}
