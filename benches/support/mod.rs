//! Measuring helpers shared by the bench binaries.

use std::time::{Duration, Instant};

/// Median time per call of each case, the cases measured in turn within every sample so
/// that a slower or faster machine moment affects them alike.
pub(crate) fn measure(
    iterations: u32,
    samples: usize,
    cases: &mut [&mut dyn FnMut()],
) -> Vec<Duration> {
    measure_samples(iterations, samples, cases)
        .iter()
        .map(|case| median(case))
        .collect()
}

/// The time per call of each case in every sample (the first round, a warm-up, left out).
pub(crate) fn measure_samples(
    iterations: u32,
    samples: usize,
    cases: &mut [&mut dyn FnMut()],
) -> Vec<Vec<Duration>> {
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
}

/// The median of some times.
pub(crate) fn median(times: &[Duration]) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

/// The median over the samples of `case / baseline` within each sample: two cases measured
/// one after the other share the machine's moment, so a slow moment cancels out.
#[allow(dead_code, reason = "used by the load bench only")]
pub(crate) fn median_ratio(case: &[Duration], baseline: &[Duration]) -> f64 {
    let mut ratios: Vec<f64> = case
        .iter()
        .zip(baseline)
        .map(|(c, b)| c.as_secs_f64() / b.as_secs_f64())
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[ratios.len() / 2]
}

/// One line of the table: time per operation and the ratio to the baseline.
#[allow(dead_code, reason = "the backends bench prints a table of its own")]
pub(crate) fn report(name: &str, time: Duration, baseline: Duration) {
    report_ratio(name, time, time.as_secs_f64() / baseline.as_secs_f64());
}

/// One line of the table with the ratio given (a median of per-sample ratios).
#[allow(dead_code, reason = "the backends bench prints a table of its own")]
pub(crate) fn report_ratio(name: &str, time: Duration, ratio: f64) {
    println!(
        "{name:<44} {:>9.0} ns/op   {ratio:>5.2}x baseline",
        time.as_nanos()
    );
}
