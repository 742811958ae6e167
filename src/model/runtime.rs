//! ONNX Runtime: loading the shared library once per process and building sessions on the
//! requested execution provider, falling back to CPU with a stated reason.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::ep;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use serde::{Deserialize, Serialize};

use crate::config::Provider;
use crate::error::{Error, Result};

/// ONNX Runtime release that `ort` (api-31) is built against.
pub const ORT_VERSION: &str = "1.31.1";

static ENVIRONMENT: OnceLock<std::result::Result<(Environment, PathBuf), String>> = OnceLock::new();

/// Places searched for `libonnxruntime.so`, in order: the explicit path, `ORT_DYLIB_PATH`,
/// beside the executable, `.ort/lib` of the source tree (what `scripts/fetch-onnxruntime.sh`
/// installs), then the system loader path.
pub fn library_candidates(explicit: Option<&Path>) -> Vec<PathBuf> {
    let name = format!("libonnxruntime.so.{ORT_VERSION}");
    let mut out = Vec::new();
    if let Some(p) = explicit {
        out.push(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH") {
        out.push(PathBuf::from(p));
    }
    if let Ok(exe) = std::env::current_exe() {
        if let Some(dir) = exe.parent() {
            out.push(dir.join(&name));
            out.push(dir.join("lib").join(&name));
        }
    }
    out.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(".ort/lib").join(&name));
    out
}

/// The process-wide ONNX Runtime environment (ONNX Runtime allows one per process).
pub fn environment(explicit: Option<&Path>) -> Result<&'static (Environment, PathBuf)> {
    let result = ENVIRONMENT.get_or_init(|| {
        let candidates = library_candidates(explicit);
        let path = candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
            format!(
                "libonnxruntime.so.{ORT_VERSION} not found (looked in: {}); run scripts/fetch-onnxruntime.sh or set ORT_DYLIB_PATH",
                candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            )
        })?;
        let builder = ort::init_from(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let env = builder.with_name("squeezedesk").build().map_err(|e| e.to_string())?;
        Ok((env, path))
    });
    result.as_ref().map_err(|e| Error::RuntimeLibrary(e.clone()))
}

/// Which provider runs the model, and why if it is not the one asked for.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProviderReport {
    pub requested: Provider,
    pub active: Provider,
    /// Why each GPU provider that was tried could not be used.
    pub fallback_reasons: Vec<String>,
}

impl ProviderReport {
    pub fn fell_back(&self) -> bool {
        self.requested != Provider::Auto && self.requested != self.active
    }
}

#[derive(Debug, Clone)]
pub struct SessionOptions {
    pub provider: Provider,
    pub threads: usize,
    /// Whether ONNX Runtime's intra-op threads busy-wait for work between runs. Off by default:
    /// on a 2-core machine the spinning threads take the cores from whatever runs right after
    /// inference (retrieval, the next tokenisation); see docs/performance.md.
    pub spinning: bool,
}

/// Builds a session, trying the requested provider first. A GPU provider that cannot be
/// registered (missing CUDA libraries, no device) is reported and the session is built on CPU.
pub fn build_session(model: &Path, options: &SessionOptions, library: Option<&Path>) -> Result<(Session, ProviderReport)> {
    let (env, _) = environment(library)?;
    let attempts: &[Provider] = match options.provider {
        Provider::Cpu => &[],
        Provider::Cuda => &[Provider::Cuda],
        Provider::Tensorrt => &[Provider::Tensorrt, Provider::Cuda],
        Provider::Auto => &[Provider::Tensorrt, Provider::Cuda],
    };
    let mut reasons = Vec::new();
    for &provider in attempts {
        match try_build(env, model, options, Some(provider)) {
            Ok(session) => {
                let report = ProviderReport { requested: options.provider, active: provider, fallback_reasons: reasons };
                return Ok((session, report));
            }
            Err(reason) => {
                tracing::warn!(provider = provider.as_str(), %reason, "execution provider unavailable");
                reasons.push(format!("{}: {reason}", provider.as_str()));
            }
        }
    }
    let session = try_build(env, model, options, None).map_err(|reason| classify_load_error(model, reason))?;
    let report = ProviderReport { requested: options.provider, active: Provider::Cpu, fallback_reasons: reasons };
    if report.fell_back() {
        tracing::warn!(requested = options.provider.as_str(), "running on the CPU execution provider instead");
    }
    Ok((session, report))
}

fn try_build(
    env: &Environment,
    model: &Path,
    options: &SessionOptions,
    provider: Option<Provider>,
) -> std::result::Result<Session, String> {
    let text = |e: ort::Error<ort::session::builder::SessionBuilder>| ort::Error::<()>::from(e).to_string();
    let mut builder =
        Session::builder(env).map_err(|e| e.to_string())?.with_optimization_level(GraphOptimizationLevel::All).map_err(text)?;
    if options.threads > 0 {
        builder = builder.with_intra_threads(options.threads).map_err(text)?;
    }
    builder = builder.with_intra_op_spinning(options.spinning).map_err(text)?;
    builder = match provider {
        Some(Provider::Cuda) => {
            builder.with_execution_providers([ep::CUDA::default().build().error_on_failure()]).map_err(text)?
        }
        Some(Provider::Tensorrt) => {
            builder.with_execution_providers([ep::TensorRT::default().build().error_on_failure()]).map_err(text)?
        }
        _ => builder,
    };
    builder.commit_from_file(model).map_err(|e| e.to_string())
}

fn classify_load_error(model: &Path, reason: String) -> Error {
    if !model.is_file() {
        Error::ModelFileMissing { path: model.to_path_buf() }
    } else {
        Error::ModelFileCorrupt { path: model.to_path_buf(), reason }
    }
}
