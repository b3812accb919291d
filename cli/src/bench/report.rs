//! Percentiles, the table and the JSON document of a benchmark run.

use std::time::Duration;

use serde_json::{Value, json};

/// Latency percentiles of one measured step, in milliseconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
    pub n: usize,
}

impl Latency {
    /// Nearest-rank percentiles; all zero for no samples.
    pub fn of(mut samples: Vec<Duration>) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let at = |q: f64| ms(samples[((samples.len() as f64 * q).ceil() as usize).clamp(1, samples.len()) - 1]);
        Self { p50: at(0.50), p90: at(0.90), p99: at(0.99), max: ms(samples[samples.len() - 1]), n: samples.len() }
    }

    /// `k1 × self + k2 × other`, percentile by percentile: the floor of a
    /// path made of `k1` steps like `self` and `k2` like `other`.
    pub fn combine(self, k1: f64, other: Self, k2: f64) -> Self {
        Self {
            p50: k1 * self.p50 + k2 * other.p50,
            p90: k1 * self.p90 + k2 * other.p90,
            p99: k1 * self.p99 + k2 * other.p99,
            max: k1 * self.max + k2 * other.max,
            n: self.n.min(other.n),
        }
    }

    /// Percentile by percentile ratio to `floor`.
    pub fn over(self, floor: Self) -> [f64; 4] {
        let r = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        [r(self.p50, floor.p50), r(self.p90, floor.p90), r(self.p99, floor.p99), r(self.max, floor.max)]
    }

    pub fn json(&self) -> Value {
        json!({"p50_ms": round(self.p50), "p90_ms": round(self.p90), "p99_ms": round(self.p99),
               "max_ms": round(self.max), "n": self.n})
    }

    pub fn row(&self, name: &str) -> String {
        format!("{name:<38} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>7}", self.p50, self.p90, self.p99, self.max, self.n)
    }
}

pub fn header(unit: &str) -> String {
    format!("{unit:<38} {:>9} {:>9} {:>9} {:>9} {:>7}", "p50", "p90", "p99", "max", "n")
}

/// Writes `doc` to `path` (`-`: stdout). True when it went to stdout, so
/// the table is left out.
#[allow(clippy::print_stdout)]
pub fn write_json(path: &str, doc: &Value) -> anyhow::Result<bool> {
    use anyhow::Context;
    let text = serde_json::to_string_pretty(doc)?;
    if path == "-" {
        println!("{text}");
        return Ok(true);
    }
    std::fs::write(path, text + "\n").with_context(|| format!("writing {path}"))?;
    Ok(false)
}

/// Three decimals are plenty for milliseconds and ratios.
pub fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let l = Latency::of((1..=100).map(Duration::from_millis).collect());
        assert_eq!((l.p50, l.p90, l.p99, l.max, l.n), (50.0, 90.0, 99.0, 100.0, 100));
        let one = Latency::of(vec![Duration::from_millis(7)]);
        assert_eq!((one.p50, one.p99, one.max), (7.0, 7.0, 7.0));
        assert_eq!(Latency::of(Vec::new()).n, 0);
    }

    #[test]
    fn a_floor_combines_steps_percentile_by_percentile() {
        let hop = Latency { p50: 10.0, p90: 20.0, p99: 30.0, max: 40.0, n: 5 };
        let commit = Latency { p50: 1.0, p90: 2.0, p99: 3.0, max: 4.0, n: 9 };
        let floor = hop.combine(3.0, commit, 2.0);
        assert_eq!((floor.p50, floor.p99, floor.n), (32.0, 96.0, 5));
        let path = Latency { p50: 64.0, p90: 66.0, p99: 96.0, max: 1.0, n: 1 };
        assert_eq!(path.over(floor)[0], 2.0);
        assert_eq!(path.over(floor)[2], 1.0);
    }
}
