//! Python's `cut_all` selection of the words jieba-rs's full mode lists.

use super::Token;

/// Keeps the words of jieba-rs's full mode that Python's `cut_all` emits. jieba-rs lists every
/// dictionary word at each position, single characters included; Python skips a single
/// character when a longer word starts at the same place, and a lone word at a position that a
/// word already emitted covers.
pub(crate) fn python_full_mode(tokens: Vec<Token<'_>>) -> Vec<Token<'_>> {
    let mut out = Vec::with_capacity(tokens.len());
    // Python's `old_j`: the last character covered by an emitted word.
    let mut covered: Option<usize> = None;
    for group in tokens.chunk_by(|a, b| a.start == b.start) {
        let start = group[0].start;
        if let [only] = group {
            if covered.is_none_or(|c| start > c) {
                out.push(*only);
                covered = Some(only.end - 1);
            }
        } else {
            for token in group.iter().filter(|t| t.end - 1 > start) {
                out.push(*token);
                covered = Some(token.end - 1);
            }
        }
    }
    out
}
