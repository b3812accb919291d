//! The map's import and export format: one row per entry, in CSV (header
//! `kind,code,parent_code,name,address`) or as a JSON array of objects with
//! the same keys. Rows name their parent by code — an entry earlier or later
//! in the file, or one already on the map. Problems are reported per row as
//! `rows[i].field` (i counts data rows from 0; in CSV, row i is line i + 2).

use std::collections::{HashMap, HashSet};

use dualnet_platform::Named;
use serde::{Deserialize, Serialize};

/// Most rows one import may carry.
pub const MAX_ROWS: usize = 100_000;

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Kind {
    Subdistrict,
    Community,
    Grid,
    Building,
    Enterprise,
}

impl Kind {
    /// The kind of entry this one lies in.
    pub fn parent(self) -> Option<Kind> {
        match self {
            Kind::Subdistrict => None,
            Kind::Community => Some(Kind::Subdistrict),
            Kind::Grid => Some(Kind::Community),
            Kind::Building | Kind::Enterprise => Some(Kind::Grid),
        }
    }
}

/// A row as written in the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRow {
    pub kind: String,
    pub code: String,
    #[serde(default)]
    pub parent_code: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
}

/// A row that passed the shape checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub index: usize,
    pub kind: Kind,
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub address: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn at(index: usize, field: &str, message: impl Into<String>) -> Self {
        Self { field: format!("rows[{index}].{field}"), message: message.into() }
    }

    fn content(message: impl Into<String>) -> Self {
        Self { field: "content".into(), message: message.into() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
}

pub fn parse(format: Format, content: &[u8]) -> Result<Vec<RawRow>, Problem> {
    let rows = match format {
        Format::Json => serde_json::from_slice::<Vec<RawRow>>(content).map_err(|e| Problem::content(e.to_string()))?,
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(content);
            let mut rows = Vec::new();
            for (i, r) in reader.deserialize::<RawRow>().enumerate() {
                rows.push(r.map_err(|e| Problem::content(format!("rows[{i}]: {e}")))?);
                if rows.len() > MAX_ROWS {
                    break;
                }
            }
            rows
        }
    };
    if rows.is_empty() {
        return Err(Problem::content("no rows"));
    }
    if rows.len() > MAX_ROWS {
        return Err(Problem::content(format!("at most {MAX_ROWS} rows per import")));
    }
    Ok(rows)
}

/// The rows of a file after the checks that need no map.
#[derive(Debug, Default)]
pub struct Checked {
    /// Rows without a problem, parents first.
    pub rows: Vec<Row>,
    pub problems: Vec<Problem>,
    /// Every kind and code the file names, good rows or bad, so that a
    /// child of a bad row is not reported a second time.
    pub named: HashSet<(Kind, String)>,
}

/// Checks each row on its own and against the others in the file: known
/// kind, code and name present and not too long, a parent for every kind
/// but subdistrict, no code twice for one kind.
pub fn check(raw: Vec<RawRow>, name_max: usize, text_max: usize) -> Checked {
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut named = HashSet::new();
    let mut seen: HashMap<(Kind, String), usize> = HashMap::new();
    for (index, r) in raw.into_iter().enumerate() {
        let before = problems.len();
        let mut bad = |field: &str, message: String| problems.push(Problem::at(index, field, message));
        let kind = Kind::parse(r.kind.trim());
        if kind.is_none() {
            bad(
                "kind",
                format!("must be one of {}", Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")),
            );
        }
        for (field, value, max) in
            [("code", &r.code, name_max), ("name", &r.name, name_max), ("address", &r.address, text_max)]
        {
            if field != "address" && value.trim().is_empty() {
                bad(field, "must not be empty".into());
            } else if value.trim().chars().count() > max {
                bad(field, format!("must be at most {max} characters"));
            }
        }
        let parent_code = Some(r.parent_code.trim().to_string()).filter(|p| !p.is_empty());
        let Some(kind) = kind else { continue };
        match (kind.parent(), &parent_code) {
            (Some(p), None) => bad("parent_code", format!("a {} needs the code of its {}", kind.as_str(), p.as_str())),
            (None, Some(_)) => bad("parent_code", "a subdistrict has no parent".into()),
            _ => {}
        }
        if kind != Kind::Building && !r.address.trim().is_empty() {
            bad("address", "only buildings have an address".into());
        }
        let code = r.code.trim().to_string();
        named.insert((kind, code.clone()));
        if let Some(first) = seen.get(&(kind, code.clone())) {
            bad("code", format!("{} {code} appears twice (first at rows[{first}])", kind.as_str()));
        }
        seen.entry((kind, code.clone())).or_insert(index);
        if problems.len() > before {
            continue;
        }
        rows.push(Row {
            index,
            kind,
            code,
            parent_code,
            name: r.name.trim().to_string(),
            address: r.address.trim().to_string(),
        });
    }
    rows.sort_by_key(|r| (depth(r.kind), r.index));
    Checked { rows, problems, named }
}

fn depth(kind: Kind) -> usize {
    let mut d = 0;
    let mut k = kind;
    while let Some(p) = k.parent() {
        d += 1;
        k = p;
    }
    d
}

pub fn write(format: Format, rows: &[RawRow]) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        Format::Json => serde_json::to_vec_pretty(rows)?,
        Format::Csv => {
            let mut w = csv::Writer::from_writer(Vec::new());
            for r in rows {
                w.serialize(r)?;
            }
            w.into_inner()?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CSV: &str = "kind,code,parent_code,name,address
building,B1,G1,1栋,坂田街道五和大道1号
grid,G1,C1,五和一网格,
community,C1,SD,五和社区,
subdistrict,SD,,坂田街道,
";

    #[test]
    fn csv_rows_come_back_parents_first() {
        let checked = check(parse(Format::Csv, CSV.as_bytes()).unwrap(), 200, 4000);
        assert!(checked.problems.is_empty());
        let rows = checked.rows;
        let kinds: Vec<_> = rows.iter().map(|r| r.kind).collect();
        assert_eq!(kinds, [Kind::Subdistrict, Kind::Community, Kind::Grid, Kind::Building]);
        assert_eq!(rows[3].address, "坂田街道五和大道1号");
        assert_eq!(rows[3].index, 0);
    }

    #[test]
    fn every_bad_row_is_reported_with_its_field() {
        let json = r#"[
            {"kind": "grid", "code": "G1", "name": "no parent"},
            {"kind": "castle", "code": "X", "name": "x"},
            {"kind": "subdistrict", "code": "SD", "parent_code": "P", "name": ""},
            {"kind": "grid", "code": "G1", "parent_code": "C1", "name": "again"}
        ]"#;
        let checked = check(parse(Format::Json, json.as_bytes()).unwrap(), 200, 4000);
        assert!(checked.rows.is_empty());
        let problems = checked.problems;
        let fields: Vec<_> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(
            fields,
            ["rows[0].parent_code", "rows[1].kind", "rows[2].name", "rows[2].parent_code", "rows[3].code"]
        );
    }

    #[test]
    fn unknown_columns_and_empty_files_are_refused() {
        assert!(parse(Format::Json, br#"[{"kind":"grid","code":"G","name":"n","colour":"red"}]"#).is_err());
        assert!(parse(Format::Csv, b"kind,code,parent_code,name,address\n").is_err());
    }

    #[test]
    fn written_rows_read_back_the_same() {
        let raw = parse(Format::Csv, CSV.as_bytes()).unwrap();
        for format in [Format::Csv, Format::Json] {
            let bytes = write(format, &raw).unwrap();
            assert_eq!(parse(format, &bytes).unwrap(), raw);
        }
    }
}
