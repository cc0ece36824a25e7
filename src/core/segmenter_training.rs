//! Training and scoring segmentation models with an analyzer's dictionary.

use super::accurate::{
    SegmentationScores, SegmenterModel, SegmenterProgress, SegmenterTrainConfig,
    SegmenterTrainError, Sentence, train_segmenter,
};
use super::{Analyzer, Normalized, Script};

impl Analyzer {
    /// Trains a segmentation model on `sentences` with this analyzer's dictionary as
    /// features, deterministically: the same sentences, dictionary and settings give a
    /// byte-identical model.
    pub fn train_segmenter(
        &self,
        sentences: &[Sentence],
        config: &SegmenterTrainConfig,
        progress: impl FnMut(&SegmenterProgress),
    ) -> Result<SegmenterModel, SegmenterTrainError> {
        train_segmenter(sentences, self.dictionary(), config, progress)
    }

    /// Segments each gold sentence's text, read in `script`, with `model` (this analyzer's
    /// dictionary and user's words), and scores the answers; `known` says whether a gold word
    /// is in the vocabulary (for the out-of-vocabulary recall).
    pub fn evaluate_segmenter(
        &self,
        model: &SegmenterModel,
        sentences: &[Sentence],
        script: Script,
        known: impl Fn(&str) -> bool,
    ) -> SegmentationScores {
        let accurate = self.accurate(model);
        let mut scores = SegmentationScores::default();
        for sentence in sentences {
            let text = sentence.text();
            let normalized = Normalized::new(&text, script);
            let whole = normalized.text();
            let mut tokens = accurate.segment(whole.analysed(), true);
            whole.as_sent(&mut tokens);
            scores.add(sentence, &tokens, &known);
        }
        scores
    }
}
