//! Where the milliseconds go. Every stage of a message is a `tracing` span for logs and
//! flame graphs, and its duration goes into this recorder's histograms, which the dev panel,
//! `--timings` and `bench` read. Nothing here is estimated: each figure is a measured duration.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Tokenize,
    QueueWait,
    Inference,
    Postprocess,
    Fts,
    Dense,
    Fusion,
    Compose,
    /// A whole analysis or triage, from text to result.
    Total,
}

impl Stage {
    pub const ALL: [Stage; 9] = [
        Stage::Tokenize,
        Stage::QueueWait,
        Stage::Inference,
        Stage::Postprocess,
        Stage::Fts,
        Stage::Dense,
        Stage::Fusion,
        Stage::Compose,
        Stage::Total,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Tokenize => "tokenize",
            Stage::QueueWait => "queue_wait",
            Stage::Inference => "inference",
            Stage::Postprocess => "postprocess",
            Stage::Fts => "fts",
            Stage::Dense => "dense",
            Stage::Fusion => "fusion",
            Stage::Compose => "compose",
            Stage::Total => "total",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StageStats {
    pub stage: Stage,
    pub count: u64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// One measured duration, kept for the dev panel's chart over time.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Sample {
    /// Milliseconds since the recorder started.
    pub at_ms: f64,
    pub stage: Stage,
    pub ms: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BatchStats {
    pub batches: u64,
    pub messages: u64,
    pub mean_size: f64,
    pub max_size: u64,
    pub mean_seq: f64,
    /// Messages per batch: counts of batches of size 1, 2, 3–4, 5–8, 9–16, 17–32, 33+.
    pub size_buckets: [u64; 7],
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub uptime_ms: f64,
    pub stages: Vec<StageStats>,
    pub batches: BatchStats,
    pub queue_depth: usize,
    pub recent: Vec<Sample>,
}

const RECENT_SAMPLES: usize = 4096;

struct Inner {
    histograms: Vec<Histogram<u64>>,
    recent: VecDeque<Sample>,
    batches: BatchStats,
    seq_sum: u64,
}

pub struct Recorder {
    started: Instant,
    inner: Mutex<Inner>,
    queue_depth: std::sync::atomic::AtomicUsize,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    pub fn new() -> Self {
        let histograms = Stage::ALL
            .iter()
            // Microseconds from 1 µs to 10 minutes, 3 significant digits.
            .map(|_| Histogram::new_with_bounds(1, 600_000_000, 3).expect("valid histogram bounds"))
            .collect();
        Self {
            started: Instant::now(),
            inner: Mutex::new(Inner { histograms, recent: VecDeque::new(), batches: BatchStats::default(), seq_sum: 0 }),
            queue_depth: Default::default(),
        }
    }

    pub fn record(&self, stage: Stage, elapsed: Duration) {
        let micros = (elapsed.as_micros() as u64).clamp(1, 600_000_000);
        let mut inner = self.inner.lock().expect("recorder lock");
        inner.histograms[stage as usize].saturating_record(micros);
        if inner.recent.len() == RECENT_SAMPLES {
            inner.recent.pop_front();
        }
        let at_ms = self.started.elapsed().as_secs_f64() * 1e3;
        inner.recent.push_back(Sample { at_ms, stage, ms: elapsed.as_secs_f64() * 1e3 });
    }

    /// Runs `f`, recording its duration under `stage`, inside a span named after the stage.
    pub fn time<T>(&self, stage: Stage, f: impl FnOnce() -> T) -> T {
        let span = tracing::debug_span!("stage", name = stage.as_str());
        let _entered = span.enter();
        let started = Instant::now();
        let out = f();
        self.record(stage, started.elapsed());
        out
    }

    pub fn record_batch(&self, size: usize, seq: usize) {
        let mut inner = self.inner.lock().expect("recorder lock");
        inner.seq_sum += seq as u64;
        let seq_sum = inner.seq_sum;
        let b = &mut inner.batches;
        b.batches += 1;
        b.messages += size as u64;
        b.max_size = b.max_size.max(size as u64);
        let bucket = match size {
            0..=1 => 0,
            2 => 1,
            3..=4 => 2,
            5..=8 => 3,
            9..=16 => 4,
            17..=32 => 5,
            _ => 6,
        };
        b.size_buckets[bucket] += 1;
        b.mean_size = b.messages as f64 / b.batches as f64;
        b.mean_seq = seq_sum as f64 / b.batches as f64;
    }

    pub fn set_queue_depth(&self, depth: usize) {
        self.queue_depth.store(depth, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn stage(&self, stage: Stage) -> StageStats {
        let inner = self.inner.lock().expect("recorder lock");
        stats(stage, &inner.histograms[stage as usize])
    }

    /// Statistics of every stage that has samples, plus the latest `recent` samples.
    pub fn snapshot(&self, recent: usize) -> Snapshot {
        let inner = self.inner.lock().expect("recorder lock");
        let stages = Stage::ALL
            .iter()
            .filter(|&&s| !inner.histograms[s as usize].is_empty())
            .map(|&s| stats(s, &inner.histograms[s as usize]))
            .collect();
        let skip = inner.recent.len().saturating_sub(recent);
        Snapshot {
            uptime_ms: self.started.elapsed().as_secs_f64() * 1e3,
            stages,
            batches: inner.batches.clone(),
            queue_depth: self.queue_depth.load(std::sync::atomic::Ordering::Relaxed),
            recent: inner.recent.iter().skip(skip).copied().collect(),
        }
    }

    pub fn reset(&self) {
        let mut inner = self.inner.lock().expect("recorder lock");
        inner.histograms.iter_mut().for_each(Histogram::reset);
        inner.recent.clear();
        inner.batches = BatchStats::default();
        inner.seq_sum = 0;
    }
}

fn stats(stage: Stage, h: &Histogram<u64>) -> StageStats {
    let ms = |us: u64| us as f64 / 1e3;
    StageStats {
        stage,
        count: h.len(),
        mean_ms: h.mean() / 1e3,
        p50_ms: ms(h.value_at_quantile(0.50)),
        p95_ms: ms(h.value_at_quantile(0.95)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        max_ms: ms(h.max()),
    }
}

/// A plain-text table of the stages, for `--timings`.
pub fn format_table(snapshot: &Snapshot) -> String {
    let mut out = format!("{:<12} {:>7} {:>9} {:>9} {:>9} {:>9}\n", "stage", "count", "p50 ms", "p95 ms", "p99 ms", "max ms");
    for s in &snapshot.stages {
        out.push_str(&format!(
            "{:<12} {:>7} {:>9.3} {:>9.3} {:>9.3} {:>9.3}\n",
            s.stage.as_str(),
            s.count,
            s.p50_ms,
            s.p95_ms,
            s.p99_ms,
            s.max_ms
        ));
    }
    let b = &snapshot.batches;
    if b.batches > 0 {
        out.push_str(&format!(
            "batches: {} (mean {:.1} messages, max {}, mean padded length {:.1} tokens)\n",
            b.batches, b.mean_size, b.max_size, b.mean_seq
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_follow_recorded_durations() {
        let r = Recorder::new();
        for ms in 1..=100 {
            r.record(Stage::Inference, Duration::from_millis(ms));
        }
        let s = r.stage(Stage::Inference);
        assert_eq!(s.count, 100);
        assert!((s.p50_ms - 50.0).abs() < 1.0, "{s:?}");
        assert!((s.p99_ms - 99.0).abs() < 1.0, "{s:?}");
        let snap = r.snapshot(10);
        assert_eq!(snap.recent.len(), 10);
        assert_eq!(snap.stages.len(), 1);
    }
}
