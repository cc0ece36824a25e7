//! Training and evaluating classification models with an analyzer's segmentation.

use super::classify::{
    self, Evaluation, Example, Model, Progress, Sparse, TrainConfig, TrainError,
};
use super::{Analyzer, Normalized, Script};

impl Analyzer {
    /// The words a classifier reads: precise mode, HMM on.
    pub(crate) fn words<'a>(&self, text: &'a str) -> Vec<&'a str> {
        self.segment_plain(text).map(|t| t.word).collect()
    }

    /// Trains a model on `examples`, deterministically: the same examples and settings give a
    /// byte-identical model. Features are extracted on all cores; `progress` hears of each
    /// epoch. Unusable settings, fewer than two labels, or a failed feature thread are errors,
    /// and no model is made.
    pub fn train(
        &self,
        examples: &[Example],
        config: &TrainConfig,
        progress: impl FnMut(Progress),
    ) -> Result<Model, TrainError> {
        config.validate()?;
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = examples.len().div_ceil(threads).max(1);
        let data = std::thread::scope(|scope| {
            let handles: Vec<_> = examples
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|e| {
                                let words = self.words(&e.text);
                                (config.features.vector(&words, &e.text), e.label.clone())
                            })
                            .collect::<Vec<(Sparse, String)>>()
                    })
                })
                .collect();
            let mut data = Vec::with_capacity(examples.len());
            for handle in handles {
                let part = handle
                    .join()
                    .map_err(|_| TrainError::Features("a feature thread panicked".into()))?;
                data.extend(part);
            }
            Ok::<_, TrainError>(data)
        })?;
        classify::train(&data, config, progress)
    }

    /// Classifies every example with `model`, its text read in `script` (see [`Script`]), and
    /// tallies the outcome.
    pub fn evaluate(&self, model: &Model, examples: &[Example], script: Script) -> Evaluation {
        let mut evaluation = Evaluation::new(model.labels());
        for example in examples {
            let normalized = Normalized::new(&example.text, script);
            let text = normalized.text().analysed();
            let words = self.words(text);
            let p = model.probabilities(&model.vector(&words, text));
            let best = (0..p.len())
                .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                .unwrap_or(0);
            evaluation.add(&example.label, &model.labels()[best]);
        }
        evaluation
    }
}
