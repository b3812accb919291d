//! The local monthly minimum wage, by city and the day each figure took
//! effect: the yardstick of a final award (LDMAL Art. 47, twelve months of
//! it). A dated table, because a case is judged by the figure in force on
//! the day of its award, not the one in force when the service started.
//! The shipped table is `data/minimum-wage-cn.toml`; operators replace it
//! with `arbitration.minimum_wage_file`.

use std::path::Path;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use serde::Deserialize;

/// The table shipped with dualnet.
pub const SHIPPED: &str = include_str!("../data/minimum-wage-cn.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    city: Vec<City>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct City {
    name: String,
    rates: Vec<Rate>,
}

#[derive(Deserialize, Debug, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct Rate {
    from: NaiveDate,
    monthly_yuan: u32,
}

/// One city's figures, oldest first.
#[derive(Debug, Clone)]
pub struct MinimumWage {
    city: String,
    rates: Vec<(NaiveDate, i64)>,
}

impl MinimumWage {
    /// `city`'s figures from a table in the format of the shipped one: each
    /// rate positive, dates strictly increasing.
    pub fn parse(text: &str, city: &str) -> anyhow::Result<Self> {
        let file: File = toml::from_str(text).context("parsing the minimum-wage table")?;
        let found = file.city.into_iter().find(|c| c.name == city);
        let Some(found) = found else { bail!("the minimum-wage table has no city {city:?}") };
        if found.rates.is_empty() {
            bail!("the minimum-wage table gives {city} no rate");
        }
        let mut rates = Vec::with_capacity(found.rates.len());
        for r in found.rates {
            if r.monthly_yuan == 0 {
                bail!("{city}: the rate from {} is zero", r.from);
            }
            if rates.last().is_some_and(|(d, _)| *d >= r.from) {
                bail!("{city}: the rates must be listed by increasing date ({})", r.from);
            }
            rates.push((r.from, i64::from(r.monthly_yuan) * 100));
        }
        Ok(Self { city: found.name, rates })
    }

    /// The operator's table when one is configured, else the shipped one.
    pub fn load(file: Option<&Path>, city: &str) -> anyhow::Result<Self> {
        match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
                Self::parse(&text, city).with_context(|| format!("in {}", path.display()))
            }
            None => Self::parse(SHIPPED, city),
        }
    }

    pub fn city(&self) -> &str {
        &self.city
    }

    /// The monthly figure in force on `day`, in fen; before the first rate
    /// the first one (the table holds no older figure).
    pub fn on(&self, day: NaiveDate) -> i64 {
        self.rates.iter().rev().find(|(from, _)| *from <= day).or(self.rates.first()).map_or(0, |(_, fen)| *fen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn shenzhen_pays_2360_until_february_2025_and_2520_from_march() {
        let sz = MinimumWage::load(None, "Shenzhen").unwrap();
        assert_eq!(sz.on(day(2022, 7, 1)), 236_000);
        assert_eq!(sz.on(day(2025, 2, 28)), 236_000);
        assert_eq!(sz.on(day(2025, 3, 1)), 252_000, "the 2025 Guangdong notice");
        assert_eq!(sz.on(day(2026, 12, 1)), 252_000);
    }

    #[test]
    fn a_table_without_the_city_or_out_of_order_is_refused() {
        assert!(MinimumWage::parse(SHIPPED, "Atlantis").unwrap_err().to_string().contains("Atlantis"));
        let backwards = "[[city]]\nname = \"X\"\nrates = [{ from = \"2025-03-01\", monthly_yuan = 2 }, \
                         { from = \"2021-12-01\", monthly_yuan = 1 }]\n";
        assert!(MinimumWage::parse(backwards, "X").is_err());
    }
}
