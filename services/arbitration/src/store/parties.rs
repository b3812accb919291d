//! Claimants as stored: their personal data each field in plaintext or
//! sealed, written beside the case.

use dualnet_platform::Named;
use dualnet_platform::sealing::{Sealer, conceal};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::{award::Claim, case::Claimant};

/// Claimants' personal data as stored: each field in plaintext or sealed.
#[derive(Default)]
pub(super) struct StoredParties {
    names: (Vec<Option<String>>, Vec<Option<Vec<u8>>>),
    phones: (Vec<Option<String>>, Vec<Option<Vec<u8>>>),
    id_numbers: (Vec<Option<String>>, Vec<Option<Vec<u8>>>),
}

impl StoredParties {
    fn of(sealer: Option<&Sealer>, claimants: &[Claimant]) -> Self {
        let mut out = Self::default();
        for c in claimants {
            for (column, value) in [
                (&mut out.names, Some(c.name.as_str())),
                (&mut out.phones, c.phone.as_deref()),
                (&mut out.id_numbers, c.id_number.as_deref()),
            ] {
                let (plain, sealed) = conceal(sealer, value);
                column.0.push(plain);
                column.1.push(sealed);
            }
        }
        out
    }
}

pub(super) async fn write_parties(
    conn: &mut PgConnection,
    sealer: Option<&Sealer>,
    case_id: Uuid,
    claimants: &[Claimant],
    claims: &[Claim],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM case_claimants WHERE case_id = $1").bind(case_id).execute(&mut *conn).await?;
    sqlx::query("DELETE FROM case_claims WHERE case_id = $1").bind(case_id).execute(&mut *conn).await?;
    let reps: Vec<bool> = claimants.iter().map(|c| c.representative).collect();
    let stored = StoredParties::of(sealer, claimants);
    sqlx::query(
        "INSERT INTO case_claimants
             (case_id, seq, representative, name, name_sealed, phone, phone_sealed, id_number, id_number_sealed)
         SELECT $1, n, rep, name, name_s, phone, phone_s, idn, idn_s
         FROM UNNEST($2::bool[], $3::text[], $4::bytea[], $5::text[], $6::bytea[], $7::text[], $8::bytea[])
             WITH ORDINALITY AS t(rep, name, name_s, phone, phone_s, idn, idn_s, n)",
    )
    .bind(case_id)
    .bind(&reps)
    .bind(&stored.names.0)
    .bind(&stored.names.1)
    .bind(&stored.phones.0)
    .bind(&stored.phones.1)
    .bind(&stored.id_numbers.0)
    .bind(&stored.id_numbers.1)
    .execute(&mut *conn)
    .await?;
    let kinds: Vec<&str> = claims.iter().map(|c| c.kind.as_str()).collect();
    let amounts: Vec<i64> = claims.iter().map(|c| c.amount_fen).collect();
    let descriptions: Vec<&str> = claims.iter().map(|c| c.description.as_str()).collect();
    let expires: Vec<Option<chrono::NaiveDate>> = claims.iter().map(|c| c.limitation_expires).collect();
    let barred: Vec<bool> = claims.iter().map(|c| c.time_barred).collect();
    sqlx::query(
        "INSERT INTO case_claims (case_id, seq, kind, amount_fen, description, limitation_expires, time_barred)
         SELECT $1, n, kind, amount, description, expires, barred
         FROM UNNEST($2::text[], $3::bigint[], $4::text[], $5::date[], $6::bool[])
             WITH ORDINALITY AS t(kind, amount, description, expires, barred, n)",
    )
    .bind(case_id)
    .bind(&kinds)
    .bind(&amounts)
    .bind(&descriptions)
    .bind(&expires)
    .bind(&barred)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
