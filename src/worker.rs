//! The inference worker: the one owner of the model session. Callers tokenize on their own task
//! and send token ids over a bounded channel; the worker gathers what is queued into one batch
//! (bounded by a token budget and a batch size), runs it on a blocking thread, and answers each
//! caller with its own row. A full queue is [`Error::Busy`], so memory stays bounded under load.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;

use crate::config::BatchPolicy;
use crate::error::{Error, Result};
use crate::model::{Backend, BackendInfo, Encoded, TokenBatch};
use crate::profile::{Recorder, Stage};

/// The model's outputs for one message.
#[derive(Debug, Clone)]
pub struct RowOutput {
    pub embedding: Vec<f32>,
    pub sentiment_logits: Option<Vec<f32>>,
    pub intent_logits: Option<Vec<f32>>,
    pub queue_wait: Duration,
    pub inference: Duration,
    /// How many messages shared the forward pass.
    pub batch_size: usize,
}

struct Request {
    ids: Vec<i64>,
    enqueued: Instant,
    reply: oneshot::Sender<Result<RowOutput>>,
}

/// What happens to queued requests at shutdown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Answer everything already queued, then stop.
    Drain,
    /// Answer queued requests with [`Error::ShutDown`] and stop.
    Cancel,
}

pub struct Worker {
    tx: mpsc::Sender<Request>,
    stop: Arc<StopSignal>,
    task: tokio::sync::Mutex<Option<JoinHandle<()>>>,
    info: BackendInfo,
    policy: BatchPolicy,
}

#[derive(Default)]
struct StopSignal {
    notify: Notify,
    mode: std::sync::Mutex<Option<Shutdown>>,
}

impl Worker {
    pub fn spawn(backend: Box<dyn Backend>, policy: BatchPolicy, recorder: Arc<Recorder>) -> Self {
        let (tx, rx) = mpsc::channel(policy.queue_capacity.max(1));
        let info = backend.info().clone();
        let stop = Arc::new(StopSignal::default());
        let task = tokio::spawn(run(backend, rx, policy.clone(), recorder, stop.clone()));
        Self { tx, stop, task: tokio::sync::Mutex::new(Some(task)), info, policy }
    }

    pub fn info(&self) -> &BackendInfo {
        &self.info
    }

    pub fn policy(&self) -> &BatchPolicy {
        &self.policy
    }

    pub fn queue_depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Interactive path: a full queue answers [`Error::Busy`] at once.
    pub async fn infer(&self, encoded: &Encoded) -> Result<RowOutput> {
        let (request, rx) = self.request(encoded);
        self.tx.try_send(request).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => Error::Busy { capacity: self.tx.max_capacity() },
            mpsc::error::TrySendError::Closed(_) => Error::ShutDown,
        })?;
        rx.await.map_err(|_| Error::ShutDown)?
    }

    /// Bulk path (imports, re-index, benchmarks): waits for room in the queue.
    pub async fn infer_waiting(&self, encoded: &Encoded) -> Result<RowOutput> {
        let (request, rx) = self.request(encoded);
        self.tx.send(request).await.map_err(|_| Error::ShutDown)?;
        rx.await.map_err(|_| Error::ShutDown)?
    }

    fn request(&self, encoded: &Encoded) -> (Request, oneshot::Receiver<Result<RowOutput>>) {
        let (reply, rx) = oneshot::channel();
        (Request { ids: encoded.ids.clone(), enqueued: Instant::now(), reply }, rx)
    }

    /// Stops the worker; new requests get [`Error::ShutDown`]. Returns when the worker has ended.
    pub async fn shutdown(&self, mode: Shutdown) {
        *self.stop.mode.lock().expect("stop lock") = Some(mode);
        self.stop.notify.notify_one();
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

async fn run(
    backend: Box<dyn Backend>,
    mut rx: mpsc::Receiver<Request>,
    policy: BatchPolicy,
    recorder: Arc<Recorder>,
    stop: Arc<StopSignal>,
) {
    let mut backend = Some(backend);
    let mut carried: Option<Request> = None;
    let mut stopping = false;
    loop {
        let first = match carried.take() {
            Some(r) => r,
            None if stopping => match rx.recv().await {
                Some(r) => r,
                None => break,
            },
            None => tokio::select! {
                r = rx.recv() => match r { Some(r) => r, None => break },
                _ = stop.notify.notified() => {
                    stopping = true;
                    rx.close();
                    if *stop.mode.lock().expect("stop lock") == Some(Shutdown::Cancel) {
                        while let Ok(r) = rx.try_recv() {
                            let _ = r.reply.send(Err(Error::ShutDown));
                        }
                    }
                    continue;
                }
            },
        };
        let (batch, next) = gather(first, &mut rx, &policy).await;
        carried = next;
        recorder.set_queue_depth(rx.len());

        let started = Instant::now();
        let tokens = TokenBatch::from_sequences(batch.iter().map(|r| r.ids.as_slice()));
        let model = backend.take().expect("backend is returned after every batch");
        let joined = tokio::task::spawn_blocking(move || {
            let mut model = model;
            let span = tracing::debug_span!("stage", name = "inference", batch = tokens.batch, seq = tokens.seq);
            let out = span.in_scope(|| model.forward(&tokens));
            (model, out, tokens.batch, tokens.seq)
        })
        .await;
        let (model, output, size, seq) = match joined {
            Ok(parts) => parts,
            Err(panic) => {
                tracing::error!(%panic, "inference thread panicked; the worker stops");
                for r in batch {
                    let _ = r.reply.send(Err(Error::Inference("the inference thread panicked".into())));
                }
                break;
            }
        };
        backend = Some(model);
        let inference = started.elapsed();
        recorder.record(Stage::Inference, inference);
        recorder.record_batch(size, seq);

        match output {
            Ok(out) => {
                let dim = out.dim;
                for (row, request) in batch.into_iter().enumerate() {
                    let slice = |v: &Option<Vec<f32>>| {
                        v.as_ref().map(|v| {
                            let width = v.len() / size;
                            v[row * width..(row + 1) * width].to_vec()
                        })
                    };
                    let queue_wait = started.saturating_duration_since(request.enqueued);
                    recorder.record(Stage::QueueWait, queue_wait);
                    let _ = request.reply.send(Ok(RowOutput {
                        embedding: out.embeddings[row * dim..(row + 1) * dim].to_vec(),
                        sentiment_logits: slice(&out.sentiment),
                        intent_logits: slice(&out.intent),
                        queue_wait,
                        inference,
                        batch_size: size,
                    }));
                }
            }
            Err(e) => {
                let message = e.to_string();
                tracing::error!(%message, "forward pass failed");
                for r in batch {
                    let _ = r.reply.send(Err(Error::Inference(message.clone())));
                }
            }
        }
    }
    tracing::debug!("inference worker stopped");
}

/// Takes what is already queued (and, with `max_wait`, what arrives shortly) into one batch
/// within the token budget. A request that would break the budget is carried to the next batch.
async fn gather(first: Request, rx: &mut mpsc::Receiver<Request>, policy: &BatchPolicy) -> (Vec<Request>, Option<Request>) {
    let deadline = tokio::time::Instant::now() + policy.max_wait;
    let mut longest = first.ids.len();
    let mut batch = vec![first];
    while batch.len() < policy.max_batch {
        let next = match rx.try_recv() {
            Ok(r) => r,
            Err(mpsc::error::TryRecvError::Empty) if !policy.max_wait.is_zero() => {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(r)) => r,
                    _ => break,
                }
            }
            Err(_) => break,
        };
        let padded = (batch.len() + 1) * longest.max(next.ids.len());
        if padded > policy.token_budget {
            return (batch, Some(next));
        }
        longest = longest.max(next.ids.len());
        batch.push(next);
    }
    (batch, None)
}
