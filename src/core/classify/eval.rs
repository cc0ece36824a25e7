//! Accuracy, per-label precision/recall/F1 and the confusion matrix.

use std::fmt;

/// The outcome of classifying labelled examples.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    labels: Vec<String>,
    /// `confusion[actual][predicted]`.
    confusion: Vec<Vec<usize>>,
}

/// Precision, recall and F1 of one label.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelScores {
    /// Of the texts predicted as the label, the share that had it.
    pub precision: f64,
    /// Of the texts that had the label, the share predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Texts that had the label.
    pub support: usize,
}

impl Evaluation {
    /// An empty evaluation over `labels` (the model's labels; labels only seen in the data are
    /// added as they come).
    pub fn new(labels: &[String]) -> Self {
        Self {
            labels: labels.to_vec(),
            confusion: vec![vec![0; labels.len()]; labels.len()],
        }
    }

    fn index(&mut self, label: &str) -> usize {
        if let Some(i) = self.labels.iter().position(|l| l == label) {
            return i;
        }
        self.labels.push(label.to_owned());
        self.confusion.iter_mut().for_each(|row| row.push(0));
        self.confusion.push(vec![0; self.labels.len()]);
        self.labels.len() - 1
    }

    /// Records one example.
    pub fn add(&mut self, actual: &str, predicted: &str) {
        let (a, p) = (self.index(actual), self.index(predicted));
        self.confusion[a][p] += 1;
    }

    /// Examples recorded.
    pub fn total(&self) -> usize {
        self.confusion.iter().flatten().sum()
    }

    /// Share of examples classified correctly.
    pub fn accuracy(&self) -> f64 {
        let right: usize = (0..self.labels.len()).map(|i| self.confusion[i][i]).sum();
        right as f64 / self.total().max(1) as f64
    }

    /// Scores of each label, in label order.
    pub fn per_label(&self) -> Vec<(&str, LabelScores)> {
        (0..self.labels.len())
            .map(|i| {
                let tp = self.confusion[i][i] as f64;
                let predicted: usize = self.confusion.iter().map(|row| row[i]).sum();
                let support: usize = self.confusion[i].iter().sum();
                let precision = if predicted == 0 {
                    0.0
                } else {
                    tp / predicted as f64
                };
                let recall = if support == 0 {
                    0.0
                } else {
                    tp / support as f64
                };
                let f1 = if precision + recall == 0.0 {
                    0.0
                } else {
                    2.0 * precision * recall / (precision + recall)
                };
                (
                    self.labels[i].as_str(),
                    LabelScores {
                        precision,
                        recall,
                        f1,
                        support,
                    },
                )
            })
            .collect()
    }
}

impl fmt::Display for Evaluation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "examples: {}", self.total())?;
        writeln!(f, "accuracy: {:.4}", self.accuracy())?;
        writeln!(f)?;
        let width = self
            .labels
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(5)
            .max(5);
        writeln!(f, "{:<width$}  precision  recall      f1  support", "label")?;
        for (label, s) in self.per_label() {
            writeln!(
                f,
                "{label:<width$}  {:>9.4}  {:>6.4}  {:>6.4}  {:>7}",
                s.precision, s.recall, s.f1, s.support
            )?;
        }
        writeln!(f)?;
        writeln!(f, "confusion matrix (rows: actual, columns: predicted)")?;
        let cell = self
            .labels
            .iter()
            .map(|l| l.chars().count())
            .chain(std::iter::once(self.total().to_string().len()))
            .max()
            .unwrap_or(5);
        write!(f, "{:<width$}", "")?;
        for label in &self.labels {
            write!(f, "  {label:>cell$}")?;
        }
        writeln!(f)?;
        for (label, row) in self.labels.iter().zip(&self.confusion) {
            write!(f, "{label:<width$}")?;
            for n in row {
                write!(f, "  {n:>cell$}")?;
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_follow_the_confusion_matrix() {
        let mut e = Evaluation::new(&["neg".into(), "pos".into()]);
        for (a, p) in [
            ("pos", "pos"),
            ("pos", "pos"),
            ("pos", "neg"),
            ("neg", "neg"),
            ("neg", "pos"),
        ] {
            e.add(a, p);
        }
        assert_eq!(e.total(), 5);
        assert!((e.accuracy() - 0.6).abs() < 1e-12);
        let scores = e.per_label();
        let (label, pos) = scores[1];
        assert_eq!(label, "pos");
        assert!((pos.precision - 2.0 / 3.0).abs() < 1e-12);
        assert!((pos.recall - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(pos.support, 3);
        let report = e.to_string();
        assert!(report.contains("accuracy: 0.6000"), "{report}");
        assert!(report.contains("confusion matrix"), "{report}");
    }

    #[test]
    fn labels_unknown_to_the_model_are_counted() {
        let mut e = Evaluation::new(&["a".into()]);
        e.add("b", "a");
        assert_eq!(e.per_label().len(), 2);
        assert_eq!(e.accuracy(), 0.0);
    }
}
