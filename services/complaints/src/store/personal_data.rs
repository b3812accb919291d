//! Residents' contacts, sealed at rest, and the append-only log of their
//! unmasked reads.

use dualnet_platform::{
    ApiError,
    personal_data::{Read, ReadsFilter, reseal_retired, seal_plaintext},
    sealing::reveal_record,
};
use uuid::Uuid;

use super::Store;

impl Store {
    /// The resident's name and phone, when the request has a contact; why
    /// not, when the sealed contact cannot be opened.
    pub async fn resident(
        &self,
        id: Uuid,
    ) -> Result<Option<Result<(Option<String>, Option<String>), String>>, ApiError> {
        type Row = (Option<String>, Option<String>, Option<Vec<u8>>, Option<Vec<u8>>);
        let row: Option<Row> = sqlx::query_as(
            "SELECT name, phone, name_sealed, phone_sealed FROM complaint_residents WHERE complaint_id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some((name, phone, name_sealed, phone_sealed)) = row else { return Ok(None) };
        let opened = reveal_record(self.sealer.as_deref(), [(name, name_sealed), (phone, phone_sealed)]);
        if let Err(why) = &opened {
            tracing::error!(complaint_id = %id, reason = %why, "a resident's sealed contact cannot be opened");
        }
        Ok(Some(opened.map(|[name, phone]| (name, phone))))
    }

    /// Seals contacts stored in plaintext (before keys were configured) and
    /// clears the plaintext. Returns how many rows it sealed.
    pub async fn seal_plaintext_residents(&self) -> Result<usize, ApiError> {
        let Some(sealer) = &self.sealer else { return Ok(0) };
        Ok(seal_plaintext(&self.pool, sealer, "complaint_residents", &["name", "phone", "email"]).await?)
    }

    /// Re-seals contacts sealed under a retired key with the current one.
    pub async fn reseal_residents(&self) -> Result<usize, ApiError> {
        let Some(sealer) = &self.sealer else { return Ok(0) };
        Ok(reseal_retired(&self.pool, sealer, "complaint_residents", &["name", "phone", "email"]).await?)
    }

    /// Records an unmasked read; the data goes out only once this row is in.
    pub async fn record_read(&self, read: &Read) -> Result<(), ApiError> {
        Ok(read.record(&self.pool).await?)
    }

    /// Recorded reads, newest first, each with its place in the log.
    pub async fn reads(&self, filter: &ReadsFilter) -> Result<Vec<(i64, Read)>, ApiError> {
        Ok(Read::list(&self.pool, filter).await?)
    }
}
