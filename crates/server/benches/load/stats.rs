//! Percentiles and the `BENCH key=value` lines scripts/bench.sh reads.

use std::time::Duration;

/// p50, p99 and max of a set of durations, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct Percentiles {
    pub p50: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    pub fn of(times: impl Iterator<Item = Duration>) -> Self {
        let mut sorted: Vec<Duration> = times.collect();
        sorted.sort();
        if sorted.is_empty() {
            return Percentiles {
                p50: f64::NAN,
                p99: f64::NAN,
                max: f64::NAN,
            };
        }
        let at = |percent: usize| sorted[(sorted.len() - 1) * percent / 100].as_secs_f64() * 1e3;
        Percentiles {
            p50: at(50),
            p99: at(99),
            max: at(100),
        }
    }
}

/// One figure for the summary table.
pub fn report(key: &str, value: f64) {
    println!("BENCH {key}={value:.3}");
}
