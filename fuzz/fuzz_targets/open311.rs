//! complaints' Open311 GeoReport v2 face with arbitrary input: the first
//! byte picks the call, the rest becomes its path segment, query string or
//! body (form-encoded or JSON). Every input is answered in GeoReport JSON —
//! a result, or an error `[{"code", "description"}]` carrying the HTTP
//! status — never a panic, never a 5xx but 503 from a database that
//! refuses connections. A call that passes validation reaches, by the first
//! byte's top bit, a database that refuses connections or complaints' real
//! migrated database (on the PostgreSQL named by `DUALNET_TEST_DATABASE_URL`).
#![no_main]

use std::{sync::OnceLock, time::Duration};

use bytes::Bytes;
use http_body_util::BodyExt;
use libfuzzer_sys::fuzz_target;
use tower_service::Service;

struct Face {
    runtime: tokio::runtime::Runtime,
    /// On a refusing database.
    router: axum::Router,
    /// On a real, migrated one.
    real: axum::Router,
}

fn face() -> &'static Face {
    static FACE: OnceLock<Face> = OnceLock::new();
    FACE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (router, real) = runtime.block_on(async {
            // Nothing listens on port 1: every query fails at once.
            let pool = sqlx::postgres::PgPoolOptions::new()
                .acquire_timeout(Duration::from_millis(1))
                .connect_lazy("postgres://fuzz@127.0.0.1:1/fuzz")
                .unwrap();
            let real = dualnet_testkit::fresh_pool("fuzz_open311").await;
            dualnet_platform::db::migrate(&real, complaints::DEFINITION.migrator).await.unwrap();
            (complaints::bare_open311(pool), complaints::bare_open311(real))
        });
        Face { runtime, router, real }
    })
}

/// `bytes` percent-encoded for a URI.
fn escaped(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'=' | b'&' => (*b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let (method, uri, content_type, body) = match pick % 6 {
        0 => ("GET", "/open311/v2/services.json".to_string(), "", Vec::new()),
        1 => ("GET", format!("/open311/v2/services/{}.json", escaped(rest)), "", Vec::new()),
        2 => ("GET", format!("/open311/v2/requests.json?{}", escaped(rest)), "", Vec::new()),
        3 => ("GET", format!("/open311/v2/requests/{}.json", escaped(rest)), "", Vec::new()),
        4 => ("POST", "/open311/v2/requests.json".to_string(), "application/x-www-form-urlencoded", rest.to_vec()),
        _ => ("POST", "/open311/v2/requests.json".to_string(), "application/json", rest.to_vec()),
    };
    let request = http::Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", content_type)
        .body(axum::body::Body::from(Bytes::from(body)))
        .unwrap();
    let working = pick & 0x80 != 0;
    let mut router = if working { face().real.clone() } else { face().router.clone() };
    face().runtime.block_on(async move {
        let response = router.call(request).await.unwrap();
        let status = response.status();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        // Every answer is GeoReport JSON: a result, or `[{"code", "description"}]`.
        let json: serde_json::Value = serde_json::from_slice(&body)
            .unwrap_or_else(|e| panic!("{status}: not JSON ({e}): {}", String::from_utf8_lossy(&body)));
        if !status.is_success() {
            assert_eq!(json[0]["code"], status.as_u16(), "{json}");
        }
        let allowed = if working { status.as_u16() < 500 } else { status.as_u16() < 500 || status.as_u16() == 503 };
        assert!(allowed, "{status} from a {} database: {json}", if working { "working" } else { "refusing" });
    });
});
