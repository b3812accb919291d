//! Claimants' personal data sealed at rest, the append-only log of its
//! unmasked reads, and who may see a case at all.

use dualnet_platform::{
    ApiError,
    personal_data::{Read, ReadsFilter, reseal_retired, seal_plaintext},
};
use uuid::Uuid;

use super::{Reach, Store};

impl Store {
    /// Seals claimants' personal data stored in plaintext (before keys were
    /// configured) and clears the plaintext. Returns how many rows it sealed.
    pub async fn seal_plaintext_claimants(&self) -> Result<usize, ApiError> {
        let Some(sealer) = &self.sealer else { return Ok(0) };
        Ok(seal_plaintext(&self.pool, sealer, "case_claimants", &["name", "phone", "id_number"]).await?)
    }

    /// Re-seals claimants sealed under a retired key with the current one.
    pub async fn reseal_claimants(&self) -> Result<usize, ApiError> {
        let Some(sealer) = &self.sealer else { return Ok(0) };
        Ok(reseal_retired(&self.pool, sealer, "case_claimants", &["name", "phone", "id_number"]).await?)
    }

    /// Records an unmasked read; the data goes out only once this row is in.
    pub async fn record_read(&self, read: &Read) -> Result<(), ApiError> {
        Ok(read.record(&self.pool).await?)
    }

    /// Recorded reads, newest first, each with its place in the log.
    pub async fn reads(&self, filter: &ReadsFilter) -> Result<Vec<(i64, Read)>, ApiError> {
        Ok(Read::list(&self.pool, filter).await?)
    }

    /// Whether the case is within `reach`.
    pub async fn case_in_reach(&self, id: Uuid, reach: &Reach) -> Result<bool, ApiError> {
        Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM case_representatives WHERE case_id = $1 AND sub = $2)")
            .bind(id)
            .bind(&reach.representative)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Names and removes representatives of a case.
    pub async fn set_representatives(&self, id: Uuid, add: &[String], remove: &[String]) -> Result<(), ApiError> {
        let mut tx = self.pool.begin().await?;
        let locked: Option<Uuid> = sqlx::query_scalar("SELECT id FROM cases WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        if locked.is_none() {
            return Err(ApiError::NotFound("case".into()));
        }
        sqlx::query("DELETE FROM case_representatives WHERE case_id = $1 AND sub = ANY($2)")
            .bind(id)
            .bind(remove)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO case_representatives (case_id, sub) SELECT $1, UNNEST($2::text[]) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(add)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
