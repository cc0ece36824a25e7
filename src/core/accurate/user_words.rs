//! [`UserWords`]: the words a user added (user dictionaries, a profile's words, `AddWords`),
//! which the accurate segmenter keeps whole wherever they occur.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use super::chars::normalize;
use super::decode::keep_whole;

/// Words of two or more characters to keep whole, with the tag the user gave each.
#[derive(Debug, Clone, Default)]
pub(crate) struct UserWords {
    /// The words, normalised.
    patterns: Vec<String>,
    /// Finds the words leftmost-longest; `None` when there are none. Made on the first
    /// `ACCURATE` call: a server of a thousand tenants' profiles need not hold an automaton
    /// for each of them that no call of that mode has asked for (about 0.1 MB for 1,000 words).
    matcher: OnceLock<Option<AhoCorasick>>,
    /// Each pattern's tag.
    tags: Vec<Option<String>>,
}

impl UserWords {
    /// The words to keep, each with its tag (a later entry of the same word replaces an earlier
    /// one's tag). Words of one character are left out: a word of one character cannot be
    /// split, and forcing one to stand alone would split longer words holding it.
    pub(crate) fn new<'w>(words: impl IntoIterator<Item = (&'w str, Option<&'w str>)>) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        let mut tags: Vec<Option<String>> = Vec::new();
        let mut index = std::collections::HashMap::new();
        for (word, tag) in words {
            if word.chars().nth(1).is_none() {
                continue;
            }
            let pattern: String = word.chars().map(normalize).collect();
            let tag = tag.map(str::to_owned);
            match index.get(&pattern) {
                Some(&i) => tags[i] = tag,
                None => {
                    index.insert(pattern.clone(), patterns.len());
                    patterns.push(pattern);
                    tags.push(tag);
                }
            }
        }
        Self {
            patterns,
            matcher: OnceLock::new(),
            tags,
        }
    }

    fn matcher(&self) -> Option<&AhoCorasick> {
        self.matcher
            .get_or_init(|| {
                (!self.patterns.is_empty())
                    .then(|| {
                        AhoCorasickBuilder::new()
                            .match_kind(MatchKind::LeftmostLongest)
                            .build(&self.patterns)
                            .ok()
                    })
                    .flatten()
            })
            .as_ref()
    }

    /// Narrows `masks` (one per character of `normalized`, whose characters start at the byte
    /// offsets `starts`, with the text's length last) so that every occurrence of a user's word
    /// that overlaps no other is one word, and notes each kept word's character range and tag
    /// in `kept`.
    pub(crate) fn keep<'s>(
        &'s self,
        normalized: &str,
        starts: &[u32],
        masks: &mut [u8],
        kept: &mut Vec<(usize, usize, Option<&'s str>)>,
    ) {
        let Some(matcher) = self.matcher() else {
            return;
        };
        let char_at = |byte: usize| starts.partition_point(|&s| (s as usize) < byte);
        for m in matcher.find_iter(normalized) {
            let (start, end) = (char_at(m.start()), char_at(m.end()));
            keep_whole(masks, start, end);
            kept.push((start, end, self.tags[m.pattern().as_usize()].as_deref()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::{ANY, B, E, M, S};
    use super::*;

    /// Each kept word's character range and tag.
    type Kept = Vec<(usize, usize, Option<String>)>;

    fn keep(words: &UserWords, text: &str) -> (Vec<u8>, Kept) {
        let normalized: String = text.chars().map(normalize).collect();
        let mut starts: Vec<u32> = normalized.char_indices().map(|(i, _)| i as u32).collect();
        starts.push(normalized.len() as u32);
        let mut masks = vec![ANY; text.chars().count()];
        let mut kept = Vec::new();
        words.keep(&normalized, &starts, &mut masks, &mut kept);
        let kept = kept
            .into_iter()
            .map(|(s, e, t)| (s, e, t.map(str::to_owned)))
            .collect();
        (masks, kept)
    }

    #[test]
    fn occurrences_are_kept_whole_in_any_width() {
        let words = UserWords::new([("云计算", Some("n")), ("ＣＰＵ芯片", None), ("的", None)]);
        let (masks, kept) = keep(&words, "云计算的CPU芯片");
        assert_eq!(
            masks,
            [
                1 << B,
                1 << M,
                1 << E,
                ANY,
                1 << B,
                1 << M,
                1 << M,
                1 << M,
                1 << E
            ]
        );
        assert_eq!(kept, [(0, 3, Some("n".into())), (4, 9, None)]);
        let _ = S;
    }

    #[test]
    fn overlapping_occurrences_keep_the_leftmost_longest() {
        let words = UserWords::new([("北京大", None), ("大学生", None), ("北京", None)]);
        let (_, kept) = keep(&words, "北京大学生");
        assert_eq!(kept, [(0, 3, None)]);
        assert!(UserWords::new([("一", None)]).matcher().is_none());
    }
}
