//! Personal data sealed at rest: AES-256-GCM with keys from the
//! configuration (`personal_data.keys`, base64 of 32 bytes, by key id).
//! A sealed value names its key, so old rows stay readable after the
//! current key (`personal_data.current`) changes.
//!
//! Layout: key-id length (1 byte), key id, 12-byte nonce, ciphertext + tag.

use std::collections::BTreeMap;

use aes_gcm::{
    Aes256Gcm, KeyInit, Nonce,
    aead::{Aead, AeadCore, OsRng},
};
use anyhow::{Context, bail};
use base64::Engine;

use crate::config::PersonalDataConfig;

pub struct Sealer {
    keys: BTreeMap<String, Aes256Gcm>,
    current: String,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer").field("current", &self.current).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    #[error("sealed with key {0:?}, which is not configured")]
    UnknownKey(String),
    #[error("sealed data is damaged or was sealed with another key")]
    Damaged,
}

impl Sealer {
    /// `None` when no keys are configured: personal data is stored as given.
    pub fn from_config(config: &PersonalDataConfig) -> anyhow::Result<Option<Self>> {
        if config.keys.is_empty() {
            return Ok(None);
        }
        let mut keys = BTreeMap::new();
        for (id, secret) in &config.keys {
            if id.is_empty() || id.len() > 255 {
                bail!("personal_data.keys: a key id must have 1 to 255 bytes");
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(secret.expose())
                .with_context(|| format!("personal_data.keys.{id}: not base64"))?;
            if bytes.len() != 32 {
                bail!("personal_data.keys.{id}: must be 32 bytes (base64 of 32 random bytes)");
            }
            keys.insert(id.clone(), Aes256Gcm::new_from_slice(&bytes).expect("32 bytes"));
        }
        let current = config.current.clone().context("personal_data.current must name the key to seal with")?;
        if !keys.contains_key(&current) {
            bail!("personal_data.current {current:?} is not in personal_data.keys");
        }
        Ok(Some(Self { keys, current }))
    }

    /// The configured keys new data is no longer sealed with: rows under
    /// them are re-sealed under the current key.
    pub fn retired_keys(&self) -> Vec<String> {
        self.keys.keys().filter(|id| **id != self.current).cloned().collect()
    }

    pub fn seal(&self, plain: &str) -> Vec<u8> {
        let cipher = &self.keys[&self.current];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = cipher.encrypt(&nonce, plain.as_bytes()).expect("AES-GCM encrypts any input");
        let mut out = Vec::with_capacity(1 + self.current.len() + nonce.len() + sealed.len());
        out.push(self.current.len() as u8);
        out.extend_from_slice(self.current.as_bytes());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, sealed: &[u8]) -> Result<String, SealError> {
        let (&len, rest) = sealed.split_first().ok_or(SealError::Damaged)?;
        let len = usize::from(len);
        if rest.len() < len + 12 {
            return Err(SealError::Damaged);
        }
        let id = std::str::from_utf8(&rest[..len]).map_err(|_| SealError::Damaged)?;
        let cipher = self.keys.get(id).ok_or_else(|| SealError::UnknownKey(id.to_string()))?;
        let nonce = Nonce::from_slice(&rest[len..len + 12]);
        let plain = cipher.decrypt(nonce, &rest[len + 12..]).map_err(|_| SealError::Damaged)?;
        String::from_utf8(plain).map_err(|_| SealError::Damaged)
    }
}

/// A stored value: its sealed form when there is one (opened with
/// `sealer`), else its plaintext (stored before keys were configured).
pub fn reveal(
    sealer: Option<&Sealer>,
    plain: Option<String>,
    sealed: Option<Vec<u8>>,
) -> anyhow::Result<Option<String>> {
    match (sealed, sealer) {
        (None, _) => Ok(plain),
        (Some(bytes), Some(s)) => Ok(Some(s.open(&bytes)?)),
        (Some(_), None) => bail!("a sealed value, and no personal_data keys to open it"),
    }
}

/// Opens the sealed columns of one record: the values, or — when one of
/// them cannot be opened (a retired key, damaged bytes) — why, so that a
/// list answers the other records and this one as unreadable instead of
/// failing whole. The reason names the key id, never the data.
pub fn reveal_record<const N: usize>(
    sealer: Option<&Sealer>,
    columns: [(Option<String>, Option<Vec<u8>>); N],
) -> Result<[Option<String>; N], String> {
    let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
    for (slot, (plain, sealed)) in out.iter_mut().zip(columns) {
        *slot = reveal(sealer, plain, sealed).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// `value` sealed when keys are configured: (plaintext, sealed), one of
/// them set.
pub fn conceal(sealer: Option<&Sealer>, value: Option<&str>) -> (Option<String>, Option<Vec<u8>>) {
    match (value, sealer) {
        (None, _) => (None, None),
        (Some(v), Some(s)) => (None, Some(s.seal(v))),
        (Some(v), None) => (Some(v.to_string()), None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn config(keys: &[(&str, [u8; 32])], current: &str) -> PersonalDataConfig {
        PersonalDataConfig {
            keys: keys
                .iter()
                .map(|(id, k)| (id.to_string(), Secret::new(base64::engine::general_purpose::STANDARD.encode(k))))
                .collect(),
            current: Some(current.to_string()),
            disabled: false,
        }
    }

    #[test]
    fn sealed_data_opens_and_does_not_show_what_it_holds() {
        let s = Sealer::from_config(&config(&[("p1", [7; 32])], "p1")).unwrap().unwrap();
        let sealed = s.seal("13812345678");
        assert!(!sealed.windows(11).any(|w| w == b"13812345678"));
        assert_ne!(s.seal("13812345678"), sealed, "a fresh nonce each time");
        assert_eq!(s.open(&sealed).unwrap(), "13812345678");
        let mut damaged = sealed.clone();
        *damaged.last_mut().unwrap() ^= 1;
        assert_eq!(s.open(&damaged), Err(SealError::Damaged));
        assert_eq!(s.open(&[]), Err(SealError::Damaged));
    }

    #[test]
    fn old_rows_open_after_the_current_key_changes() {
        let old = Sealer::from_config(&config(&[("p1", [1; 32])], "p1")).unwrap().unwrap();
        let sealed = old.seal("张三");
        let rotated = Sealer::from_config(&config(&[("p1", [1; 32]), ("p2", [2; 32])], "p2")).unwrap().unwrap();
        assert_eq!(rotated.open(&sealed).unwrap(), "张三");
        let retired = Sealer::from_config(&config(&[("p2", [2; 32])], "p2")).unwrap().unwrap();
        assert_eq!(retired.open(&sealed), Err(SealError::UnknownKey("p1".into())));
    }

    #[test]
    fn bad_keys_are_refused_at_start() {
        assert!(Sealer::from_config(&PersonalDataConfig::default()).unwrap().is_none());
        let mut short = config(&[("p1", [1; 32])], "p1");
        short.keys.insert("p1".into(), Secret::new("c2hvcnQ="));
        assert!(Sealer::from_config(&short).is_err());
        assert!(Sealer::from_config(&config(&[("p1", [1; 32])], "p9")).is_err());
    }
}
