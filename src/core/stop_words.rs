//! Words that are never keywords.

use super::files::content_lines;
use std::collections::HashSet;

/// Python jieba 0.42.1's `STOP_WORDS` (jieba/analyse/tfidf.py): 31 English function words.
const BUILTIN: [&str; 31] = [
    "the", "of", "is", "and", "to", "in", "that", "we", "for", "an", "are", "by", "be", "as", "on",
    "with", "can", "if", "from", "which", "you", "it", "this", "then", "at", "have", "all", "not",
    "one", "has", "or",
];

/// A set of stop words, compared after lower-casing the candidate, as Python jieba does.
#[derive(Debug, Clone)]
pub struct StopWords {
    words: HashSet<Box<str>>,
}

impl StopWords {
    /// jieba's default stop words: 31 common English function words.
    pub fn builtin() -> Self {
        Self {
            words: BUILTIN.iter().map(|w| Box::from(*w)).collect(),
        }
    }

    /// The default stop words plus those of a file, one a line (blank lines skipped): like
    /// Python jieba's `set_stop_words`, which adds to the defaults rather than replacing them.
    /// Lines are trimmed.
    pub fn with_file_text(text: &str) -> Self {
        let mut stop = Self::builtin();
        stop.words
            .extend(content_lines(text).map(|(_, word)| Box::from(word)));
        stop
    }

    /// Whether `word` (lower-cased) is a stop word.
    pub fn contains(&self, word: &str) -> bool {
        if word.chars().any(char::is_uppercase) {
            self.words.contains(word.to_lowercase().as_str())
        } else {
            self.words.contains(word)
        }
    }

    /// The number of stop words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_matches_python_jieba_and_ignores_case() {
        let stop = StopWords::builtin();
        assert_eq!(stop.len(), 31);
        assert!(stop.contains("the"));
        assert!(stop.contains("The"));
        assert!(!stop.contains("北京"));
    }

    #[test]
    fn a_file_adds_to_the_defaults() {
        let stop = StopWords::with_file_text("\u{feff}发展\n\n  人工智能 \n");
        assert_eq!(stop.len(), 33);
        assert!(stop.contains("the") && stop.contains("发展") && stop.contains("人工智能"));
    }
}
