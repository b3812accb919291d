//! Open311 GeoReport v2, JSON, beside the gRPC API: the service list from
//! the category catalogue, filing a request, and following requests with
//! the widely used extensions (`page`, `page_size`, `updated_after`) and
//! their status notes. Errors are the spec's `[{"code", "description"}]`.
//! `openapi.json` describes it all (served at `/open311/v2/openapi.json`).

use std::{collections::HashMap, net::SocketAddr, sync::Arc};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{FromRequest, FromRequestParts, Path, Query, State},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{DateTime, SecondsFormat, Utc};
use dualnet_events::Chain;
use dualnet_platform::Named;
use dualnet_platform::{
    ApiError, Fields,
    clock::Clock,
    fields::{NAME_MAX, TEXT_MAX},
};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{
    domain::{
        catalogue::Category,
        complaint::{self, Channel, Complaint, Kind},
    },
    store::{ComplaintFilter, NewComplaint, StatusNote, Store},
};

mod reader;

use reader::{Reader, shown};

#[derive(Clone)]
pub struct Open311 {
    pub store: Store,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    pub clock: Arc<dyn Clock>,
    pub jurisdiction_id: String,
    /// Checks the `api_key` (or `Authorization: Bearer`) of a call; none
    /// when authentication is off.
    pub verifier: Option<Arc<dualnet_platform::auth::Verifier>>,
    /// Keyless reads allowed, and the categories they may show
    /// (`open311.public_reads`, `open311.public_categories`).
    pub public_reads: bool,
    pub public_categories: Vec<String>,
}

/// A GeoReport error answer.
struct Failure(StatusCode, String);

impl Open311 {
    /// The claims of the call's token: GeoReport's `api_key`, or an
    /// `Authorization: Bearer` header; 401 for an invalid one.
    fn claims(
        verifier: &dualnet_platform::auth::Verifier,
        headers: &HeaderMap,
        params: &HashMap<String, String>,
    ) -> Result<dualnet_platform::auth::Claims, Failure> {
        match params.get("api_key").filter(|k| !k.is_empty()) {
            Some(key) => verifier.verify_for(key, "open311"),
            None => verifier.verify_header(headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()), "open311"),
        }
        .map_err(|e| Failure(StatusCode::UNAUTHORIZED, format!("api_key: {e}")))
    }

    /// A filing needs a token granting `report`: 401 without a valid one,
    /// 403 when its roles do not allow filing. The key's subject, when
    /// authentication is on.
    fn check_caller(&self, headers: &HeaderMap, params: &HashMap<String, String>) -> Result<Option<String>, Failure> {
        let Some(verifier) = &self.verifier else { return Ok(None) };
        let claims = Self::claims(verifier, headers, params)?;
        if !dualnet_platform::permissions::granted(&claims.roles, dualnet_platform::permissions::Permission::Report) {
            return Err(Failure(StatusCode::FORBIDDEN, "the api_key's roles do not allow filing requests".into()));
        }
        Ok(Some(claims.sub))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(json!([{ "code": self.0.as_u16(), "description": self.1 }]))).into_response()
    }
}

/// The platform's one code table decides the status (`ApiError::told`).
impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        let told = e.told();
        Failure(StatusCode::from_u16(told.http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), told.message)
    }
}

type Answer = Result<Response, Failure>;

pub fn router(state: Open311) -> Router {
    Router::new()
        .route("/open311/v2/services.json", get(services))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests.json", get(list_requests).post(post_request))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/openapi.json", get(openapi))
        .layer(axum::extract::DefaultBodyLimit::max(state.max_body_bytes))
        .with_state(state)
}

/// The OpenAPI 3.1 description of this face, extensions included.
pub const OPENAPI: &str = include_str!("open311/openapi.json");

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

/// The largest `page` a list answers.
const MAX_PAGE: i64 = 1_000_000;

pub async fn serve(listener: tokio::net::TcpListener, state: Open311, shutdown: CancellationToken) {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    if let Some(addr) = addr {
        dualnet_platform::addresses::bound("open311", addr);
    }
    tracing::info!(?addr, "Open311 GeoReport v2 listening");
    // Nagle off, as on the gRPC server: small answers must not wait for a
    // delayed ACK.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let server = axum::serve(listener, router(state)).with_graceful_shutdown(async move { shutdown.cancelled().await });
    if let Err(e) = server.await {
        tracing::error!(error = %e, "Open311 server failed");
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `{name}.json` → `name`; other formats are not served.
fn json_name(file: &str) -> Result<&str, Failure> {
    file.strip_suffix(".json").ok_or_else(|| Failure(StatusCode::NOT_FOUND, "only the json format is served".into()))
}

impl Open311 {
    fn check_jurisdiction(&self, params: &HashMap<String, String>) -> Result<(), Failure> {
        match params.get("jurisdiction_id").map(|j| j.trim()).filter(|j| !j.is_empty()) {
            Some(j) if !self.jurisdiction_id.is_empty() && j != self.jurisdiction_id => {
                Err(Failure(StatusCode::NOT_FOUND, format!("jurisdiction_id {j} not found")))
            }
            _ => Ok(()),
        }
    }
}

fn service(c: &Category) -> Value {
    json!({
        "service_code": c.code,
        "service_name": c.name,
        "description": c.description,
        "metadata": false,
        "type": "realtime",
        "keywords": c.code.replace(['.', '_'], ", "),
        "group": c.group,
    })
}

/// The query parameters; a query that does not parse is a GeoReport 400.
struct Params(HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Query(q)| Params(q))
            .map_err(|e| Failure(StatusCode::BAD_REQUEST, e.body_text()))
    }
}

/// The last path segment (`{file}`); one that is not UTF-8 is a GeoReport 400.
struct File(String);

impl<S: Send + Sync> FromRequestParts<S> for File {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Failure> {
        Path::<String>::from_request_parts(parts, state)
            .await
            .map(|Path(f)| File(f))
            .map_err(|e| Failure(StatusCode::BAD_REQUEST, e.body_text()))
    }
}

/// The request body; one over the size limit is a GeoReport 413.
struct Body(Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = Failure;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Failure> {
        Bytes::from_request(req, state).await.map(Body).map_err(|e| Failure(e.status(), e.body_text()))
    }
}

async fn services(State(s): State<Open311>, Params(params): Params) -> Answer {
    s.check_jurisdiction(&params)?;
    let list = s.store.categories(true).await?;
    Ok(Json(list.iter().map(service).collect::<Vec<_>>()).into_response())
}

async fn service_definition(State(s): State<Open311>, File(file): File, Params(params): Params) -> Answer {
    s.check_jurisdiction(&params)?;
    let code = json_name(&file)?;
    let c = s.store.category(code).await?;
    Ok(Json(json!({ "service_code": c.code, "attributes": [] })).into_response())
}

fn request(c: &Complaint, notes: &[StatusNote]) -> Value {
    let opt = |id: Option<Uuid>| id.map(|i| i.to_string());
    json!({
        "service_request_id": c.id.to_string(),
        "status": complaint::open311(c.status),
        "status_notes": notes.last().map(|n| n.note.clone()),
        "service_name": Value::Null,
        "service_code": c.category,
        "description": c.description,
        "agency_responsible": c.department,
        "service_notice": Value::Null,
        "requested_datetime": time(c.filed_at),
        "updated_datetime": time(c.updated_at),
        "expected_datetime": time(c.deadline),
        "address": if c.address.is_empty() { Value::Null } else { Value::String(c.address.clone()) },
        "address_id": opt(c.building_id),
        "zipcode": Value::Null,
        "lat": c.location.map(|l| l.0),
        "long": c.location.map(|l| l.1),
        "media_url": Value::Null,
        // Extensions: the detailed status beside Open311's open/closed, and
        // every status note.
        "detailed_status": c.status.as_str(),
        "incident_id": opt(c.incident_id),
        "notes": notes.iter().map(|n| json!({ "datetime": time(n.at), "status": n.status, "note": n.note })).collect::<Vec<_>>(),
    })
}

async fn one_request(State(s): State<Open311>, headers: HeaderMap, File(file): File, Params(params): Params) -> Answer {
    s.check_jurisdiction(&params)?;
    let reader = s.reader(&headers, &params)?;
    let not_found = || Failure(StatusCode::NOT_FOUND, "service request not found".into());
    let id = Uuid::parse_str(json_name(&file)?).map_err(|_| not_found())?;
    let v = s.store.get(id).await?;
    // What the reader may not see does not exist for it.
    if !s.visible(&reader, &v.complaint).await? {
        return Err(not_found());
    }
    Ok(Json(json!([shown(&reader, &v.complaint, &v.notes)])).into_response())
}

fn parse_time(f: &mut Fields, field: &str, params: &HashMap<String, String>) -> Option<DateTime<Utc>> {
    let raw = params.get(field).map(|v| v.trim()).filter(|v| !v.is_empty())?;
    match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => Some(t.with_timezone(&Utc)),
        Err(_) => {
            f.violation(field, "must be a W3C date-time, e.g. 2026-11-25T10:00:00+08:00");
            None
        }
    }
}

async fn list_requests(State(s): State<Open311>, headers: HeaderMap, Params(params): Params) -> Answer {
    s.check_jurisdiction(&params)?;
    let reader = s.reader(&headers, &params)?;
    let mut f = Fields::new();
    let page: i64 = match params.get("page").map(|p| p.trim().parse::<i64>()) {
        None => 1,
        // Any page past this lies beyond every list; the bound keeps the
        // offset arithmetic exact.
        Some(Ok(p)) if (1..=MAX_PAGE).contains(&p) => p,
        Some(_) => {
            f.violation("page", format!("must be a whole number from 1 to {MAX_PAGE}"));
            1
        }
    };
    let page_size: i64 = match params.get("page_size").map(|p| p.trim().parse::<i64>()) {
        None => 50,
        Some(Ok(p)) if (1..=1000).contains(&p) => p,
        Some(_) => {
            f.violation("page_size", "must be between 1 and 1000");
            50
        }
    };
    let open = match params.get("status").map(|s| s.trim()) {
        None | Some("") => None,
        Some("open") => Some(true),
        Some("closed") => Some(false),
        Some(_) => {
            f.violation("status", "must be open or closed");
            None
        }
    };
    let filed_from = parse_time(&mut f, "start_date", &params);
    let filed_to = parse_time(&mut f, "end_date", &params);
    let updated_after = parse_time(&mut f, "updated_after", &params);
    f.finish()?;
    // Named requests: every other filter is checked above but not applied.
    if let Some(ids) = params.get("service_request_id").filter(|v| !v.trim().is_empty()) {
        let ids: Vec<Uuid> = ids.split(',').filter_map(|i| Uuid::parse_str(i.trim()).ok()).collect();
        let mut out = Vec::new();
        for id in ids.into_iter().take(100) {
            if let Ok(v) = s.store.get(id).await
                && s.visible(&reader, &v.complaint).await?
            {
                out.push(shown(&reader, &v.complaint, &v.notes));
            }
        }
        return Ok(Json(out).into_response());
    }
    // Without a date range the spec returns the last 90 days.
    let filed_from = match (filed_from, filed_to, updated_after) {
        (None, None, None) => Some(s.clock.now() - chrono::Duration::days(90)),
        _ => filed_from,
    };
    let filter = ComplaintFilter {
        category: params.get("service_code").map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
        open,
        filed_from,
        filed_to,
        updated_after,
        limit: page_size,
        offset: (page - 1) * page_size,
        reach: match &reader {
            Reader::Staff(reach) => reach.clone(),
            Reader::Public => None,
        },
        public: matches!(reader, Reader::Public).then(|| s.public_categories.clone()),
        ..Default::default()
    };
    let list = s.store.list(&filter).await?;
    Ok(Json(list.iter().map(|c| shown(&reader, c, &[])).collect::<Vec<_>>()).into_response())
}

/// The POST body as flat text fields, form-encoded (the spec) or JSON. In
/// JSON, `lat` and `long` are numbers, every other field a string, and
/// `null` means not given; anything else is refused by name, as the
/// OpenAPI document says.
fn body_fields(headers: &HeaderMap, body: &Bytes) -> Result<HashMap<String, String>, ApiError> {
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let bad = |e: String| ApiError::field("body", format!("unreadable: {e}"));
    if !json {
        return serde_urlencoded::from_bytes(body).map_err(|e: serde_urlencoded::de::Error| bad(e.to_string()));
    }
    let v: HashMap<String, Value> = serde_json::from_slice(body).map_err(|e| bad(e.to_string()))?;
    let mut f = Fields::new();
    let mut out = HashMap::new();
    for (k, v) in v {
        let number = matches!(k.as_str(), "lat" | "long");
        match v {
            Value::Null => {}
            Value::Number(n) if number => {
                out.insert(k, n.to_string());
            }
            Value::String(s) if !number => {
                out.insert(k, s);
            }
            _ => f.violation(&k, if number { "must be a number" } else { "must be a string" }),
        }
    }
    f.finish()?;
    Ok(out)
}

fn parse_post(p: &HashMap<String, String>) -> Result<NewComplaint, ApiError> {
    let mut f = Fields::new();
    let get = |k: &str| p.get(k).map(|v| v.trim()).unwrap_or("");
    let category = f.text("service_code", get("service_code"), 64);
    let description = f.text("description", get("description"), TEXT_MAX);
    let coordinate = |f: &mut Fields, k: &str| match get(k) {
        "" => None,
        v => v.parse::<f64>().ok().or_else(|| {
            f.violation(k, "must be a number");
            None
        }),
    };
    let (lat, lon) = (coordinate(&mut f, "lat"), coordinate(&mut f, "long"));
    let location = f.coordinates(lat, lon);
    let address = f.optional_text("address_string", get("address_string"), TEXT_MAX).unwrap_or_default();
    let building_id = f.optional_id("address_id", get("address_id"));
    if location.is_none() && address.is_empty() && building_id.is_none() && lat.is_none() && lon.is_none() {
        f.violation("lat", "give a location: lat and long, address_string or address_id");
    }
    // Each part within half the stored name, so the two joined fit it.
    let part = |f: &mut Fields, k: &str| f.optional_text(k, get(k), NAME_MAX / 2 - 1);
    let parts = [part(&mut f, "first_name"), part(&mut f, "last_name")];
    let name = parts.into_iter().flatten().collect::<Vec<_>>().join(" ");
    let resident_name = (!name.is_empty()).then_some(name);
    let resident_phone = f.optional_text("phone", get("phone"), 32);
    if resident_phone.as_deref().is_some_and(|p| !dualnet_platform::personal_data::valid_phone(p)) {
        f.violation("phone", "must be a phone number");
    }
    let resident_email = f.optional_text("email", get("email"), NAME_MAX);
    f.finish()?;
    Ok(NewComplaint {
        kind: Kind::Complaint,
        category,
        channel: Channel::App,
        building_id,
        address,
        location,
        description,
        resident_name,
        resident_phone,
        resident_email,
        enterprise_id: None,
        workers: 0,
        filed_by: None,
        filed_with: None,
    })
}

async fn post_request(State(s): State<Open311>, headers: HeaderMap, Body(body): Body) -> Answer {
    let params = body_fields(&headers, &body)?;
    let filed_with = s.check_caller(&headers, &params)?;
    s.check_jurisdiction(&params)?;
    let new = NewComplaint { filed_with, ..parse_post(&params)? };
    let chain = Chain::start(Uuid::now_v7());
    let filed = s.store.file(new, &chain, s.clock.now()).await?;
    let notice = format!("due by {}; {} leads", time(filed.complaint.deadline), filed.complaint.department);
    let body = json!([{ "service_request_id": filed.complaint.id.to_string(), "service_notice": notice, "account_id": Value::Null }]);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::String(r)) = o.get("$ref") {
                    out.push(r);
                }
                o.values().for_each(|v| refs(v, out));
            }
            Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_openapi_document_names_every_route_and_every_reference_resolves() {
        let doc: Value = serde_json::from_str(super::OPENAPI).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let paths: Vec<&str> = doc["paths"].as_object().unwrap().keys().map(String::as_str).collect();
        for route in [
            "/services.json",
            "/services/{service_code}.json",
            "/requests.json",
            "/requests/{service_request_id}.json",
            "/openapi.json",
        ] {
            assert!(paths.contains(&route), "{route} described");
        }
        let mut found = Vec::new();
        refs(&doc, &mut found);
        assert!(found.len() > 20);
        for r in found {
            let pointer = r.strip_prefix('#').unwrap();
            assert!(doc.pointer(pointer).is_some(), "{r} resolves");
        }
    }
}
