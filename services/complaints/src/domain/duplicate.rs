//! Duplicates: requests of the same category at the same building, or
//! within a short distance, filed within a window. Suggested at filing;
//! merged on request, after which the duplicate follows the other's
//! incident and its reporter still gets the reply and the rating request.

/// How far back a duplicate is looked for, in days.
pub const WINDOW_DAYS: i64 = 7;
/// Requests filed by coordinates this close are the same place.
pub const RADIUS_METRES: f64 = 100.0;
