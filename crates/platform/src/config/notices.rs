//! governance-grid's public feed of community notices (信息公开).

use std::net::SocketAddr;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct NoticesConfig {
    /// The feed's HTTP face (`/notices/v1/communities/{id}.json|.atom`),
    /// read without a token; off when unset.
    pub listen: Option<SocketAddr>,
}
