//! Field-by-field validation at the API edge: every problem of a request is
//! collected and answered at once as `InvalidArgument` with field violations.

use uuid::Uuid;

use crate::ApiError;

/// Longest free text accepted in a name-like field.
pub const NAME_MAX: usize = 200;
/// Longest free text accepted in a description-like field.
pub const TEXT_MAX: usize = 4000;

/// Text another service's event carries, made fit for a record of this
/// one: control characters (but tab and newline) dropped, at most `max`
/// characters. The event was checked at its producer's edge; this one does
/// not trust that it was.
pub fn clean(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control() || matches!(c, '\t' | '\n')).take(max).collect()
}

#[derive(Debug, Default)]
pub struct Fields {
    violations: Vec<(String, String)>,
}

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn violation(&mut self, field: &str, description: impl Into<String>) {
        self.violations.push((field.to_string(), description.into()));
    }

    /// A required text: trimmed, not empty, at most `max` characters, and
    /// without control characters — NUL, which PostgreSQL text cannot hold,
    /// and the others (escape sequences, bells) that would reach a screen or a
    /// log as they are. Tab, newline and carriage return are text.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.violation(field, "must not be empty");
        } else if let Some(c) = v.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
            self.violation(
                field,
                format!("must not contain control characters (U+{:04X}); tab and newline are allowed", u32::from(c)),
            );
        } else if v.chars().count() > max {
            self.violation(field, format!("must be at most {max} characters"));
        }
        v.to_string()
    }

    /// An optional text: empty means absent.
    pub fn optional_text(&mut self, field: &str, value: &str, max: usize) -> Option<String> {
        let v = value.trim();
        if v.is_empty() {
            return None;
        }
        Some(self.text(field, v, max))
    }

    /// A required id.
    pub fn id(&mut self, field: &str, value: &str) -> Uuid {
        if value.trim().is_empty() {
            self.violation(field, "must not be empty");
            return Uuid::nil();
        }
        self.optional_id(field, value).unwrap_or_default()
    }

    /// An optional id: empty means absent.
    pub fn optional_id(&mut self, field: &str, value: &str) -> Option<Uuid> {
        let v = value.trim();
        if v.is_empty() {
            return None;
        }
        match Uuid::parse_str(v) {
            Ok(id) => Some(id),
            Err(_) => {
                self.violation(field, "must be a UUID");
                None
            }
        }
    }

    /// A required protobuf enum: known and not `*_UNSPECIFIED` (0).
    pub fn enumeration<E: TryFrom<i32>>(&mut self, field: &str, value: i32) -> Option<E> {
        if value == 0 {
            self.violation(field, "must be specified");
            return None;
        }
        match E::try_from(value) {
            Ok(e) => Some(e),
            Err(_) => {
                self.violation(field, format!("unknown value {value}"));
                None
            }
        }
    }

    /// An optional timestamp: absent stays absent, out of range is refused.
    /// An optional enumeration: 0 (its `UNSPECIFIED`) means absent.
    pub fn optional_enumeration<E: TryFrom<i32>>(&mut self, field: &str, value: i32) -> Option<E> {
        if value == 0 { None } else { self.enumeration(field, value) }
    }

    pub fn timestamp(
        &mut self,
        field: &str,
        value: Option<&prost_types::Timestamp>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        let t = value?;
        let parsed = crate::timestamp::from_proto(t);
        if parsed.is_none() {
            self.violation(field, "is not a valid timestamp");
        }
        parsed
    }

    /// An optional calendar date, `YYYY-MM-DD`: empty means absent.
    pub fn optional_date(&mut self, field: &str, value: &str) -> Option<chrono::NaiveDate> {
        let v = value.trim();
        if v.is_empty() {
            return None;
        }
        match chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.violation(field, "must be a date, YYYY-MM-DD");
                None
            }
        }
    }

    /// Optional WGS 84 coordinates: both or neither, each in range.
    pub fn coordinates(&mut self, latitude: Option<f64>, longitude: Option<f64>) -> Option<(f64, f64)> {
        match (latitude, longitude) {
            (None, None) => None,
            (Some(lat), Some(lon)) => {
                let mut ok = true;
                if !(-90.0..=90.0).contains(&lat) {
                    self.violation("latitude", "must be between -90 and 90");
                    ok = false;
                }
                if !(-180.0..=180.0).contains(&lon) {
                    self.violation("longitude", "must be between -180 and 180");
                    ok = false;
                }
                ok.then_some((lat, lon))
            }
            (Some(_), None) => {
                self.violation("longitude", "give both coordinates");
                None
            }
            (None, Some(_)) => {
                self.violation("latitude", "give both coordinates");
                None
            }
        }
    }

    /// A count in `min..=max`.
    pub fn count(&mut self, field: &str, value: i32, min: u32, max: u32) -> u32 {
        match u32::try_from(value) {
            Ok(v) if (min..=max).contains(&v) => v,
            _ => {
                self.violation(field, format!("must be between {min} and {max}"));
                min
            }
        }
    }

    /// A page size: 0 means `default`, otherwise 1..=`max`.
    pub fn page_size(&mut self, field: &str, value: i32, default: i64, max: i64) -> i64 {
        match value {
            0 => default,
            v if v < 0 || i64::from(v) > max => {
                self.violation(field, format!("must be between 1 and {max}"));
                default
            }
            v => i64::from(v),
        }
    }

    pub fn finish(self) -> Result<(), ApiError> {
        if self.violations.is_empty() { Ok(()) } else { Err(ApiError::InvalidArgument(self.violations)) }
    }
}

/// The proto3 text of an optional id: empty when absent (what
/// [`Fields::optional_id`] reads back as `None`).
pub fn id_text(id: Option<uuid::Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_another_service_is_capped_and_stripped_of_control_characters() {
        assert_eq!(clean("moving\u{1b}[2J to\tHuizhou\u{0}", 100), "moving[2J to\tHuizhou");
        assert_eq!(clean(&"很".repeat(5000), 4000).chars().count(), 4000);
    }

    fn violations(f: Fields) -> Vec<String> {
        match f.finish() {
            Err(ApiError::InvalidArgument(v)) => v.into_iter().map(|(f, _)| f).collect(),
            _ => vec![],
        }
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let mut f = Fields::new();
        f.text("name", "   ", NAME_MAX);
        f.id("grid_id", "nope");
        f.enumeration::<i8>("kind", 0);
        assert_eq!(violations(f), ["name", "grid_id", "kind"]);
    }

    #[test]
    fn good_fields_pass_trimmed() {
        let mut f = Fields::new();
        let name = f.text("name", "  象角塘 ", NAME_MAX);
        let id = Uuid::now_v7();
        assert_eq!(f.id("id", &id.to_string()), id);
        assert_eq!(name, "象角塘");
        assert!(f.finish().is_ok());
    }

    #[test]
    fn over_long_text_is_refused() {
        let mut f = Fields::new();
        f.text("name", &"x".repeat(NAME_MAX + 1), NAME_MAX);
        assert_eq!(violations(f), ["name"]);
    }

    #[test]
    fn text_with_a_nul_character_is_refused() {
        let mut f = Fields::new();
        f.text("name", "象角\0塘", NAME_MAX);
        f.optional_text("note", "\0", NAME_MAX);
        assert_eq!(violations(f), ["name", "note"]);
    }

    #[test]
    fn control_characters_are_refused_but_tab_and_newline_are_text() {
        let mut f = Fields::new();
        f.text("escape", "red\u{1b}[31m", NAME_MAX);
        f.text("bell", "a\u{7}", NAME_MAX);
        f.text("delete", "a\u{7f}b", NAME_MAX);
        f.text("c1", "a\u{85}b", NAME_MAX);
        f.text("free", "第一行\n第二行\tand\r\nthird", NAME_MAX);
        f.text("odd", "\u{202e}𠜎e\u{301}\u{200d}", NAME_MAX);
        assert_eq!(violations(f), ["escape", "bell", "delete", "c1"]);
    }
}
