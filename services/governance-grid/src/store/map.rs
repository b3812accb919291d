//! The map's entries: added one at a time through the API or many at once by
//! an import, and exported in the import format.

use std::collections::HashMap;

use dualnet_events::Chain;
use dualnet_platform::ApiError;
use dualnet_platform::Named;
use dualnet_proto::governance::v1 as pb;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{Store, parent_missing};
use crate::{
    OUTBOX,
    domain::{
        map::{Building, Community, Enterprise, Grid, Subdistrict},
        map_import::{Checked, Kind, Problem, RawRow},
    },
};

/// One entry to add under `parent` (none for a subdistrict).
pub struct Entry<'a> {
    pub kind: Kind,
    pub parent: Option<Uuid>,
    pub code: &'a str,
    pub name: &'a str,
    pub address: &'a str,
    /// Buildings only: latitude and longitude.
    pub location: Option<(f64, f64)>,
}

/// Inserts one entry of the map and announces it in the caller's
/// transaction; a missing parent row answers NOT_FOUND, a used code
/// ALREADY_EXISTS.
async fn add_entry(conn: &mut PgConnection, e: &Entry<'_>, chain: &Chain) -> Result<Uuid, ApiError> {
    let id = Uuid::now_v7();
    let parent = e.parent.unwrap_or_default();
    let (code, name, p) = (e.code.to_string(), e.name.to_string(), parent.to_string());
    let (sql, parent_kind) = match e.kind {
        Kind::Subdistrict => ("INSERT INTO subdistricts (id, code, name) VALUES ($1, $3, $4)", "subdistrict"),
        Kind::Community => {
            ("INSERT INTO communities (id, subdistrict_id, code, name) VALUES ($1, $2, $3, $4)", "subdistrict")
        }
        Kind::Grid => ("INSERT INTO grids (id, community_id, code, name) VALUES ($1, $2, $3, $4)", "community"),
        Kind::Building => (
            "INSERT INTO buildings (id, grid_id, code, name, address, latitude, longitude)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            "grid",
        ),
        Kind::Enterprise => ("INSERT INTO enterprises (id, grid_id, code, name) VALUES ($1, $2, $3, $4)", "grid"),
    };
    let mut q = sqlx::query(sql).bind(id);
    q = if e.kind == Kind::Subdistrict { q.bind(None::<Uuid>) } else { q.bind(parent) };
    q.bind(e.code)
        .bind(e.name)
        .bind(e.address)
        .bind(e.location.map(|l| l.0))
        .bind(e.location.map(|l| l.1))
        .execute(&mut *conn)
        .await
        .map_err(|err| parent_missing(err, parent_kind))?;
    let i = id.to_string();
    match e.kind {
        Kind::Subdistrict => {
            OUTBOX.append(conn, id, &pb::SubdistrictCreated { subdistrict_id: i, code, name }, chain).await?
        }
        Kind::Community => {
            let ev = pb::CommunityCreated { community_id: i, subdistrict_id: p, code, name };
            OUTBOX.append(conn, id, &ev, chain).await?
        }
        Kind::Grid => {
            OUTBOX.append(conn, id, &pb::GridCreated { grid_id: i, community_id: p, code, name }, chain).await?
        }
        Kind::Building => {
            let ev = pb::BuildingCreated {
                building_id: i,
                grid_id: p,
                code,
                name,
                address: e.address.into(),
                latitude: e.location.map(|l| l.0),
                longitude: e.location.map(|l| l.1),
            };
            OUTBOX.append(conn, id, &ev, chain).await?
        }
        Kind::Enterprise => {
            OUTBOX.append(conn, id, &pb::EnterpriseCreated { enterprise_id: i, grid_id: p, code, name }, chain).await?
        }
    };
    Ok(id)
}

/// What an import did (or, on a dry run, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOutcome {
    pub created: usize,
    pub unchanged: usize,
    pub applied: bool,
}

/// An entry already on the map, as the import format sees it.
struct Existing {
    id: Uuid,
    row: RawRow,
    retired: bool,
}

/// Every entry on the map, keyed by kind and code.
async fn existing(conn: &mut PgConnection) -> Result<HashMap<(Kind, String), Existing>, sqlx::Error> {
    type R = (String, Uuid, String, String, String, String, bool);
    let rows: Vec<R> = sqlx::query_as(
        "SELECT 'subdistrict', id, code, '', name, '', false FROM subdistricts
         UNION ALL SELECT 'community', c.id, c.code, s.code, c.name, '', false
             FROM communities c JOIN subdistricts s ON s.id = c.subdistrict_id
         UNION ALL SELECT 'grid', g.id, g.code, c.code, g.name, '', false
             FROM grids g JOIN communities c ON c.id = g.community_id
         UNION ALL SELECT 'building', b.id, b.code, g.code, b.name, b.address, b.retired_at IS NOT NULL
             FROM buildings b JOIN grids g ON g.id = b.grid_id
         UNION ALL SELECT 'enterprise', e.id, e.code, g.code, e.name, '', false
             FROM enterprises e JOIN grids g ON g.id = e.grid_id",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(kind, id, code, parent_code, name, address, retired)| {
            let k = Kind::parse(&kind)?;
            let row = RawRow { kind, code: code.clone(), parent_code, name, address };
            Some(((k, code), Existing { id, row, retired }))
        })
        .collect())
}

impl Store {
    async fn add_one(&self, e: Entry<'_>, chain: &Chain) -> Result<Uuid, ApiError> {
        let mut tx = self.pool.begin().await?;
        let id = add_entry(&mut tx, &e, chain).await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn create_subdistrict(&self, code: &str, name: &str, chain: &Chain) -> Result<Subdistrict, ApiError> {
        let entry = Entry { kind: Kind::Subdistrict, parent: None, code, name, address: "", location: None };
        let id = self.add_one(entry, chain).await?;
        Ok(Subdistrict { id, code: code.into(), name: name.into() })
    }

    pub async fn create_community(
        &self,
        subdistrict_id: Uuid,
        code: &str,
        name: &str,
        chain: &Chain,
    ) -> Result<Community, ApiError> {
        let entry =
            Entry { kind: Kind::Community, parent: Some(subdistrict_id), code, name, address: "", location: None };
        let id = self.add_one(entry, chain).await?;
        Ok(Community { id, subdistrict_id, code: code.into(), name: name.into() })
    }

    pub async fn create_grid(
        &self,
        community_id: Uuid,
        code: &str,
        name: &str,
        chain: &Chain,
    ) -> Result<Grid, ApiError> {
        let entry = Entry { kind: Kind::Grid, parent: Some(community_id), code, name, address: "", location: None };
        let id = self.add_one(entry, chain).await?;
        Ok(Grid { id, community_id, code: code.into(), name: name.into() })
    }

    pub async fn create_building(
        &self,
        grid_id: Uuid,
        code: &str,
        name: &str,
        address: &str,
        location: Option<(f64, f64)>,
        chain: &Chain,
    ) -> Result<Building, ApiError> {
        let entry = Entry { kind: Kind::Building, parent: Some(grid_id), code, name, address, location };
        let id = self.add_one(entry, chain).await?;
        Ok(Building {
            id,
            grid_id,
            code: code.into(),
            name: name.into(),
            address: address.into(),
            retired: false,
            head: None,
            location,
        })
    }

    pub async fn create_enterprise(
        &self,
        grid_id: Uuid,
        code: &str,
        name: &str,
        chain: &Chain,
    ) -> Result<Enterprise, ApiError> {
        let entry = Entry { kind: Kind::Enterprise, parent: Some(grid_id), code, name, address: "", location: None };
        let id = self.add_one(entry, chain).await?;
        Ok(Enterprise { id, grid_id, code: code.into(), name: name.into() })
    }

    /// Imports checked rows (parents first) all or nothing: the problems
    /// found here join those of the file's own checks, every one is answered
    /// at once and nothing is applied. Imports run one at a time.
    pub async fn import_map(&self, file: Checked, dry_run: bool, chain: &Chain) -> Result<ImportOutcome, ApiError> {
        let Checked { rows, mut problems, named } = file;
        let mut tx = self.pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('governance-map-import', 0))")
            .execute(&mut *tx)
            .await?;
        let on_map = existing(&mut tx).await?;
        let mut ids: HashMap<(Kind, &str), Uuid> = HashMap::new();
        let mut outcome = ImportOutcome { created: 0, unchanged: 0, applied: !dry_run };
        for row in &rows {
            let parent = match (row.kind.parent(), &row.parent_code) {
                (Some(pk), Some(pc)) => {
                    let found = ids
                        .get(&(pk, pc.as_str()))
                        .copied()
                        .or_else(|| on_map.get(&(pk, pc.clone())).filter(|e| !e.retired).map(|e| e.id));
                    if found.is_none() && named.contains(&(pk, pc.clone())) {
                        // Its parent's row has problems of its own.
                        continue;
                    }
                    if found.is_none() {
                        let msg = format!("no {} with code {pc} in the file or on the map", pk.as_str());
                        problems.push(Problem::at(row.index, "parent_code", msg));
                        continue;
                    }
                    found
                }
                _ => None,
            };
            if let Some(e) = on_map.get(&(row.kind, row.code.clone())) {
                let same = e.row.parent_code == row.parent_code.clone().unwrap_or_default()
                    && e.row.name == row.name
                    && e.row.address == row.address;
                if e.retired {
                    problems.push(Problem::at(row.index, "code", format!("building {} is retired", row.code)));
                } else if !same {
                    let msg = format!(
                        "{} {} is already on the map as {:?} under {:?}",
                        row.kind.as_str(),
                        row.code,
                        e.row.name,
                        e.row.parent_code
                    );
                    problems.push(Problem::at(row.index, "code", msg));
                } else {
                    outcome.unchanged += 1;
                    ids.insert((row.kind, row.code.as_str()), e.id);
                }
                continue;
            }
            if !problems.is_empty() {
                // Keep checking the rest, but write nothing more.
                outcome.created += 1;
                continue;
            }
            let entry = Entry {
                kind: row.kind,
                parent,
                code: &row.code,
                name: &row.name,
                address: &row.address,
                location: None,
            };
            let id = add_entry(&mut tx, &entry, chain).await.map_err(|e| match e {
                ApiError::AlreadyExists(m) | ApiError::NotFound(m) => {
                    ApiError::InvalidArgument(vec![(format!("rows[{}].code", row.index), m)])
                }
                e => e,
            })?;
            ids.insert((row.kind, row.code.as_str()), id);
            outcome.created += 1;
        }
        if !problems.is_empty() {
            return Err(ApiError::InvalidArgument(problems.into_iter().map(|p| (p.field, p.message)).collect()));
        }
        if dry_run {
            tx.rollback().await?;
        } else {
            tx.commit().await?;
        }
        Ok(outcome)
    }

    /// The map in the import format, parents first; retired buildings are
    /// off the map and left out.
    pub async fn export_map(&self) -> Result<Vec<RawRow>, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let mut rows: Vec<(Kind, RawRow)> = existing(&mut conn)
            .await?
            .into_iter()
            .filter(|(_, e)| !e.retired)
            .map(|((kind, _), e)| (kind, e.row))
            .collect();
        rows.sort_by(|(ka, a), (kb, b)| (ka, &a.code).cmp(&(kb, &b.code)));
        Ok(rows.into_iter().map(|(_, r)| r).collect())
    }
}
