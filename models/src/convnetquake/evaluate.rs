//! Accuracy of ConvNetQuake on labelled windows, as the original
//! `evaluate --events` / `--noise`: on event windows, how often an event is
//! detected (any cluster class wins) and how often the right cluster wins;
//! on noise windows, how often noise wins; plus the confusion matrix.

use super::error::CnqError;
use super::model::NOISE_CLASS;

/// Counts of a classification run. Rows of `confusion` are the true class,
/// columns the predicted class (arg-max probability); class 0 is noise,
/// class `k + 1` cluster `k`.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// `[true][predicted]` window counts, `(K + 1) x (K + 1)`.
    pub confusion: Vec<Vec<usize>>,
}

/// Index of the largest probability (first on ties).
pub fn argmax(p: &[f32]) -> usize {
    p.iter().enumerate().fold((0, f32::NEG_INFINITY), |(bi, bv), (i, &v)| if v > bv { (i, v) } else { (bi, bv) }).0
}

impl Evaluation {
    /// Tallies `probabilities[i]` (K + 1 values) against `labels[i]`.
    pub fn from_predictions(labels: &[i64], probabilities: &[Vec<f32>], n_classes: usize) -> Result<Self, CnqError> {
        let mut confusion = vec![vec![0usize; n_classes]; n_classes];
        for (window, (&label, p)) in labels.iter().zip(probabilities).enumerate() {
            if label < 0 || label as usize >= n_classes {
                return Err(CnqError::Label { window, label, max: n_classes - 1 });
            }
            confusion[label as usize][argmax(p)] += 1;
        }
        Ok(Self { confusion })
    }

    /// Number of clusters K.
    pub fn n_clusters(&self) -> usize {
        self.confusion.len() - 1
    }

    /// Event windows evaluated.
    pub fn n_events(&self) -> usize {
        self.confusion[1..].iter().flatten().sum()
    }

    /// Noise windows evaluated.
    pub fn n_noise(&self) -> usize {
        self.confusion[NOISE_CLASS].iter().sum()
    }

    /// Fraction of event windows whose predicted class is their cluster
    /// (`None` without event windows). Chance level: `1 / K` among clusters
    /// (lower still with the noise class).
    pub fn cluster_accuracy(&self) -> Option<f64> {
        let n = self.n_events();
        (n > 0).then(|| (1..self.confusion.len()).map(|k| self.confusion[k][k]).sum::<usize>() as f64 / n as f64)
    }

    /// Fraction of event windows predicted as any cluster (detection).
    pub fn event_detection_accuracy(&self) -> Option<f64> {
        let n = self.n_events();
        (n > 0).then(|| self.confusion[1..].iter().map(|r| n_minus(r)).sum::<usize>() as f64 / n as f64)
    }

    /// Fraction of noise windows predicted as noise (`None` without noise windows).
    pub fn noise_accuracy(&self) -> Option<f64> {
        let n = self.n_noise();
        (n > 0).then(|| self.confusion[NOISE_CLASS][NOISE_CLASS] as f64 / n as f64)
    }

    /// The confusion matrix as text, rows true, columns predicted.
    pub fn confusion_table(&self) -> String {
        let name = |k: usize| if k == 0 { "noise".to_string() } else { format!("c{}", k - 1) };
        let mut s = format!("{:>12}", "true\\pred");
        for k in 0..self.confusion.len() {
            s += &format!("{:>7}", name(k));
        }
        s.push('\n');
        for (k, row) in self.confusion.iter().enumerate() {
            if row.iter().sum::<usize>() == 0 {
                continue;
            }
            s += &format!("{:>12}", name(k));
            for v in row {
                s += &format!("{v:>7}");
            }
            s.push('\n');
        }
        s
    }
}

/// Windows of a row not predicted as noise.
fn n_minus(row: &[usize]) -> usize {
    row.iter().sum::<usize>() - row[NOISE_CLASS]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracies_from_a_hand_made_confusion() {
        // K = 2. Labels: 2 noise, 3 of cluster 0, 1 of cluster 1.
        let labels = [0, 0, 1, 1, 1, 2];
        let p = |k: usize| {
            let mut v = vec![0.1f32; 3];
            v[k] = 0.8;
            v
        };
        let probs = vec![p(0), p(2), p(1), p(1), p(0), p(1)];
        let e = Evaluation::from_predictions(&labels, &probs, 3).unwrap();
        assert_eq!(e.confusion, vec![vec![1, 0, 1], vec![1, 2, 0], vec![0, 1, 0]]);
        assert_eq!(e.n_events(), 4);
        assert_eq!(e.n_noise(), 2);
        assert_eq!(e.cluster_accuracy(), Some(0.5));
        assert_eq!(e.event_detection_accuracy(), Some(0.75));
        assert_eq!(e.noise_accuracy(), Some(0.5));
        assert!(e.confusion_table().contains("noise"));
    }

    #[test]
    fn label_out_of_range_is_an_error() {
        let err = Evaluation::from_predictions(&[3], &[vec![0.5, 0.5]], 2).unwrap_err();
        assert!(matches!(err, CnqError::Label { window: 0, label: 3, max: 1 }));
    }
}
