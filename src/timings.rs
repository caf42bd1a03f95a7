//! Phase timings for profiling a run: with `BASELINT_TIMINGS` set in the environment, each phase
//! of `check` prints its wall time to stderr, and where the system tells (Linux), the resident
//! memory at its end and the peak so far (docs/performance.md). Off, a phase costs one atomic
//! load.

use std::sync::{LazyLock, Mutex};
use std::time::Instant;

/// Read from the environment on first use.
static ENABLED: LazyLock<bool> =
    LazyLock::new(|| std::env::var_os("BASELINT_TIMINGS").is_some_and(|v| !v.is_empty()));
/// The previous mark: when, and the CPU time all threads had used by then (ns, where known).
static LAST: Mutex<Option<(Instant, Option<u64>)>> = Mutex::new(None);

fn enabled() -> bool {
    *ENABLED
}

/// Start timing (the first phase is measured from here), and say on how many threads.
pub fn start() {
    if enabled() {
        eprintln!("baselint: timing: threads {}", rayon::current_num_threads());
        *LAST.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), cpu_ns()));
    }
}

/// A task that ran beside others (a rule): `baselint: timing: <name> <its own wall time>`. It
/// does not move the mark [`phase`] measures from.
pub fn took(name: &str, elapsed: std::time::Duration) {
    if enabled() {
        let ms = elapsed.as_secs_f64() * 1000.0;
        eprintln!("baselint: timing: {name:<14} {ms:>8.1} ms");
    }
}

/// The phase that just ended: `baselint: timing: <phase> <ms since the previous mark>`.
pub fn phase(name: &str) {
    if !enabled() {
        return;
    }
    let (now, cpu) = (Instant::now(), cpu_ns());
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    let since = last.map_or(0.0, |(t, _)| (now - t).as_secs_f64() * 1000.0);
    // How many cores the phase kept busy on average: below the thread count, part of it ran
    // on one core.
    let cores = match (cpu, last.and_then(|(_, c)| c)) {
        (Some(cpu), Some(before)) if since > 0.0 => {
            format!(
                "   cores {:.2}",
                cpu.saturating_sub(before) as f64 / 1e6 / since
            )
        }
        _ => String::new(),
    };
    *last = Some((now, cpu));
    match memory() {
        Some((rss, peak)) => eprintln!(
            "baselint: timing: {name:<14} {since:>8.1} ms   rss {rss:>5} MB   peak {peak:>5} MB{cores}"
        ),
        None => eprintln!("baselint: timing: {name:<14} {since:>8.1} ms{cores}"),
    }
}

/// The CPU time every thread of the process has used so far, in ns, from each thread's
/// `/proc/self/task/*/schedstat` (None elsewhere). Threads that ended are not counted, so this
/// is for phases run on the thread pool, which lives as long as the run. A running thread's
/// figure lags by up to a scheduler tick (4 ms at 250 Hz), so the cores of a phase shorter
/// than some 20 ms are rough.
fn cpu_ns() -> Option<u64> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let stat = std::fs::read_to_string(task.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

/// Resident memory and its peak so far, in MB, from `/proc/self/status` (None elsewhere).
fn memory() -> Option<(u64, u64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| {
        let line = status.lines().find(|line| line.starts_with(name))?;
        let kb: u64 = line[name.len()..]
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()?;
        Some(kb / 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
