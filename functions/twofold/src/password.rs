//! Password hashing with Argon2id (the crate's defaults: 19 MiB, 2 passes).
//!
//! An unknown username is checked against a fixed hash all the same, so the
//! time an answer takes does not tell whether the username exists.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Hashing failed; only a broken random source or parameters cause this.
#[derive(Debug, thiserror::Error)]
#[error("the password could not be hashed")]
pub struct HashFailed;

/// The PHC string of an Argon2id hash of `password` under a random salt.
pub fn hash(password: &str) -> Result<String, HashFailed> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| HashFailed)?;
    let salt = SaltString::encode_b64(&salt).map_err(|_| HashFailed)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|_| HashFailed)
}

/// Whether `password` matches the stored PHC string. A malformed stored
/// hash matches nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// Spends the time of one verification for a username that does not exist.
pub fn verify_nobody(password: &str) {
    static NOBODY: OnceLock<Option<String>> = OnceLock::new();
    if let Some(stored) = NOBODY.get_or_init(|| hash("no user has this password").ok()) {
        let _ = verify(password, stored);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_own_password_only() {
        let stored = hash("correct horse").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse", &stored));
        assert!(!verify("correct horse ", &stored));
        assert!(!verify("correct horse", "not a hash"));
    }

    #[test]
    fn the_same_password_gets_a_new_salt_each_time() {
        assert_ne!(hash("pw").unwrap(), hash("pw").unwrap());
    }
}
