//! Measuring helpers shared by the bench binaries.

use std::time::{Duration, Instant};

/// Median time per call of each case, the cases measured in turn within every sample so
/// that a slower or faster machine moment affects them alike.
pub(crate) fn measure(
    iterations: u32,
    samples: usize,
    cases: &mut [&mut dyn FnMut()],
) -> Vec<Duration> {
    let mut times = vec![Vec::with_capacity(samples); cases.len()];
    for sample in 0..=samples {
        for (case, run) in cases.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..iterations {
                run();
            }
            // The first round only warms up.
            if sample > 0 {
                times[case].push(start.elapsed() / iterations);
            }
        }
    }
    times
        .into_iter()
        .map(|mut case| {
            case.sort();
            case[case.len() / 2]
        })
        .collect()
}

/// One line of the table: time per operation and the ratio to the baseline.
#[allow(dead_code, reason = "the backends bench prints a table of its own")]
pub(crate) fn report(name: &str, time: Duration, baseline: Duration) {
    let ratio = time.as_secs_f64() / baseline.as_secs_f64();
    println!(
        "{name:<44} {:>9.0} ns/op   {ratio:>5.2}x baseline",
        time.as_nanos()
    );
}
