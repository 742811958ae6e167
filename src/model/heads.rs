//! Turning head logits into labelled, calibrated predictions.

use serde::{Deserialize, Serialize};

use super::manifest::{IntentHead, SentimentHead};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Scored {
    pub label: String,
    pub score: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntentPrediction {
    /// The decided intent: the best in-scope label, or the out-of-scope label.
    pub label: String,
    /// Probability of the decided label.
    pub score: f32,
    pub out_of_scope: bool,
    /// Best labels with probabilities, most likely first.
    pub top: Vec<Scored>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentimentPrediction {
    pub label: String,
    pub score: f32,
    /// Probability of every class, in the head's label order.
    pub probabilities: Vec<Scored>,
}

impl SentimentPrediction {
    pub fn probability(&self, label: &str) -> f32 {
        self.probabilities.iter().find(|s| s.label == label).map_or(0.0, |s| s.score)
    }
}

pub fn softmax(logits: &[f32], temperature: f32) -> Vec<f32> {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let exps: Vec<f32> = logits.iter().map(|&l| ((l - max) / temperature).exp()).collect();
    let sum: f32 = exps.iter().sum();
    exps.into_iter().map(|e| e / sum).collect()
}

fn argmax(values: &[f32]) -> usize {
    values.iter().enumerate().fold(0, |best, (i, &v)| if v > values[best] { i } else { best })
}

pub const TOP_K: usize = 5;

/// Out of scope when the `oos` class wins or the best in-scope probability is under the
/// manifest's threshold (calibrated on validation data, see the model card).
pub fn decide_intent(head: &IntentHead, logits: &[f32]) -> IntentPrediction {
    let probs = softmax(logits, head.temperature);
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let top = order.iter().take(TOP_K).map(|&i| Scored { label: head.labels[i].clone(), score: probs[i] }).collect();
    let oos = head.labels.iter().position(|l| *l == head.oos_label);
    let best = argmax(&probs);
    let best_in_scope = order.iter().copied().find(|&i| Some(i) != oos).unwrap_or(best);
    let out_of_scope = Some(best) == oos || probs[best_in_scope] < head.oos_threshold;
    let (label, score) = match (out_of_scope, oos) {
        (true, Some(o)) => (head.oos_label.clone(), probs[o].max(1.0 - probs[best_in_scope])),
        _ => (head.labels[best_in_scope].clone(), probs[best_in_scope]),
    };
    IntentPrediction { label, score, out_of_scope, top }
}

pub fn decide_sentiment(head: &SentimentHead, logits: &[f32]) -> SentimentPrediction {
    let probs = softmax(logits, 1.0);
    let best = argmax(&probs);
    SentimentPrediction {
        label: head.labels[best].clone(),
        score: probs[best],
        probabilities: head.labels.iter().zip(&probs).map(|(l, &p)| Scored { label: l.clone(), score: p }).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(threshold: f32) -> IntentHead {
        IntentHead {
            labels: vec!["timer".into(), "alarm".into(), "oos".into()],
            oos_label: "oos".into(),
            temperature: 1.0,
            oos_threshold: threshold,
        }
    }

    #[test]
    fn confident_in_scope_label_wins() {
        let p = decide_intent(&head(0.5), &[5.0, 1.0, 0.0]);
        assert_eq!(p.label, "timer");
        assert!(!p.out_of_scope);
        assert_eq!(p.top[0].label, "timer");
    }

    #[test]
    fn low_confidence_becomes_out_of_scope() {
        let p = decide_intent(&head(0.6), &[1.0, 0.9, 0.5]);
        assert!(p.out_of_scope);
        assert_eq!(p.label, "oos");
        let q = decide_intent(&head(0.0), &[1.0, 0.9, 0.5]);
        assert_eq!(q.label, "timer");
    }

    #[test]
    fn oos_class_wins_outright() {
        let p = decide_intent(&head(0.0), &[0.0, 0.0, 4.0]);
        assert!(p.out_of_scope);
        assert_eq!(p.label, "oos");
        assert!(p.score > 0.9);
    }

    #[test]
    fn softmax_sums_to_one_and_temperature_flattens() {
        let sharp = softmax(&[2.0, 0.0], 1.0);
        let flat = softmax(&[2.0, 0.0], 4.0);
        assert!((sharp.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(flat[0] < sharp[0]);
    }
}
