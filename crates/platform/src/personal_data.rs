//! Residents' and workers' personal data: what a valid phone or ID number
//! looks like, who may see it unmasked, and what everyone else sees —
//! enough to recognise, not enough to reach.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::{
    ApiError, Fields,
    auth::Claims,
    fields::NAME_MAX,
    page::{Page, PageTokens, Paged},
    permissions::{self, Permission},
    sealing::Sealer,
};

/// One unmasked read, as a service's append-only `personal_data_reads`
/// table records it (`record_id`: the complaint or case read).
#[derive(Debug, Clone)]
pub struct Read {
    pub at: DateTime<Utc>,
    pub reader: String,
    pub department: String,
    pub record_id: Uuid,
    pub fields: Vec<String>,
    pub purpose: String,
}

impl Read {
    /// `caller` read of `record_id` the `fields` (name, whether it held a
    /// value) that held a value.
    pub fn by(caller: &Claims, record_id: Uuid, fields: &[(&str, bool)], purpose: String, at: DateTime<Utc>) -> Self {
        Self {
            at,
            reader: caller.sub.clone(),
            department: caller.department.clone(),
            record_id,
            fields: fields.iter().filter(|(_, held)| *held).map(|(k, _)| k.to_string()).collect(),
            purpose,
        }
    }

    /// Records the read; the data goes out only once this row is in.
    pub async fn record(&self, pool: &PgPool) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO personal_data_reads (at, reader, department, record_id, fields, purpose)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(self.at)
        .bind(&self.reader)
        .bind(&self.department)
        .bind(self.record_id)
        .bind(&self.fields)
        .bind(&self.purpose)
        .execute(pool)
        .await?;
        Ok(())
    }

    /// Recorded reads, newest first, each with its place in the log.
    pub async fn list(pool: &PgPool, filter: &ReadsFilter) -> Result<Vec<(i64, Self)>, sqlx::Error> {
        type Stored = (i64, DateTime<Utc>, String, String, Uuid, Vec<String>, String);
        let rows: Vec<Stored> = sqlx::query_as(
            "SELECT seq, at, reader, department, record_id, fields, purpose FROM personal_data_reads
             WHERE ($1::uuid IS NULL OR record_id = $1) AND ($2::text IS NULL OR reader = $2)
               AND ($4::bigint IS NULL OR seq < $4)
             ORDER BY seq DESC LIMIT $3",
        )
        .bind(filter.record_id)
        .bind(&filter.reader)
        .bind(filter.limit)
        .bind(filter.after)
        .fetch_all(pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(seq, at, reader, department, record_id, fields, purpose)| {
                (seq, Self { at, reader, department, record_id, fields, purpose })
            })
            .collect())
    }
}

/// What an auditor asks of the log: the reads of one record, of one
/// reader, or all, newest first, a page at a time.
#[derive(Debug, Clone)]
pub struct ReadsFilter {
    pub record_id: Option<Uuid>,
    pub reader: Option<String>,
    pub limit: i64,
    /// Only reads older than this place in the log.
    pub after: Option<i64>,
}

impl ReadsFilter {
    /// The filter and page a `ListPersonalDataReads` request asks for;
    /// `record_field` is its name for the record id (`complaint_id`,
    /// `case_id`).
    pub fn parse(
        pages: &PageTokens,
        request: &impl Paged,
        record_field: &str,
        record_id: &str,
        reader: &str,
    ) -> Result<(Self, Page<i64>), ApiError> {
        let mut f = Fields::new();
        let page = pages.page(&mut f, request);
        let filter = Self {
            record_id: f.optional_id(record_field, record_id),
            reader: f.optional_text("reader", reader, NAME_MAX),
            limit: page.fetch(),
            after: page.after,
        };
        f.finish()?;
        Ok((filter, page))
    }
}

/// Seals what `table` still holds in plaintext in `columns` (written before
/// keys were configured): each value goes to `<column>_sealed` and the
/// plaintext is cleared. Returns how many rows it sealed.
pub async fn seal_plaintext(
    pool: &PgPool,
    sealer: &Sealer,
    table: &'static str,
    columns: &[&'static str],
) -> Result<usize, sqlx::Error> {
    let any = columns.iter().map(|c| format!("{c} IS NOT NULL")).collect::<Vec<_>>().join(" OR ");
    let select = format!("SELECT ctid::text, {} FROM {table} WHERE {any} LIMIT 500 FOR UPDATE", columns.join(", "));
    let sets = columns
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = NULL, {c}_sealed = COALESCE(${}, {c}_sealed)", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    let update = format!("UPDATE {table} SET {sets} WHERE ctid = $1::tid");
    let mut sealed = 0;
    loop {
        let mut tx = pool.begin().await?;
        let rows = sqlx::query(&select).fetch_all(&mut *tx).await?;
        if rows.is_empty() {
            return Ok(sealed);
        }
        for row in &rows {
            let mut query = sqlx::query(&update).bind(row.try_get::<String, _>(0)?);
            for i in 0..columns.len() {
                query = query.bind(row.try_get::<Option<String>, _>(i + 1)?.map(|v| sealer.seal(&v)));
            }
            query.execute(&mut *tx).await?;
            sealed += 1;
        }
        tx.commit().await?;
    }
}

/// Re-seals under the current key what `table` holds sealed under a
/// retired key (one still configured, no longer `personal_data.current`),
/// 500 rows per transaction, so that the retired key can be removed once
/// this has run. A value that does not open is left as it is (it is
/// answered as unreadable). Returns how many rows it re-sealed.
pub async fn reseal_retired(
    pool: &PgPool,
    sealer: &Sealer,
    table: &'static str,
    columns: &[&'static str],
) -> Result<usize, sqlx::Error> {
    let retired: Vec<Vec<u8>> = sealer.retired_keys().into_iter().map(String::into_bytes).collect();
    if retired.is_empty() {
        return Ok(0);
    }
    // A sealed value starts with its key id's length and the key id.
    let under_retired = columns
        .iter()
        .map(|c| format!("substring({c}_sealed from 2 for get_byte({c}_sealed, 0)) = ANY($1)"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let sealed: Vec<String> = columns.iter().map(|c| format!("{c}_sealed")).collect();
    let select = format!(
        "SELECT ctid::text, {} FROM {table} WHERE ({under_retired}) AND ctid > $2::tid
         ORDER BY ctid LIMIT 500 FOR UPDATE SKIP LOCKED",
        sealed.join(", ")
    );
    let sets = sealed.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 2)).collect::<Vec<_>>().join(", ");
    let update = format!("UPDATE {table} SET {sets} WHERE ctid = $1::tid");
    let (mut resealed, mut after) = (0, "(0,0)".to_string());
    loop {
        let mut tx = pool.begin().await?;
        let rows = sqlx::query(&select).bind(&retired).bind(&after).fetch_all(&mut *tx).await?;
        let Some(last) = rows.last() else { return Ok(resealed) };
        after = last.try_get::<String, _>(0)?;
        for row in &rows {
            let mut query = sqlx::query(&update).bind(row.try_get::<String, _>(0)?);
            for i in 0..columns.len() {
                let value: Option<Vec<u8>> = row.try_get(i + 1)?;
                let again = value.map(|v| sealer.open(&v).map(|plain| sealer.seal(&plain)).unwrap_or(v));
                query = query.bind(again);
            }
            query.execute(&mut *tx).await?;
            resealed += 1;
        }
        tx.commit().await?;
    }
}

/// The caller entitled to personal data unmasked: authenticated, holding
/// the personal-data permission. `None` also while authentication is off,
/// so an open deployment never answers personal data unmasked.
pub fn entitled(extensions: &tonic::Extensions) -> Option<&Claims> {
    extensions.get::<Claims>().filter(|c| permissions::granted(&c.roles, Permission::PersonalData))
}

/// The read a listing of contacts under `record_id` makes when it answers
/// them unmasked: `Some` when the caller is entitled and states a
/// `purpose` (record it before answering, unless no field held a value),
/// `None` when the answer goes out masked.
pub fn unmasked_read(
    extensions: &tonic::Extensions,
    purpose: Option<String>,
    record_id: Uuid,
    fields: &[(&str, bool)],
    at: DateTime<Utc>,
) -> Option<Read> {
    let (caller, purpose) = entitled(extensions).zip(purpose)?;
    Some(Read::by(caller, record_id, fields, purpose, at))
}

/// A name and an optional phone as an answer shows them: as stored when
/// `unmasked`, else masked (an absent phone is empty either way).
pub fn shown_contact(name: String, phone: Option<String>, unmasked: bool) -> (String, String) {
    if unmasked {
        (name, phone.unwrap_or_default())
    } else {
        (mask_name(&name), phone.as_deref().map(mask_phone).unwrap_or_default())
    }
}

/// Digits with '+', '-' and spaces; 5 to 20 digits.
pub fn valid_phone(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    (5..=20).contains(&digits) && phone.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '))
}

/// A resident identity card number (GB 11643-1999): 17 digits and a check
/// character (a digit or `X`) computed from them modulo 11.
pub fn valid_id_number(id: &str) -> bool {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let bytes = id.as_bytes();
    if bytes.len() != 18 || !bytes[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = bytes[..17].iter().zip(WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
    bytes[17].to_ascii_uppercase() == CHECK[(sum % 11) as usize]
}

/// "440307199001011234" → "440***********1234": the first three and the
/// last four characters stay.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let n = chars.len();
    chars.iter().enumerate().map(|(i, c)| if i < 3.min(n) || i + 4 >= n.max(4) { *c } else { '*' }).collect()
}

/// "张三" → "张*", "欧阳娜娜" → "欧***": the first character stays.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// "13812345678" → "138****5678": the first three and the last four digits
/// stay; a shorter number keeps only its last two.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(|c| c.is_ascii_digit()).collect();
    let n = digits.len();
    let keep = |i: usize| if n >= 11 { i < 3 || i >= n - 4 } else { i + 2 >= n };
    digits.iter().enumerate().map(|(i, d)| if keep(i) { *d } else { '*' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_is_shown_masked_unless_unmasked() {
        let contact = || ("李四".to_string(), Some("13812345678".to_string()));
        let (name, phone) = contact();
        assert_eq!(shown_contact(name, phone, false), ("李*".into(), "138****5678".into()));
        let (name, phone) = contact();
        assert_eq!(shown_contact(name, phone, true), ("李四".into(), "13812345678".into()));
        assert_eq!(shown_contact("王五".into(), None, false), ("王*".into(), String::new()));
    }

    #[test]
    fn names_keep_their_first_character() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name("Li"), "L*");
        assert_eq!(mask_name(""), "");
    }

    #[test]
    fn id_numbers_are_checked_by_their_check_character() {
        assert!(valid_id_number("11010519491231002X"));
        assert!(valid_id_number("11010519491231002x"));
        assert!(valid_id_number("440307199001011232"));
        assert!(!valid_id_number("440307199001011237"), "wrong check digit");
        assert!(!valid_id_number("44030719900101123"), "17 characters");
        assert!(!valid_id_number("44030719900101123A"));
        assert!(!valid_id_number("4403071990010112٣7"));
    }

    #[test]
    fn id_numbers_keep_the_first_three_and_last_four_characters() {
        assert_eq!(mask_id_number("440307199001011232"), "440***********1232");
        assert_eq!(mask_id_number("1234"), "1234");
        assert_eq!(mask_id_number("12345678"), "123*5678");
    }

    #[test]
    fn phones_are_digits_with_separators() {
        assert!(valid_phone("+86 138-0013-8000"));
        assert!(!valid_phone("call me"));
        assert!(!valid_phone("1234"));
    }

    #[test]
    fn phones_keep_the_first_three_and_last_four_digits() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+86 138-1234-5678"), "861******5678");
        assert_eq!(mask_phone("12345"), "***45");
    }
}
