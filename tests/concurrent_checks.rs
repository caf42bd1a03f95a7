//! `check` called from several threads at once in one process (an embedding, a test harness),
//! with the built-in catalog not built yet. Its own test binary, so that the catalog is cold.

use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn concurrent_checks_with_a_cold_catalog_all_finish() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (done, finished) = mpsc::channel();
    let threads = 8;
    for _ in 0..threads {
        let done = done.clone();
        let dir = root.join("examples/contoso");
        std::thread::spawn(move || {
            let outcome = baselint::check(&baselint::Options {
                paths: vec![dir],
                ..baselint::Options::default()
            });
            done.send(outcome.findings.len()).unwrap();
        });
    }
    // A deadlock shows as a timeout, not as a hung test run.
    let counts: Vec<usize> = (0..threads)
        .map(|_| {
            finished
                .recv_timeout(Duration::from_secs(60))
                .expect("every check finishes (no deadlock)")
        })
        .collect();
    assert!(counts[0] > 0);
    assert!(counts.iter().all(|&n| n == counts[0]), "{counts:?}");
}
