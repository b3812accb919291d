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
        Ok(sqlx::query_as("SELECT name, phone FROM complaint_residents WHERE complaint_id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
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
