//! Residents' contacts and the append-only log of their unmasked reads.

use chrono::{DateTime, Utc};
use dualnet_platform::ApiError;
use uuid::Uuid;

use super::Store;

/// One recorded read.
#[derive(Debug, Clone)]
pub struct Read {
    pub at: DateTime<Utc>,
    pub reader: String,
    pub department: String,
    pub complaint_id: Uuid,
    pub fields: Vec<String>,
    pub purpose: String,
}

impl Store {
    /// The resident's name and phone, when the request has a contact.
    pub async fn resident(&self, id: Uuid) -> Result<Option<(Option<String>, Option<String>)>, ApiError> {
        type Row = (Option<String>, Option<String>, Option<Vec<u8>>, Option<Vec<u8>>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT name, phone, name_sealed, phone_sealed FROM complaint_residents WHERE complaint_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((name, phone, name_sealed, phone_sealed)) = row else { return Ok(None) };
        Ok(Some((self.unseal(name, name_sealed)?, self.unseal(phone, phone_sealed)?)))
    }

    fn unseal(&self, plain: Option<String>, sealed: Option<Vec<u8>>) -> Result<Option<String>, ApiError> {
        match (sealed, &self.sealer) {
            (None, _) => Ok(plain),
            (Some(bytes), Some(s)) => s.open(&bytes).map(Some).map_err(|e| ApiError::Internal(e.into())),
            (Some(_), None) => {
                Err(ApiError::Internal(anyhow::anyhow!("a sealed contact, and no personal_data keys to open it")))
            }
        }
    }

    /// Seals contacts stored in plaintext (before keys were configured) and
    /// clears the plaintext. Returns how many rows it sealed.
    pub async fn seal_plaintext_residents(&self) -> Result<usize, ApiError> {
        let Some(sealer) = &self.sealer else { return Ok(0) };
        let mut sealed = 0;
        loop {
            type Row = (Uuid, Option<String>, Option<String>, Option<String>);
            let rows: Vec<Row> = sqlx::query_as(
                "SELECT complaint_id, name, phone, email FROM complaint_residents
                 WHERE name IS NOT NULL OR phone IS NOT NULL OR email IS NOT NULL LIMIT 500",
            )
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                return Ok(sealed);
            }
            let mut tx = self.pool.begin().await?;
            for (id, name, phone, email) in rows {
                let seal = |v: Option<String>| v.map(|v| sealer.seal(&v));
                sqlx::query(
                    "UPDATE complaint_residents SET name = NULL, phone = NULL, email = NULL,
                         name_sealed = COALESCE($2, name_sealed), phone_sealed = COALESCE($3, phone_sealed),
                         email_sealed = COALESCE($4, email_sealed)
                     WHERE complaint_id = $1",
                )
                .bind(id)
                .bind(seal(name))
                .bind(seal(phone))
                .bind(seal(email))
                .execute(&mut *tx)
                .await?;
                sealed += 1;
            }
            tx.commit().await?;
        }
    }

    /// Records an unmasked read; the data goes out only once this row is in.
    pub async fn record_read(&self, read: &Read) -> Result<(), ApiError> {
        sqlx::query(
            "INSERT INTO personal_data_reads (at, reader, department, complaint_id, fields, purpose)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(read.at)
        .bind(&read.reader)
        .bind(&read.department)
        .bind(read.complaint_id)
        .bind(&read.fields)
        .bind(&read.purpose)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Recorded reads, newest first.
    pub async fn reads(
        &self,
        complaint_id: Option<Uuid>,
        reader: Option<&str>,
        limit: i64,
    ) -> Result<Vec<Read>, ApiError> {
        type Row = (DateTime<Utc>, String, String, Uuid, Vec<String>, String);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT at, reader, department, complaint_id, fields, purpose FROM personal_data_reads
             WHERE ($1::uuid IS NULL OR complaint_id = $1) AND ($2::text IS NULL OR reader = $2)
             ORDER BY seq DESC LIMIT $3",
        )
        .bind(complaint_id)
        .bind(reader)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(at, reader, department, complaint_id, fields, purpose)| Read {
                at,
                reader,
                department,
                complaint_id,
                fields,
                purpose,
            })
            .collect())
    }
}
