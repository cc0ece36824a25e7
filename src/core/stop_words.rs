//! Words that are never keywords.

use std::collections::HashSet;

/// A set of stop words, compared after lower-casing the candidate, as Python jieba does.
#[derive(Debug, Clone)]
pub struct StopWords {
    words: HashSet<Box<str>>,
}

impl StopWords {
    /// jieba's default stop words: 31 common English function words.
    pub fn builtin() -> Self {
        Self {
            words: jieba_rs::DEFAULT_STOP_WORDS
                .iter()
                .map(|w| Box::from(w.as_str()))
                .collect(),
        }
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
}
