//! What one forward pass says about a message.

use serde::{Deserialize, Serialize};

use crate::intents::CustomIntentMatch;
use crate::model::heads::{IntentPrediction, SentimentPrediction};

#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct AnalysisTimings {
    pub tokenize_ms: f64,
    pub queue_wait_ms: f64,
    pub inference_ms: f64,
    pub postprocess_ms: f64,
    pub total_ms: f64,
    /// Messages that shared this message's forward pass.
    pub batch_size: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Analysis {
    pub text: String,
    /// The built-in intent (CLINC150's 150 intents or `oos`); absent if the model has no intent head.
    pub intent: Option<IntentPrediction>,
    /// Negative / neutral / positive; absent if the model has no sentiment head.
    pub sentiment: Option<SentimentPrediction>,
    /// The best user-defined intent, if one is close enough, with the examples that decided it.
    pub custom_intent: Option<CustomIntentMatch>,
    pub tokens: usize,
    /// The text was longer than the model window; only its beginning was analysed.
    pub truncated: bool,
    pub timings: AnalysisTimings,
    /// The L2-normalised sentence embedding (left out of JSON unless asked for).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embedding: Vec<f32>,
}
