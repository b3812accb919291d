//! Authentication for tests: one signing key, and tokens minted under it.

use dualnet_platform::{
    auth::{self, Claims, Scope},
    config::{AuthConfig, Secret},
};

/// The shared secret tests sign with (key id `k`).
pub const KEY: &str = "test-signing-key-0123456789abcdef0123";

/// Authentication on: tokens signed with [`KEY`] are accepted, and minted.
pub fn auth_config() -> AuthConfig {
    AuthConfig {
        keys: [("k".to_string(), Secret::new(KEY))].into_iter().collect(),
        signing_kid: Some("k".into()),
        ..AuthConfig::default()
    }
}

/// A token for `sub` of `department` holding `roles`, confined to `scope`
/// (the default: unconfined), valid ten minutes.
pub fn token(sub: &str, department: &str, roles: &[&str], scope: Scope) -> String {
    let config = auth_config();
    let roles = roles.iter().map(|r| r.to_string()).collect();
    auth::mint(&config, &Claims::issue(&config, sub, department, roles, scope, 600)).expect("a test token")
}
