//! Scoring a segmentation against a gold standard: word precision, recall and F1 over
//! character spans, the recall of out-of-vocabulary words, and tagging accuracy on the words
//! segmented right.

use std::fmt;

use super::corpus::Sentence;
use crate::core::Token;

/// Counts from comparing segmentations with the gold standard, and the scores they give.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SegmentationScores {
    /// Sentences compared.
    pub sentences: usize,
    /// Words in the gold standard.
    pub gold_words: usize,
    /// Words answered.
    pub predicted_words: usize,
    /// Words answered with the gold standard's span.
    pub correct_words: usize,
    /// Gold words that are out of the vocabulary.
    pub oov_words: usize,
    /// Of those, the ones answered with their span.
    pub oov_correct: usize,
    /// Words answered right whose tags were compared.
    pub tagged_words: usize,
    /// Of those, the ones with the gold standard's tag.
    pub tags_correct: usize,
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

impl SegmentationScores {
    /// Compares the tokens answered for a gold sentence's text (white space tokens ignored);
    /// `known` says whether a gold word is in the vocabulary.
    pub fn add(&mut self, gold: &Sentence, answered: &[Token<'_>], known: impl Fn(&str) -> bool) {
        self.sentences += 1;
        let mut spans = Vec::with_capacity(gold.words.len());
        let mut at = 0;
        for w in &gold.words {
            let len = w.chars().count();
            spans.push((at, at + len));
            at += len;
        }
        let answered: Vec<&Token<'_>> = answered
            .iter()
            .filter(|t| !t.word.chars().all(char::is_whitespace))
            .collect();
        self.gold_words += spans.len();
        self.predicted_words += answered.len();
        let (mut g, mut p) = (0, 0);
        while g < spans.len() && p < answered.len() {
            let (gs, ge) = spans[g];
            let t = answered[p];
            if (gs, ge) == (t.start, t.end) {
                self.correct_words += 1;
                if let (Some(tag), Some(pos)) = (gold.tags.get(g), t.pos) {
                    self.tagged_words += 1;
                    self.tags_correct += usize::from(tag == pos);
                }
            }
            if ge <= t.end {
                g += 1;
            }
            if t.end <= ge {
                p += 1;
            }
        }
        for (i, w) in gold.words.iter().enumerate() {
            if !known(w) {
                self.oov_words += 1;
                let (s, e) = spans[i];
                self.oov_correct += usize::from(
                    answered
                        .binary_search_by_key(&s, |t| t.start)
                        .is_ok_and(|k| answered[k].end == e),
                );
            }
        }
    }

    /// Words answered right among those answered.
    pub fn precision(&self) -> f64 {
        ratio(self.correct_words, self.predicted_words)
    }

    /// Gold words answered right.
    pub fn recall(&self) -> f64 {
        ratio(self.correct_words, self.gold_words)
    }

    /// The harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }

    /// Out-of-vocabulary gold words answered right.
    pub fn oov_recall(&self) -> f64 {
        ratio(self.oov_correct, self.oov_words)
    }

    /// Tags right among the words answered right, when tags were compared.
    pub fn pos_accuracy(&self) -> Option<f64> {
        (self.tagged_words > 0).then(|| ratio(self.tags_correct, self.tagged_words))
    }
}

impl fmt::Display for SegmentationScores {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "sentences: {}", self.sentences)?;
        writeln!(
            f,
            "words: precision {:.4}, recall {:.4}, F1 {:.4} ({} gold, {} answered, {} right)",
            self.precision(),
            self.recall(),
            self.f1(),
            self.gold_words,
            self.predicted_words,
            self.correct_words
        )?;
        writeln!(
            f,
            "out-of-vocabulary words: recall {:.4} ({} of {})",
            self.oov_recall(),
            self.oov_correct,
            self.oov_words
        )?;
        if let Some(accuracy) = self.pos_accuracy() {
            writeln!(
                f,
                "tags on words segmented right: accuracy {accuracy:.4} ({} of {})",
                self.tags_correct, self.tagged_words
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(word: &'static str, start: usize, pos: Option<&'static str>) -> Token<'static> {
        let end = start + word.chars().count();
        Token {
            word,
            start,
            end,
            byte_start: 0,
            byte_end: 0,
            pos,
        }
    }

    #[test]
    fn counts_spans_oov_and_tags() {
        let gold = Sentence {
            words: vec!["江".into(), "泽民".into(), "发表".into(), "讲话".into()],
            tags: vec!["nr".into(), "nr".into(), "v".into(), "n".into()],
        };
        let answered = [
            token("江泽民", 0, Some("nr")),
            token("发表", 3, Some("v")),
            token("讲话", 5, Some("v")),
        ];
        let mut scores = SegmentationScores::default();
        scores.add(&gold, &answered, |w| w != "泽民");
        assert_eq!(
            (
                scores.gold_words,
                scores.predicted_words,
                scores.correct_words
            ),
            (4, 3, 2)
        );
        assert_eq!((scores.oov_words, scores.oov_correct), (1, 0));
        assert_eq!((scores.tagged_words, scores.tags_correct), (2, 1));
        assert!((scores.f1() - 2.0 * (2.0 / 3.0) * 0.5 / (2.0 / 3.0 + 0.5)).abs() < 1e-12);
    }
}
