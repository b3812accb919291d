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

/// Year-over-year change in percent, to one decimal; `None` without a base.
pub fn change_percent(current: i64, previous: i64) -> Option<f64> {
    (previous > 0).then(|| ((current - previous) as f64 * 1000.0 / previous as f64).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

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
