//! complaints' Open311 GeoReport v2 face: where it listens, what it shows
//! without a key, and the keys of its own that sign `api_key`s.

use std::{collections::BTreeMap, net::SocketAddr};

use serde::Deserialize;

use super::{AuthConfig, Config, Secret};

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Open311Config {
    /// complaints' Open311 GeoReport v2 HTTP face (`/open311/v2/…`); off
    /// when unset.
    pub listen: Option<SocketAddr>,
    /// The `jurisdiction_id` accepted (any, when empty).
    pub jurisdiction_id: String,
    /// Whether requests may be read without an api_key. Off: reading needs
    /// a key granting `read`, and shows the key's area. On: a keyless read
    /// shows only `public_categories`, never reports, petitions (letters and
    /// visits), on-behalf filings or labour complaints, with descriptions
    /// redacted, places rounded and notes reduced to status words.
    pub public_reads: bool,
    /// The categories a keyless read may show (with `public_reads`), e.g.
    /// `["noise", "refuse"]`; none by default.
    pub public_categories: Vec<String>,
    /// Keys that sign Open311 `api_key`s (handed to resident channels and
    /// app vendors), by key id: accepted by Open311 only, never by the gRPC
    /// APIs, so a leaked API-key secret mints no staff token. Open311 also
    /// accepts staff tokens (`auth.keys`).
    pub keys: BTreeMap<String, Secret>,
    /// The key of `keys` that `dualnet token --service open311` signs with.
    pub signing_kid: Option<String>,
}

impl Config {
    /// What Open311 verifies `api_key`s with: the staff keys and Open311's
    /// own; `dualnet token --service open311` signs with Open311's signing
    /// key when it has keys.
    pub fn open311_auth(&self) -> AuthConfig {
        let mut auth = self.auth.clone();
        auth.keys.extend(self.open311.keys.iter().map(|(k, v)| (k.clone(), v.clone())));
        if !self.open311.keys.is_empty() {
            auth.signing_kid = self.open311.signing_kid.clone();
        }
        auth
    }
}
