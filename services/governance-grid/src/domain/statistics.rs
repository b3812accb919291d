//! Incident statistics: counts, the three rates (三率) and an honest on-time
//! rate, and the change against a year earlier.

/// What was counted over the incidents opened in a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub incidents: i64,
    pub rejected: i64,
    /// Accepted or rejected: someone answered.
    pub responded: i64,
    /// Closed (and possibly rated since).
    pub resolved: i64,
    pub rated: i64,
    /// Rated satisfied or basically satisfied.
    pub satisfied: i64,
    /// Closed by their deadline without ever having missed one.
    pub closed_on_time: i64,
    /// Not closed, not rejected, and past a deadline.
    pub open_past_deadline: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rates {
    pub response: Option<f64>,
    pub resolution: Option<f64>,
    pub satisfaction: Option<f64>,
    /// closed on time ÷ (closed + open past deadline).
    pub on_time: Option<f64>,
    /// closed on time ÷ closed.
    pub naive_on_time: Option<f64>,
}

fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

impl Counts {
    pub fn rates(&self) -> Rates {
        Rates {
            response: ratio(self.responded, self.incidents),
            resolution: ratio(self.resolved, self.incidents - self.rejected),
            satisfaction: ratio(self.satisfied, self.rated),
            on_time: ratio(self.closed_on_time, self.resolved + self.open_past_deadline),
            naive_on_time: ratio(self.closed_on_time, self.resolved),
        }
    }

    pub fn add(&mut self, o: &Counts) {
        self.incidents += o.incidents;
        self.rejected += o.rejected;
        self.responded += o.responded;
        self.resolved += o.resolved;
        self.rated += o.rated;
        self.satisfied += o.satisfied;
        self.closed_on_time += o.closed_on_time;
        self.open_past_deadline += o.open_past_deadline;
    }
}

/// Times to close as a histogram, so a median can be had from monthly
/// rollups (medians do not add up; bucket counts do). Buckets are an hour
/// wide for the first week, a day wide up to 60 days, and one for the rest;
/// the migration's `dualnet_close_bucket` computes the same buckets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseTimes(pub Vec<i64>);

/// Hours of the first week, in hour-wide buckets.
const HOURLY: usize = 168;
/// Day-wide buckets after that, up to 60 days.
const DAILY: usize = 53;
pub const BUCKETS: usize = HOURLY + DAILY + 1;

impl Default for CloseTimes {
    fn default() -> Self {
        Self(vec![0; BUCKETS])
    }
}

impl CloseTimes {
    /// The bucket of a time to close, in hours (as the SQL function).
    pub fn bucket(hours: f64) -> usize {
        if hours < HOURLY as f64 {
            hours.max(0.0).floor() as usize
        } else if hours < (HOURLY + 24 * DAILY) as f64 {
            HOURLY + ((hours - HOURLY as f64) / 24.0).floor() as usize
        } else {
            BUCKETS - 1
        }
    }

    /// `[from, to)` hours of a bucket; the last one is open-ended and is
    /// given a day's width for interpolation.
    fn bounds(b: usize) -> (f64, f64) {
        if b < HOURLY {
            (b as f64, b as f64 + 1.0)
        } else {
            let from = HOURLY as f64 + 24.0 * (b - HOURLY) as f64;
            (from, from + 24.0)
        }
    }

    pub fn add(&mut self, other: &CloseTimes) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a += b;
        }
    }

    pub fn record(&mut self, bucket: usize, n: i64) {
        if let Some(slot) = self.0.get_mut(bucket) {
            *slot += n;
        }
    }

    /// The median in hours, interpolated inside its bucket: exact to the
    /// hour within the first week, to the day up to 60 days.
    pub fn median(&self) -> Option<f64> {
        let n: i64 = self.0.iter().sum();
        if n <= 0 {
            return None;
        }
        let half = n as f64 / 2.0;
        let mut below = 0i64;
        for (b, &count) in self.0.iter().enumerate() {
            if count > 0 && (below + count) as f64 >= half {
                let (from, to) = Self::bounds(b);
                return Some(from + (to - from) * (half - below as f64) / count as f64);
            }
            below += count;
        }
        None
    }
}

/// Year-over-year change in percent, to one decimal; `None` without a base.
pub fn change_percent(current: i64, previous: i64) -> Option<f64> {
    (previous > 0).then(|| ((current - previous) as f64 * 1000.0 / previous as f64).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_times_fall_in_hour_then_day_buckets() {
        assert_eq!(CloseTimes::bucket(0.0), 0);
        assert_eq!(CloseTimes::bucket(-1.0), 0);
        assert_eq!(CloseTimes::bucket(2.5), 2);
        assert_eq!(CloseTimes::bucket(167.9), 167);
        assert_eq!(CloseTimes::bucket(168.0), 168);
        assert_eq!(CloseTimes::bucket(168.0 + 24.0 * 2.5), 170);
        assert_eq!(CloseTimes::bucket(24.0 * 60.0), BUCKETS - 1);
        assert_eq!(CloseTimes::bucket(1e9), BUCKETS - 1);
    }

    #[test]
    fn the_median_is_interpolated_inside_its_bucket() {
        let mut t = CloseTimes::default();
        assert_eq!(t.median(), None);
        // Four closed within hour 3, four within hour 10: half lies at the
        // end of hour 3.
        t.record(3, 4);
        t.record(10, 4);
        assert_eq!(t.median(), Some(4.0));
        // One more late one moves it into hour 10.
        t.record(CloseTimes::bucket(300.0), 1);
        assert_eq!(t.median(), Some(10.125));
        let mut sum = CloseTimes::default();
        sum.add(&t);
        sum.add(&t);
        assert_eq!(sum.median(), t.median(), "adding histograms keeps the median of equal halves");
    }

    #[test]
    fn the_seed_year_over_year_figure_is_minus_five_point_seven_percent() {
        assert_eq!(change_percent(3254, 3452), Some(-5.7));
        assert_eq!(change_percent(10, 0), None);
        assert_eq!(change_percent(11, 10), Some(10.0));
    }

    #[test]
    fn late_incidents_still_open_pull_the_honest_on_time_rate_down() {
        let c = Counts { incidents: 4, resolved: 2, closed_on_time: 1, open_past_deadline: 1, ..Default::default() };
        let r = c.rates();
        assert_eq!(r.naive_on_time, Some(0.5));
        assert_eq!(r.on_time, Some(1.0 / 3.0));
    }

    #[test]
    fn rejected_incidents_do_not_count_against_resolution_and_empty_rates_are_absent() {
        let c = Counts { incidents: 4, rejected: 1, responded: 4, resolved: 3, ..Default::default() };
        assert_eq!(c.rates().resolution, Some(1.0));
        assert_eq!(c.rates().response, Some(1.0));
        assert_eq!(c.rates().satisfaction, None);
    }
}
