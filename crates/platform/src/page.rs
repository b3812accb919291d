//! Pages of a list, as Google's AIP-158 describes them: a request names
//! `page_size` (0 for [`DEFAULT_SIZE`], at most [`MAX_SIZE`]) and, after
//! the first page, the `page_token` the previous answer gave as
//! `next_page_token`; an empty `next_page_token` means the last page.
//!
//! A token is the sort key of the last row served (keyset pagination), so
//! rows inserted while a caller walks the list neither repeat nor push
//! others out of sight. It is opaque and tamper-evident: AES-256-GCM under
//! a key kept in the service's own database (table `page_token_key`, made
//! on first start, shared by every replica), with the request's filters as
//! associated data — a token altered, made up, or sent with other filters
//! than the ones it was issued for is refused as `INVALID_ARGUMENT` on
//! `page_token`. Page size may change from page to page.

use std::sync::Arc;

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, AeadCore, OsRng, Payload},
};
use anyhow::Context;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

use crate::Fields;

/// A list request: its page fields, and the rest of it — the filters a
/// page token is bound to.
pub trait Paged: prost::Message + prost::Name + Clone {
    fn page_size(&self) -> i32;
    fn page_token(&self) -> &str;
    /// The request with its page fields cleared.
    fn filters(&self) -> Self;
}

macro_rules! paged {
    ($($request:ty),* $(,)?) => {$(
        impl Paged for $request {
            fn page_size(&self) -> i32 {
                self.page_size
            }
            fn page_token(&self) -> &str {
                &self.page_token
            }
            fn filters(&self) -> Self {
                let mut filters = self.clone();
                filters.page_size = 0;
                filters.page_token.clear();
                filters
            }
        }
    )*};
}

paged!(
    dualnet_proto::governance::v1::ListIncidentsRequest,
    dualnet_proto::governance::v1::ListInspectionsDueRequest,
    dualnet_proto::governance::v1::ListWarningsRequest,
    dualnet_proto::governance::v1::ListNoticesRequest,
    dualnet_proto::governance::v1::ListPatrolMembersRequest,
    dualnet_proto::governance::v1::ListPersonalDataReadsRequest,
    dualnet_proto::partygrid::v1::ListLinkageTasksRequest,
    dualnet_proto::partygrid::v1::ListMembersRequest,
    dualnet_proto::partygrid::v1::ListFlaggedBindingsRequest,
    dualnet_proto::partygrid::v1::ListCouncilMembersRequest,
    dualnet_proto::partygrid::v1::ListTopicsRequest,
    dualnet_proto::partygrid::v1::ListPersonalDataReadsRequest,
    dualnet_proto::complaints::v1::ListComplaintsRequest,
    dualnet_proto::complaints::v1::ListPersonalDataReadsRequest,
    dualnet_proto::arbitration::v1::ListCasesRequest,
    dualnet_proto::arbitration::v1::ListDeadlinesRequest,
    dualnet_proto::arbitration::v1::ListPersonalDataReadsRequest,
);

/// Rows on a page when the request leaves `page_size` at 0.
pub const DEFAULT_SIZE: i64 = 100;
/// The most rows one page holds.
pub const MAX_SIZE: i64 = 1000;

/// What a list is sorted by, as a page token carries it.
pub trait Cursor: Sized {
    fn encode(&self) -> Vec<u8>;
    fn decode(bytes: &[u8]) -> Option<Self>;
}

/// A time and the row's id: most lists are sorted by when a thing happened,
/// the id breaking ties. Times are kept to the microsecond, as PostgreSQL
/// keeps them.
impl Cursor for (DateTime<Utc>, Uuid) {
    fn encode(&self) -> Vec<u8> {
        let mut out = self.0.timestamp_micros().to_be_bytes().to_vec();
        out.extend_from_slice(self.1.as_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let (micros, id) = bytes.split_at_checked(8)?;
        let at = DateTime::from_timestamp_micros(i64::from_be_bytes(micros.try_into().ok()?))?;
        Some((at, Uuid::from_slice(id).ok()?))
    }
}

/// A flag, a time, an id and a name: deadlines, passed ones first, by due
/// time, case and kind.
impl Cursor for (bool, DateTime<Utc>, Uuid, String) {
    fn encode(&self) -> Vec<u8> {
        let mut out = vec![u8::from(self.0)];
        out.extend((self.1, self.2).encode());
        out.extend_from_slice(self.3.as_bytes());
        out
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        let (&flag, rest) = bytes.split_first()?;
        let (key, name) = rest.split_at_checked(24)?;
        let (at, id) = <(DateTime<Utc>, Uuid)>::decode(key)?;
        Some((flag == 1, at, id, String::from_utf8(name.to_vec()).ok()?))
    }
}

/// A sequence number.
impl Cursor for i64 {
    fn encode(&self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }

    fn decode(bytes: &[u8]) -> Option<Self> {
        Some(i64::from_be_bytes(bytes.try_into().ok()?))
    }
}

/// Issues and reads the page tokens of one service.
#[derive(Clone)]
pub struct PageTokens(Arc<Aes256Gcm>);

impl std::fmt::Debug for PageTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PageTokens")
    }
}

impl PageTokens {
    /// The key of the database `pool` reaches, made there on first use.
    pub async fn load(pool: &PgPool) -> anyhow::Result<Self> {
        let fresh = Aes256Gcm::generate_key(OsRng);
        sqlx::query("INSERT INTO page_token_key (id, key) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
            .bind(fresh.as_slice())
            .execute(pool)
            .await
            .context("making the page-token key")?;
        let key: Vec<u8> = sqlx::query_scalar("SELECT key FROM page_token_key WHERE id = 1")
            .fetch_one(pool)
            .await
            .context("reading the page-token key")?;
        Ok(Self(Arc::new(Aes256Gcm::new_from_slice(&key).context("page_token_key.key must be 32 bytes")?)))
    }

    /// A key of this process alone: tokens do not outlive it. For an API
    /// served without its database's key (the fuzz targets).
    pub fn ephemeral() -> Self {
        Self(Arc::new(Aes256Gcm::new(&Aes256Gcm::generate_key(OsRng))))
    }

    /// The page `request` asks for. Its token serves only the list (the
    /// request's message name) and the filters it was issued for.
    /// Problems are noted in `f` against `page_size` and `page_token`.
    pub fn page<K: Cursor, R: Paged>(&self, f: &mut Fields, request: &R) -> Page<K> {
        let size = f.page_size("page_size", request.page_size(), DEFAULT_SIZE, MAX_SIZE);
        let mut aad = R::full_name().into_bytes();
        aad.push(0);
        request.filters().encode(&mut aad).expect("a Vec grows as needed");
        let after = match request.page_token().trim() {
            "" => None,
            t => {
                let read = self.read(&aad, t);
                if read.is_none() {
                    f.violation(
                        "page_token",
                        "is not a token this list issued for these filters: send the next_page_token of the \
                         previous page with the same filters, or none for the first page",
                    );
                }
                read
            }
        };
        Page { size, after, aad, tokens: self.clone() }
    }

    fn read<K: Cursor>(&self, aad: &[u8], token: &str) -> Option<K> {
        let bytes = URL_SAFE_NO_PAD.decode(token).ok()?;
        let (nonce, sealed) = bytes.split_at_checked(12)?;
        let plain = self.0.decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad }).ok()?;
        K::decode(&plain)
    }

    fn issue(&self, aad: &[u8], key: &impl Cursor) -> String {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self.0.encrypt(&nonce, Payload { msg: &key.encode(), aad }).expect("AES-GCM encrypts any input");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }
}

/// One page of a list: how many rows, and after which sort key.
#[derive(Debug)]
pub struct Page<K> {
    pub size: i64,
    /// The sort key of the last row of the previous page; `None` on the first.
    pub after: Option<K>,
    aad: Vec<u8>,
    tokens: PageTokens,
}

impl<K: Cursor> Page<K> {
    /// The rows to ask the database for: one more than the page, which tells
    /// whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.size + 1
    }

    /// Cuts `rows` (fetched with [`Page::fetch`]) to the page and gives the
    /// next page's token: empty when this page is the last.
    pub fn next<T>(&self, rows: &mut Vec<T>, key: impl Fn(&T) -> K) -> String {
        let size = usize::try_from(self.size).unwrap_or(usize::MAX);
        if rows.len() <= size {
            return String::new();
        }
        rows.truncate(size);
        rows.last().map(|last| self.tokens.issue(&self.aad, &key(last))).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use dualnet_proto::governance::v1::{ListIncidentsRequest, ListWarningsRequest};

    use super::*;

    fn incidents(grid: &str, size: i32, token: &str) -> ListIncidentsRequest {
        ListIncidentsRequest { grid_id: grid.into(), page_size: size, page_token: token.into(), ..Default::default() }
    }

    fn key(n: u128) -> (DateTime<Utc>, Uuid) {
        (DateTime::from_timestamp_micros(1_790_000_000_123_456).unwrap(), Uuid::from_u128(n))
    }

    fn next_token(tokens: &PageTokens, grid: &str, last: u128) -> String {
        let page: Page<(DateTime<Utc>, Uuid)> = tokens.page(&mut Fields::new(), &incidents(grid, 1, ""));
        page.next(&mut vec![last, last + 1], |n| key(*n))
    }

    #[test]
    fn a_token_leads_to_the_row_after_the_last_one_served() {
        let tokens = PageTokens::ephemeral();
        let token = next_token(&tokens, "g", 7);
        let mut f = Fields::new();
        let page: Page<(DateTime<Utc>, Uuid)> = tokens.page(&mut f, &incidents("g", 0, &token));
        f.finish().unwrap();
        assert_eq!(page.after, Some(key(7)));
        assert_eq!(page.size, DEFAULT_SIZE);
    }

    #[test]
    fn the_last_page_has_no_next_token() {
        let tokens = PageTokens::ephemeral();
        let page: Page<i64> = tokens.page(&mut Fields::new(), &incidents("", 3, ""));
        let mut rows = vec![1, 2, 3];
        assert_eq!(page.next(&mut rows, |n| *n), "");
        assert_eq!(rows, [1, 2, 3]);
        let mut rows = vec![1, 2, 3, 4];
        assert_ne!(page.next(&mut rows, |n| *n), "");
        assert_eq!(rows, [1, 2, 3]);
    }

    fn refused(tokens: &PageTokens, request: &impl Paged) -> bool {
        let mut f = Fields::new();
        let _: Page<(DateTime<Utc>, Uuid)> = tokens.page(&mut f, request);
        f.finish().is_err()
    }

    #[test]
    fn a_token_serves_only_its_own_list_filters_and_key() {
        let tokens = PageTokens::ephemeral();
        let token = next_token(&tokens, "g", 7);
        assert!(!refused(&tokens, &incidents("g", 0, &token)));
        assert!(refused(&tokens, &incidents("other grid", 0, &token)), "other filters");
        let warnings = ListWarningsRequest { grid_id: "g".into(), page_token: token.clone(), ..Default::default() };
        assert!(refused(&tokens, &warnings), "another list, though its filters encode alike");
        assert!(refused(&PageTokens::ephemeral(), &incidents("g", 0, &token)), "another key");
        let mut bytes = URL_SAFE_NO_PAD.decode(&token).unwrap();
        bytes[14] ^= 1;
        assert!(refused(&tokens, &incidents("g", 0, &URL_SAFE_NO_PAD.encode(bytes))), "altered");
        assert!(refused(&tokens, &incidents("g", 0, "not a token")));
    }

    #[test]
    fn page_sizes_outside_the_bounds_are_refused() {
        let tokens = PageTokens::ephemeral();
        for size in [-1, 1001] {
            let mut f = Fields::new();
            let _: Page<i64> = tokens.page(&mut f, &incidents("", size, ""));
            assert!(f.finish().is_err(), "{size}");
        }
    }
}
