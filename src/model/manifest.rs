//! `manifest.json` of a model folder: what the files are, their checksums, the heads and labels.
//! Loading validates the folder so that a missing or corrupt file is reported by name before
//! ONNX Runtime sees it.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Variant;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SentimentHead {
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntentHead {
    pub labels: Vec<String>,
    #[serde(default = "default_oos_label")]
    pub oos_label: String,
    #[serde(default = "one")]
    pub temperature: f32,
    /// Below this top in-scope probability the message is out of scope.
    #[serde(default)]
    pub oos_threshold: f32,
}

fn default_oos_label() -> String {
    "oos".into()
}

fn one() -> f32 {
    1.0
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Heads {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<SentimentHead>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<IntentHead>,
}

/// Names of the graph outputs. A model gives either a pooled `embedding` or a `last_hidden_state`
/// that the engine mean-pools.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Outputs {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_hidden_state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default)]
    pub description: String,
    pub variants: BTreeMap<String, String>,
    pub tokenizer: String,
    pub max_length: usize,
    pub embedding_dim: usize,
    #[serde(default)]
    pub pooling: String,
    pub inputs: Vec<String>,
    pub outputs: Outputs,
    #[serde(default)]
    pub heads: Heads,
    pub files: BTreeMap<String, FileEntry>,
}

/// Something the app does that needs a head this model does not have, and what happens instead.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MissingFeature {
    pub feature: String,
    pub consequence: String,
}

impl Manifest {
    /// What a model without some heads cannot do. Retrieval, answers and custom intents need only
    /// the embedding, which every model has.
    pub fn missing_features(&self) -> Vec<MissingFeature> {
        let mut out = Vec::new();
        if self.heads.intent.is_none() {
            out.push(MissingFeature {
                feature: "built-in intents".into(),
                consequence: "no intent head: only the intents you define from example phrases classify messages, \
                              and out-of-scope detection is off"
                    .into(),
            });
        }
        if self.heads.sentiment.is_none() {
            out.push(MissingFeature {
                feature: "sentiment".into(),
                consequence: "no sentiment head: messages show no sentiment, the inbox lists it as \"unknown\" \
                              and priority does not rise for negative messages"
                    .into(),
            });
        }
        out
    }

    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join("manifest.json");
        if !path.is_file() {
            return Err(Error::ModelFileMissing { path });
        }
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| Error::Manifest { path: path.clone(), reason: e.to_string() })?;
        manifest.check_consistency(&path)?;
        Ok(manifest)
    }

    fn check_consistency(&self, path: &Path) -> Result<()> {
        let bad = |reason: String| Error::Manifest { path: path.to_path_buf(), reason };
        if self.variants.is_empty() {
            return Err(bad("no model variants listed".into()));
        }
        for file in self.variants.values().chain(std::iter::once(&self.tokenizer)) {
            if !self.files.contains_key(file) {
                return Err(bad(format!("{file} has no checksum in \"files\"")));
            }
        }
        if self.outputs.embedding.is_none() && self.outputs.last_hidden_state.is_none() {
            return Err(bad("outputs must name an embedding or a last_hidden_state".into()));
        }
        if self.heads.sentiment.is_some() != self.outputs.sentiment.is_some() {
            return Err(bad("the sentiment head and the sentiment output must come together".into()));
        }
        if self.heads.intent.is_some() != self.outputs.intent.is_some() {
            return Err(bad("the intent head and the intent output must come together".into()));
        }
        if let Some(intent) = &self.heads.intent {
            if !intent.labels.contains(&intent.oos_label) {
                return Err(bad(format!("intent labels lack the out-of-scope label {:?}", intent.oos_label)));
            }
            if intent.temperature.is_nan() || intent.temperature <= 0.0 {
                return Err(bad("intent temperature must be positive".into()));
            }
        }
        if self.max_length < 8 {
            return Err(bad(format!("max_length {} is too small", self.max_length)));
        }
        Ok(())
    }

    pub fn variant_file(&self, variant: Variant) -> Option<&str> {
        self.variants.get(variant.as_str()).map(String::as_str)
    }

    pub fn has_variant(&self, variant: Variant) -> bool {
        self.variant_file(variant).is_some()
    }
}

/// A model folder whose manifest was read and whose files were checked against it.
#[derive(Debug, Clone)]
pub struct ModelFolder {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl ModelFolder {
    /// Reads the manifest and verifies size and sha256 of the tokenizer and the chosen variant.
    pub fn open(dir: &Path, variant: Variant) -> Result<Self> {
        let manifest = Manifest::read(dir)?;
        let model_file = manifest.variant_file(variant).ok_or_else(|| Error::Manifest {
            path: dir.join("manifest.json"),
            reason: format!(
                "no {} variant (has: {})",
                variant.as_str(),
                manifest.variants.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        })?;
        for name in [model_file, manifest.tokenizer.as_str()] {
            verify_file(&dir.join(name), &manifest.files[name])?;
        }
        Ok(Self { dir: dir.to_path_buf(), manifest })
    }

    pub fn model_path(&self, variant: Variant) -> PathBuf {
        self.dir.join(self.manifest.variant_file(variant).unwrap_or_default())
    }

    pub fn tokenizer_path(&self) -> PathBuf {
        self.dir.join(&self.manifest.tokenizer)
    }
}

pub fn verify_file(path: &Path, expected: &FileEntry) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|_| Error::ModelFileMissing { path: path.to_path_buf() })?;
    if meta.len() != expected.bytes {
        return Err(Error::ModelFileCorrupt {
            path: path.to_path_buf(),
            reason: format!("size is {} bytes, the manifest says {}", meta.len(), expected.bytes),
        });
    }
    let actual = sha256_file(path)?;
    if !actual.eq_ignore_ascii_case(&expected.sha256) {
        return Err(Error::ModelFileCorrupt {
            path: path.to_path_buf(),
            reason: format!("sha256 is {actual}, the manifest says {}", expected.sha256),
        });
    }
    Ok(())
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(format!("opening {}", path.display()), e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Model folders directly under `root` that have a readable manifest (for the app's model list).
pub fn discover(root: &Path) -> Vec<(PathBuf, Result<Manifest>)> {
    let Ok(entries) = std::fs::read_dir(root) else { return Vec::new() };
    let mut found: Vec<_> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.join("manifest.json").is_file())
        .map(|p| {
            let manifest = Manifest::read(&p);
            (p, manifest)
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}
