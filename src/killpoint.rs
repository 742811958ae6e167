//! Test-only kill points: named places where the crash tests make the process die with SIGKILL,
//! so that a kill lands inside a commit on purpose rather than by luck (random moments rarely
//! hit the few microseconds between two statements of a transaction).
//!
//! `SQUEEZEDESK_KILL_AT=NAME` kills the process the first time [`hit`]`("NAME")` runs;
//! `NAME:N` kills it at the N-th time (1-based). Without the variable a hit costs one relaxed
//! atomic load. The names in use are listed where they are hit (grep `killpoint::hit`), and the
//! crash harness prints which one each kill used.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

/// Environment variable that arms a kill point.
pub const ENV: &str = "SQUEEZEDESK_KILL_AT";

struct Armed {
    name: String,
    at: u64,
    seen: AtomicU64,
}

fn armed() -> Option<&'static Armed> {
    static ARMED: OnceLock<Option<Armed>> = OnceLock::new();
    ARMED
        .get_or_init(|| {
            let spec = std::env::var(ENV).ok()?;
            let (name, at) = match spec.rsplit_once(':') {
                Some((name, n)) => (name.to_string(), n.parse().ok()?),
                None => (spec, 1),
            };
            Some(Armed { name, at, seen: AtomicU64::new(0) })
        })
        .as_ref()
}

/// Dies with SIGKILL if the kill point `name` is armed and this is its chosen hit.
pub fn hit(name: &str) {
    let Some(armed) = armed() else { return };
    if armed.name != name {
        return;
    }
    if armed.seen.fetch_add(1, Ordering::Relaxed) + 1 == armed.at {
        eprintln!("killpoint: {name} (hit {}): SIGKILL", armed.at);
        // SIGKILL, not abort or exit: no destructor, no flush, no rollback runs, exactly as
        // when the machine's user or the OOM killer ends the process.
        // SAFETY: kill(2) on our own pid has no memory-safety preconditions.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
