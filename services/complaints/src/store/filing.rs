//! Filing a request: the catalogue checked, the place resolved, the lead
//! department routed, the deadline set, the resident's contact sealed, the
//! event announced, and the open requests that look like it found.

use chrono::{DateTime, Utc};
use dualnet_events::Chain;
use dualnet_platform::Named;
use dualnet_platform::fields::id_text;
use dualnet_platform::{
    ApiError,
    sealing::{Sealer, conceal},
};
use dualnet_proto::complaints::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{ComplaintView, NewComplaint, Store, catalogue, map, note, notes_of};
use crate::{
    OUTBOX,
    domain::{
        complaint::{self, Complaint, Status},
        duplicate,
        location::{self, FALLBACK_OWNER, LocatedBy},
    },
    wire,
};

impl Store {
    /// Files a request: checks its category against the catalogue, places
    /// it on the map, routes it to its lead department (the subdistrict
    /// fallback owner when it lies nowhere) and sets its deadline.
    pub async fn file(&self, new: NewComplaint, chain: &Chain, now: DateTime<Utc>) -> Result<ComplaintView, ApiError> {
        let mut tx = self.pool.begin().await?;
        let category = catalogue::active(&mut tx, &new.category)
            .await?
            .ok_or_else(|| ApiError::field("category", "not in the category catalogue (see ListCategories)"))?;
        let place = map::resolve(&mut tx, new.building_id, &new.address, new.location).await?;
        let department = match place.located_by {
            LocatedBy::None => FALLBACK_OWNER.to_string(),
            _ => catalogue::route(&mut tx, &new.category, place.community_id).await?,
        };
        let deadline = complaint::deadline(new.kind, category.deadline, now, &self.calendar);
        let c = Complaint {
            id: Uuid::now_v7(),
            kind: new.kind,
            category: new.category,
            channel: new.channel,
            building_id: place.building_id,
            grid_id: place.grid_id,
            community_id: place.community_id,
            description: new.description,
            status: Status::Filed,
            incident_id: None,
            correlation_id: chain.correlation_id,
            reply: String::new(),
            satisfaction: None,
            enterprise_id: new.enterprise_id,
            workers: new.workers,
            filed_at: now,
            deadline,
            address: new.address,
            location: new.location,
            located_by: place.located_by,
            department,
            overdue: false,
            supervised_by: None,
            resolution: None,
            merged_into: None,
            reopened: 0,
            filed_by: new.filed_by,
            updated_at: now,
        };
        insert(&mut tx, &c, new.filed_with.as_deref()).await?;
        let resident = [&new.resident_name, &new.resident_phone, &new.resident_email];
        insert_resident(&mut tx, self.sealer.as_deref(), c.id, resident).await?;
        let text = match c.located_by {
            LocatedBy::None => format!("filed; its place is unknown, so {FALLBACK_OWNER} takes it"),
            _ => format!("filed; {} leads", c.department),
        };
        note(&mut tx, c.id, c.status, &text, now).await?;
        // No personal data in the event: ids and codes only.
        let event = pb::ComplaintFiled {
            complaint_id: c.id.to_string(),
            kind: wire::kind(c.kind) as i32,
            category: c.category.clone(),
            channel: wire::channel(c.channel) as i32,
            building_id: id_text(c.building_id),
            grid_id: id_text(c.grid_id),
            community_id: id_text(c.community_id),
            labour: complaint::is_labour(&c.category),
            enterprise_id: id_text(c.enterprise_id),
            workers: c.workers,
        };
        OUTBOX.append(&mut tx, c.id, &event, chain).await?;
        let duplicates = duplicates_of(&mut tx, &c).await?;
        let notes = notes_of(&mut tx, c.id).await?;
        tx.commit().await?;
        Ok(ComplaintView { complaint: c, referrals: Vec::new(), notes, duplicates })
    }
}

/// The request's row.
async fn insert(tx: &mut PgConnection, c: &Complaint, filed_with: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO complaints (id, kind, category, channel, building_id, grid_id, community_id, description, status,
                                 correlation_id, enterprise_id, workers, filed_at, deadline, updated_at, address,
                                 latitude, longitude, located_by, department, filed_by, filed_with)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $13, $15, $16, $17, $18, $19, $20,
                 $21)",
    )
    .bind(c.id)
    .bind(c.kind.as_str())
    .bind(&c.category)
    .bind(c.channel.as_str())
    .bind(c.building_id)
    .bind(c.grid_id)
    .bind(c.community_id)
    .bind(&c.description)
    .bind(c.status.as_str())
    .bind(c.correlation_id)
    .bind(c.enterprise_id)
    .bind(c.workers)
    .bind(c.filed_at)
    .bind(c.deadline)
    .bind(&c.address)
    .bind(c.location.map(|l| l.0))
    .bind(c.location.map(|l| l.1))
    .bind(c.located_by.as_str())
    .bind(&c.department)
    .bind(&c.filed_by)
    .bind(filed_with)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The resident's name, phone and email, sealed when a sealer is
/// configured; nothing when none was given.
async fn insert_resident(
    tx: &mut PgConnection,
    sealer: Option<&Sealer>,
    id: Uuid,
    resident: [&Option<String>; 3],
) -> Result<(), sqlx::Error> {
    if resident.iter().all(|v| v.is_none()) {
        return Ok(());
    }
    let conceal = |v: &Option<String>| conceal(sealer, v.as_deref());
    let [name, phone, email] = resident.map(conceal);
    sqlx::query(
        "INSERT INTO complaint_residents (complaint_id, name, phone, email, name_sealed, phone_sealed, email_sealed)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(name.0)
    .bind(phone.0)
    .bind(email.0)
    .bind(name.1)
    .bind(phone.1)
    .bind(email.1)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Open requests that look like `c`: same category, filed within the
/// window, at the same building or within the radius. Two indexed lookups
/// (by building, and by a coordinate box around `c`), so the cost follows
/// the candidates, not the size of the table.
pub(super) async fn duplicates_of(conn: &mut PgConnection, c: &Complaint) -> Result<Vec<Uuid>, sqlx::Error> {
    const OPEN: &str = "category = $1 AND id <> $2 AND merged_into IS NULL AND filed_at > $3
                        AND status IN ('filed', 'accepted', 'dispatched')";
    const LIMIT: i64 = 200;
    let since = c.filed_at - chrono::Duration::days(duplicate::WINDOW_DAYS);
    let mut found: Vec<(Uuid, DateTime<Utc>)> = Vec::new();
    if let Some(building) = c.building_id {
        found = sqlx::query_as(&format!(
            "SELECT id, filed_at FROM complaints WHERE {OPEN} AND building_id = $4 ORDER BY filed_at LIMIT $5"
        ))
        .bind(&c.category)
        .bind(c.id)
        .bind(since)
        .bind(building)
        .bind(LIMIT)
        .fetch_all(&mut *conn)
        .await?;
    }
    if let Some(at) = c.location {
        let ((lat0, lat1), (lon0, lon1)) = location::bounding_box(at, duplicate::RADIUS_METRES);
        type Near = (Uuid, DateTime<Utc>, f64, f64);
        let near: Vec<Near> = sqlx::query_as(&format!(
            "SELECT id, filed_at, latitude, longitude FROM complaints
             WHERE {OPEN} AND latitude BETWEEN $4 AND $5 AND longitude BETWEEN $6 AND $7
             ORDER BY filed_at LIMIT $8"
        ))
        .bind(&c.category)
        .bind(c.id)
        .bind(since)
        .bind(lat0)
        .bind(lat1)
        .bind(lon0)
        .bind(lon1)
        .bind(LIMIT)
        .fetch_all(&mut *conn)
        .await?;
        for (id, filed, lat, lon) in near {
            if location::distance_metres(at, (lat, lon)) <= duplicate::RADIUS_METRES && !found.iter().any(|f| f.0 == id)
            {
                found.push((id, filed));
            }
        }
        found.sort_by_key(|f| f.1);
        found.truncate(LIMIT as usize);
    }
    Ok(found.into_iter().map(|(id, _)| id).collect())
}
