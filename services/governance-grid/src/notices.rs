//! The public feed of community notices (信息公开), beside the gRPC API:
//! read without a token, because everything in it is public by
//! construction (`domain/notice.rs`).
//!
//! - `GET /notices/v1/communities/{community_id}.json` — JSON, newest first
//! - `GET /notices/v1/communities/{community_id}.atom` — Atom 1.0 (RFC 4287)
//!
//! `?limit=` (1–200, default 50). Unknown communities are 404, malformed
//! ids 400; errors are `{"error": "…"}`.

use std::net::SocketAddr;

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{DateTime, SecondsFormat, Utc};
use dualnet_platform::Named;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::{domain::notice::Notice, store::Store};

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 200;

#[derive(serde::Deserialize)]
struct Params {
    limit: Option<String>,
}

struct Failure(StatusCode, String);

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

pub async fn serve(listener: tokio::net::TcpListener, store: Store, shutdown: CancellationToken) {
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    if let Some(addr) = addr {
        dualnet_platform::addresses::bound("notices", addr);
    }
    tracing::info!(?addr, "the public notices feed is listening");
    let router = Router::new().route("/notices/v1/communities/{file}", get(feed)).with_state(store);
    let server = axum::serve(listener, router).with_graceful_shutdown(async move { shutdown.cancelled().await });
    if let Err(e) = server.await {
        tracing::error!(error = %e, "the notices feed failed");
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn feed(State(store): State<Store>, Path(file): Path<String>, Query(params): Query<Params>) -> Response {
    match answer(&store, &file, &params).await {
        Ok(r) => r,
        Err(f) => f.into_response(),
    }
}

async fn answer(store: &Store, file: &str, params: &Params) -> Result<Response, Failure> {
    let bad = |why: &str| Failure(StatusCode::BAD_REQUEST, why.into());
    let (id, atom) = match (file.strip_suffix(".json"), file.strip_suffix(".atom")) {
        (Some(id), _) => (id, false),
        (_, Some(id)) => (id, true),
        _ => return Err(Failure(StatusCode::NOT_FOUND, "a feed is {community_id}.json or .atom".into())),
    };
    let community: Uuid = id.parse().map_err(|_| bad("the community id is not a UUID"))?;
    let limit = match params.limit.as_deref() {
        None => DEFAULT_LIMIT,
        Some(l) => l
            .parse::<i64>()
            .ok()
            .filter(|l| (1..=MAX_LIMIT).contains(l))
            .ok_or_else(|| bad(&format!("limit must be between 1 and {MAX_LIMIT}")))?,
    };
    let unavailable = |e: dualnet_platform::ApiError| {
        tracing::warn!(error = %e, "the notices feed could not read the database");
        Failure(StatusCode::SERVICE_UNAVAILABLE, "notices are unavailable; try again".into())
    };
    let name = store
        .community_name(community)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| Failure(StatusCode::NOT_FOUND, "no such community".into()))?;
    let notices = store.notices(community, limit, None).await.map_err(unavailable)?;
    Ok(if atom { atom_feed(community, &name, &notices) } else { json_feed(community, &name, &notices) })
}

fn json_feed(community: Uuid, name: &str, notices: &[Notice]) -> Response {
    let items: Vec<_> = notices
        .iter()
        .map(|n| {
            json!({
                "id": n.id,
                "kind": n.kind.as_str(),
                "title": n.title,
                "body": n.body,
                "subject_id": n.subject_id,
                "published_at": time(n.published_at),
            })
        })
        .collect();
    Json(json!({ "community_id": community, "community": name, "notices": items })).into_response()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 cannot carry at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn atom_feed(community: Uuid, name: &str, notices: &[Notice]) -> Response {
    let updated = notices.first().map_or_else(|| time(DateTime::UNIX_EPOCH), |n| time(n.published_at));
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n\
         <id>urn:uuid:{community}</id>\n<title>{} · 社区公告</title>\n<updated>{updated}</updated>\n\
         <link rel=\"self\" href=\"/notices/v1/communities/{community}.atom\"/>\n<author><name>{}</name></author>\n",
        escape(name),
        escape(name)
    );
    for n in notices {
        xml.push_str(&format!(
            "<entry>\n<id>urn:uuid:{}</id>\n<title>{}</title>\n<updated>{t}</updated>\n<published>{t}</published>\n\
             <category term=\"{}\"/>\n<content type=\"text\">{}</content>\n</entry>\n",
            n.id,
            escape(&n.title),
            n.kind.as_str(),
            escape(&n.body),
            t = time(n.published_at),
        ));
    }
    xml.push_str("</feed>\n");
    ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atom_text_is_escaped_and_control_characters_dropped() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
    }
}
