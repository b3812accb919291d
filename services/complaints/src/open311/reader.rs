//! Who reads requests over Open311, and what each reader is shown: a key
//! granting `read` sees what `ListComplaints` shows it, within its area;
//! the public (no key, `open311.public_reads` on) only what
//! `domain::publication` allows, redacted.

use std::collections::HashMap;

use axum::http::{HeaderMap, StatusCode, header};
use dualnet_platform::ApiError;
use dualnet_platform::Named;
use serde_json::{Value, json};

use super::{Failure, Open311, request, time};
use crate::{
    domain::{
        complaint::{self, Complaint},
        publication,
    },
    store::{Reach, StatusNote},
};

/// Who reads, and so what a read shows.
pub(super) enum Reader {
    /// A key granting `read` (or authentication off): what `ListComplaints`
    /// shows the same caller, within its area (`None`: everywhere).
    Staff(Option<Reach>),
    /// No key, public reads on: only what may be public
    /// (`domain::publication`).
    Public,
}

impl Open311 {
    /// Who reads: a key granting `read` sees its area; without a key, the
    /// public view when public reads are on, else 401; a key that grants no
    /// reading (a resident channel's) gets the public view or 403.
    pub(super) fn reader(&self, headers: &HeaderMap, params: &HashMap<String, String>) -> Result<Reader, Failure> {
        let Some(verifier) = &self.verifier else { return Ok(Reader::Staff(None)) };
        let keyless =
            params.get("api_key").is_none_or(|k| k.is_empty()) && !headers.contains_key(header::AUTHORIZATION);
        if keyless {
            return if self.public_reads {
                Ok(Reader::Public)
            } else {
                Err(Failure(
                    StatusCode::UNAUTHORIZED,
                    "reading requests needs an api_key granting read (public reads are off)".into(),
                ))
            };
        }
        let claims = Self::claims(verifier, headers, params)?;
        if dualnet_platform::permissions::granted(&claims.roles, dualnet_platform::permissions::Permission::Read) {
            return Ok(Reader::Staff(crate::grpc::reach_of(&claims)));
        }
        if self.public_reads {
            return Ok(Reader::Public);
        }
        Err(Failure(StatusCode::FORBIDDEN, "the api_key's roles do not allow reading requests".into()))
    }

    /// Whether `reader` may see `c`.
    pub(super) async fn visible(&self, reader: &Reader, c: &Complaint) -> Result<bool, ApiError> {
        Ok(match reader {
            Reader::Staff(None) => true,
            Reader::Staff(Some(reach)) => self.store.complaint_in_reach(c.id, reach).await?,
            Reader::Public => publication::is_public(c, &self.public_categories),
        })
    }
}

/// A request as the public sees it (`domain::publication`): no petition,
/// report or labour matter reaches here; the description redacted, the
/// place the building and a rounded point, the notes status words alone.
fn public_request(c: &Complaint, notes: &[StatusNote]) -> Value {
    json!({
        "service_request_id": c.id.to_string(),
        "status": complaint::open311(c.status),
        "status_notes": Value::Null,
        "service_name": Value::Null,
        "service_code": c.category,
        "description": publication::redact(&c.description),
        "agency_responsible": Value::Null,
        "service_notice": Value::Null,
        "requested_datetime": time(c.filed_at),
        "updated_datetime": time(c.updated_at),
        "expected_datetime": time(c.deadline),
        "address": Value::Null,
        "address_id": c.building_id.map(|i| i.to_string()),
        "zipcode": Value::Null,
        "lat": c.location.map(|l| publication::rounded(l.0)),
        "long": c.location.map(|l| publication::rounded(l.1)),
        "media_url": Value::Null,
        "detailed_status": c.status.as_str(),
        "notes": notes.iter().map(|n| json!({ "datetime": time(n.at), "status": n.status })).collect::<Vec<_>>(),
    })
}

pub(super) fn shown(reader: &Reader, c: &Complaint, notes: &[StatusNote]) -> Value {
    match reader {
        Reader::Staff(_) => request(c, notes),
        Reader::Public => public_request(c, notes),
    }
}
