//! Reading labelled examples and training a model, deterministically.

use std::collections::BTreeSet;
use std::path::Path;

use super::features::{FeatureSpec, Sparse};
use super::model::{Header, Model, TrainingRecord, softmax};
use crate::core::split_mix::SplitMix;
use crate::core::{LoadError, read_text};

/// One labelled text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// Its label.
    pub label: String,
    /// Its text.
    pub text: String,
}

/// Examples read from a file, with the count of malformed lines skipped.
#[derive(Debug, Clone, Default)]
pub struct Examples {
    /// The examples, in file order.
    pub examples: Vec<Example>,
    /// Malformed lines skipped (only with `skip_bad_lines`).
    pub skipped: usize,
}

/// Reads `label<TAB>text` lines or fastText `__label__x text` lines (the first label of a
/// line counts). Blank lines are ignored. A malformed line is an error naming its number, or
/// is counted and skipped with `skip_bad_lines`.
pub fn read_examples(path: &Path, skip_bad_lines: bool) -> Result<Examples, LoadError> {
    let text = read_text(path)?;
    let mut out = Examples::default();
    for (i, line) in text
        .strip_prefix('\u{feff}')
        .unwrap_or(&text)
        .lines()
        .enumerate()
    {
        if line.trim().is_empty() {
            continue;
        }
        match parse_example(line) {
            Ok(example) => out.examples.push(example),
            Err(_) if skip_bad_lines => out.skipped += 1,
            Err(reason) => {
                return Err(LoadError::Malformed {
                    path: path.to_path_buf(),
                    line: i + 1,
                    reason,
                });
            }
        }
    }
    Ok(out)
}

fn parse_example(line: &str) -> Result<Example, String> {
    let (label, text) = if let Some(rest) = line.strip_prefix("__label__") {
        let (label, text) = rest
            .split_once(char::is_whitespace)
            .ok_or("a fastText line needs a text after its label")?;
        // Further labels of a multi-label line are dropped.
        let mut text = text.trim_start();
        while let Some(more) = text.strip_prefix("__label__") {
            text = more
                .split_once(char::is_whitespace)
                .map_or("", |(_, t)| t)
                .trim_start();
        }
        (label, text)
    } else {
        line.split_once('\t')
            .ok_or("expected `label<TAB>text` or `__label__label text`")?
    };
    let label = label.trim();
    if label.is_empty() || label.chars().any(char::is_whitespace) {
        return Err(format!("bad label `{label}`"));
    }
    if text.trim().is_empty() {
        return Err("the text is empty".into());
    }
    Ok(Example {
        label: label.to_owned(),
        text: text.to_owned(),
    })
}

/// Training settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrainConfig {
    /// The features to read.
    pub features: FeatureSpec,
    /// Passes over the data.
    pub epochs: u32,
    /// AdaGrad step size.
    pub learning_rate: f32,
    /// L2 regularisation strength.
    pub l2: f32,
    /// Seed of the example order.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            features: FeatureSpec::default(),
            epochs: 10,
            learning_rate: 0.1,
            l2: 1.2e-2,
            seed: 1,
        }
    }
}

/// Progress of a training run, for reporting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Progress {
    /// The epoch just finished (1-based).
    pub epoch: u32,
    /// Of how many.
    pub epochs: u32,
    /// Mean cross-entropy loss over the epoch.
    pub loss: f64,
    /// Share of examples the model got right during the epoch.
    pub accuracy: f64,
}

/// Why a model cannot be trained.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// The learning rate is not a positive number.
    #[error("the learning rate must be a positive finite number, not {0}")]
    LearningRate(f32),
    /// The L2 strength is negative or not a number.
    #[error("the L2 strength must be zero or a positive finite number, not {0}")]
    L2(f32),
    /// The character n-gram range is empty.
    #[error(
        "the longest character n-gram ({max}) is shorter than the shortest ({min}); raise \
         the longest or lower the shortest"
    )]
    CharNgrams {
        /// The shortest.
        min: u8,
        /// The longest.
        max: u8,
    },
    /// There is nothing to learn from.
    #[error("no examples")]
    NoExamples,
    /// Every example has the same label: a model would always answer it with probability 1.
    #[error("every example is labelled `{0}`; a classifier needs at least two labels")]
    OneLabel(String),
    /// Extracting the examples' features failed (a thread panicked): a bug.
    #[error("extracting features failed: {0}")]
    Features(String),
}

impl TrainConfig {
    /// Checks the settings before any work: a positive learning rate, a non-negative L2
    /// strength, and a character n-gram range that is not empty.
    pub fn validate(&self) -> Result<(), TrainError> {
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(TrainError::LearningRate(self.learning_rate));
        }
        if !(self.l2.is_finite() && self.l2 >= 0.0) {
            return Err(TrainError::L2(self.l2));
        }
        let (min, max) = (self.features.min_char_ngram, self.features.max_char_ngram);
        if min > 0 && max < min {
            return Err(TrainError::CharNgrams { min, max });
        }
        Ok(())
    }
}

/// The labels, sorted, and each example's label as an index into them; at least two labels.
fn labels_and_targets(data: &[(Sparse, String)]) -> Result<(Vec<String>, Vec<usize>), TrainError> {
    let labels: Vec<String> = data
        .iter()
        .map(|(_, l)| l.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    match labels.as_slice() {
        [] => return Err(TrainError::NoExamples),
        [only] => return Err(TrainError::OneLabel(only.clone())),
        _ => {}
    }
    let targets = data
        .iter()
        .map(|(_, l)| labels.binary_search(l).unwrap_or(0))
        .collect();
    Ok((labels, targets))
}

/// Trains a multinomial logistic regression on the texts' features with AdaGrad and L2
/// regularisation on the weights each example touches, and keeps the average of all steps'
/// weights. Labels are sorted, so the same examples and settings always give the same model,
/// byte for byte.
pub(crate) fn train(
    data: &[(Sparse, String)],
    config: &TrainConfig,
    mut progress: impl FnMut(Progress),
) -> Result<Model, TrainError> {
    config.validate()?;
    let (labels, targets) = labels_and_targets(data)?;
    let model = Model::zeros(Header {
        labels,
        features: config.features,
        training: TrainingRecord {
            examples: data.len(),
            epochs: config.epochs,
            learning_rate: config.learning_rate,
            l2: config.l2,
            seed: config.seed,
        },
    });
    let mut sgd = AdaGrad::new(model, config);
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut rng = SplitMix(config.seed);
    for epoch in 1..=config.epochs {
        rng.shuffle(&mut order);
        let (mut loss, mut right) = (0.0f64, 0usize);
        for &i in &order {
            let (example_loss, correct) = sgd.step(&data[i].0, targets[i]);
            loss += example_loss;
            right += usize::from(correct);
        }
        progress(Progress {
            epoch,
            epochs: config.epochs,
            loss: loss / data.len() as f64,
            accuracy: right as f64 / data.len() as f64,
        });
    }
    Ok(sgd.averaged())
}

/// The optimiser's state: the model's current weights, AdaGrad's sums of squared gradients,
/// and what the average of every step's weights needs.
struct AdaGrad {
    model: Model,
    n_labels: usize,
    learning_rate: f32,
    l2: f32,
    grad_sq: Vec<f32>,
    bias_sq: Vec<f32>,
    /// Scratch room for the label scores of one example.
    p: Vec<f64>,
    /// Polyak averaging of every step's weights, kept sparse: with `weighted_sum` holding
    /// t × (amount subtracted at step t), the mean of the weights after steps 1..=T is
    /// ((T + 1) × w_T + weighted_sum) / T.
    step: f64,
    weighted_sum: Vec<f64>,
    bias_sum: Vec<f64>,
}

impl AdaGrad {
    fn new(model: Model, config: &TrainConfig) -> Self {
        let n_labels = model.labels().len();
        let weights = n_labels * config.features.buckets as usize;
        Self {
            model,
            n_labels,
            learning_rate: config.learning_rate,
            l2: config.l2,
            grad_sq: vec![1e-8; weights],
            bias_sq: vec![1e-8; n_labels],
            p: vec![0.0; n_labels],
            step: 0.0,
            weighted_sum: vec![0.0; weights],
            bias_sum: vec![0.0; n_labels],
        }
    }

    /// One step on example `x` labelled `target`: its loss and whether the model had it right
    /// before the step.
    fn step(&mut self, x: &Sparse, target: usize) -> (f64, bool) {
        self.step += 1.0;
        let (n_labels, lr, l2, step) = (self.n_labels, self.learning_rate, self.l2, self.step);
        let p = &mut self.p;
        self.model.scores(x, p);
        let best = (0..n_labels)
            .max_by(|&a, &b| p[a].total_cmp(&p[b]))
            .unwrap_or(0);
        softmax(p);
        let loss = -p[target].max(1e-12).ln();
        let (weights, bias) = self.model.weights_mut();
        for k in 0..n_labels {
            let g = (p[k] - f64::from(u8::from(k == target))) as f32;
            for &(j, v) in x {
                let at = j as usize * n_labels + k;
                let grad = g * v + l2 * weights[at];
                self.grad_sq[at] += grad * grad;
                let delta = lr * grad / self.grad_sq[at].sqrt();
                weights[at] -= delta;
                self.weighted_sum[at] += step * f64::from(delta);
            }
            self.bias_sq[k] += g * g;
            let delta = lr * g / self.bias_sq[k].sqrt();
            bias[k] -= delta;
            self.bias_sum[k] += step * f64::from(delta);
        }
        (loss, best == target)
    }

    /// The model with the average of every step's weights.
    fn averaged(mut self) -> Model {
        let step = self.step;
        if step > 0.0 {
            let (weights, bias) = self.model.weights_mut();
            for (w, sum) in weights
                .iter_mut()
                .chain(bias.iter_mut())
                .zip(self.weighted_sum.iter().chain(&self.bias_sum))
            {
                *w = (((step + 1.0) * f64::from(*w) + sum) / step) as f32;
            }
        }
        self.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_input_formats_parse() {
        assert_eq!(
            parse_example("pos\t很好\t用").unwrap(),
            Example {
                label: "pos".into(),
                text: "很好\t用".into()
            }
        );
        assert_eq!(
            parse_example("__label__neg 太差了 __label__x").unwrap(),
            Example {
                label: "neg".into(),
                text: "太差了 __label__x".into()
            }
        );
        assert_eq!(
            parse_example("__label__a __label__b 两个标签").unwrap(),
            Example {
                label: "a".into(),
                text: "两个标签".into()
            }
        );
        for bad in ["没有标签的行", "\t只有文本", "pos\t   ", "__label__only"] {
            assert!(parse_example(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn separable_data_is_learned_and_training_is_deterministic() {
        let spec = FeatureSpec {
            buckets: 1 << 12,
            ..FeatureSpec::default()
        };
        let texts = [("好评", "a"), ("差评", "b"), ("中评", "c")];
        let data: Vec<(Sparse, String)> = texts
            .iter()
            .map(|(t, l)| (spec.vector(&[t], t), l.to_string()))
            .collect();
        let config = TrainConfig {
            features: spec,
            epochs: 30,
            ..TrainConfig::default()
        };
        let model = train(&data, &config, |_| {}).unwrap();
        for (i, (text, _)) in texts.iter().enumerate() {
            let p = model.probabilities(&model.vector(&[text], text));
            assert!(p[i] > 0.6, "{text}: {p:?}");
        }
        assert_eq!(
            model.to_bytes(),
            train(&data, &config, |_| {}).unwrap().to_bytes()
        );
    }

    #[test]
    fn unusable_settings_and_data_are_refused() {
        let spec = FeatureSpec::default();
        let one_label = vec![(spec.vector(&["好"], "好"), "a".to_owned()); 2];
        let refused = |config: TrainConfig, data: &[(Sparse, String)]| {
            train(data, &config, |_| {}).unwrap_err()
        };
        let mut two = one_label.clone();
        two.push((spec.vector(&["差"], "差"), "b".to_owned()));
        for rate in [0.0, -0.1, f32::NAN, f32::INFINITY] {
            let config = TrainConfig {
                learning_rate: rate,
                ..TrainConfig::default()
            };
            assert!(matches!(refused(config, &two), TrainError::LearningRate(_)));
        }
        let config = TrainConfig {
            l2: -1.0,
            ..TrainConfig::default()
        };
        assert_eq!(refused(config, &two), TrainError::L2(-1.0));
        let config = TrainConfig {
            features: FeatureSpec {
                min_char_ngram: 3,
                max_char_ngram: 2,
                ..spec
            },
            ..TrainConfig::default()
        };
        assert_eq!(
            refused(config, &two),
            TrainError::CharNgrams { min: 3, max: 2 }
        );
        assert_eq!(
            refused(TrainConfig::default(), &one_label),
            TrainError::OneLabel("a".into())
        );
        assert_eq!(refused(TrainConfig::default(), &[]), TrainError::NoExamples);
    }
}
