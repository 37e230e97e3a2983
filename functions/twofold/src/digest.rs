//! Keyed digests of confirmation codes and plain digests of secret tokens.
//!
//! A code is stored only as HMAC-SHA256 under a server-side key, over the
//! purpose, the user and the pending sign-in it was sent for, so a digest
//! read from the table is useless without the key and a code is bound to
//! where it was sent. Comparison is constant-time.
//!
//! Tokens (pending sign-ins and sessions) are 32 random bytes; the store
//! keeps only their SHA-256.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use twofold_shared::ConfirmationCode;

use crate::model::Purpose;

/// The server-side key codes are digested under. Debug hides it.
#[derive(Clone)]
pub struct CodeKey(Vec<u8>);

/// Why a key was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormat {
    /// Not hexadecimal.
    #[error("the code key must be hexadecimal")]
    NotHex,
    /// Fewer than 32 bytes.
    #[error("the code key must be at least 32 bytes (64 hex digits)")]
    TooShort,
}

impl CodeKey {
    /// Reads a key written as hex; at least 32 bytes.
    pub fn from_hex(text: &str) -> Result<Self, KeyFormat> {
        let bytes = hex::decode(text.trim()).map_err(|_| KeyFormat::NotHex)?;
        if bytes.len() < 32 {
            return Err(KeyFormat::TooShort);
        }
        Ok(Self(bytes))
    }

    #[expect(clippy::expect_used, reason = "HMAC takes keys of any length")]
    fn mac(&self) -> Hmac<Sha256> {
        Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length")
    }

    /// The digest stored for `code`, bound to its purpose, user and binding.
    pub fn digest(
        &self,
        purpose: Purpose,
        user_id: &str,
        binding: &str,
        code: &ConfirmationCode,
    ) -> String {
        let mut mac = self.mac();
        for part in [purpose.as_str(), user_id, binding, code.digits()] {
            // Length prefixes keep the fields from running into each other.
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        hex::encode(mac.finalize().into_bytes())
    }

    /// Whether `code` is the one `stored` was made from, in constant time.
    pub fn matches(
        &self,
        stored: &str,
        purpose: Purpose,
        user_id: &str,
        binding: &str,
        code: &ConfirmationCode,
    ) -> bool {
        let fresh = self.digest(purpose, user_id, binding, code);
        fresh.as_bytes().ct_eq(stored.as_bytes()).into()
    }
}

impl fmt::Debug for CodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeKey(***)")
    }
}

/// A secret token handed to the browser in a cookie: `user-id.secret`.
///
/// The user id lets the store find the user's partition; the secret is what
/// proves possession, and only its SHA-256 is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    user_id: String,
    secret: String,
}

impl Token {
    /// A new token for `user_id` from 32 random bytes.
    pub fn new(user_id: &str, secret: [u8; 32]) -> Self {
        Self {
            user_id: user_id.to_owned(),
            secret: URL_SAFE_NO_PAD.encode(secret),
        }
    }

    /// Reads a cookie value; `None` when it cannot be a token.
    pub fn parse(value: &str) -> Option<Self> {
        let (user_id, secret) = value.split_once('.')?;
        let shaped = !user_id.is_empty()
            && user_id.len() <= 64
            && user_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && secret.len() == 43
            && URL_SAFE_NO_PAD.decode(secret).is_ok();
        shaped.then(|| Self {
            user_id: user_id.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// The user the token belongs to.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// What the store keeps: the SHA-256 of the secret, in hex.
    pub fn digest(&self) -> String {
        hex::encode(Sha256::digest(self.secret.as_bytes()))
    }

    /// The cookie value. Only the HTTP layer should need this.
    pub fn cookie_value(&self) -> String {
        format!("{}.{}", self.user_id, self.secret)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({}.***)", self.user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> CodeKey {
        CodeKey::from_hex(&"ab".repeat(32)).unwrap()
    }

    fn code(s: &str) -> ConfirmationCode {
        ConfirmationCode::parse(s).unwrap()
    }

    #[test]
    fn a_code_matches_only_its_own_purpose_user_and_binding() {
        let key = key();
        let stored = key.digest(Purpose::SignIn, "u1", "p1", &code("123456"));
        assert!(key.matches(&stored, Purpose::SignIn, "u1", "p1", &code("123456")));
        assert!(!key.matches(&stored, Purpose::SignIn, "u1", "p1", &code("123457")));
        assert!(!key.matches(
            &stored,
            Purpose::EnableTwoFactor,
            "u1",
            "p1",
            &code("123456")
        ));
        assert!(!key.matches(&stored, Purpose::SignIn, "u2", "p1", &code("123456")));
        assert!(!key.matches(&stored, Purpose::SignIn, "u1", "p2", &code("123456")));
    }

    #[test]
    fn another_key_gives_another_digest() {
        let other = CodeKey::from_hex(&"cd".repeat(32)).unwrap();
        let c = code("000001");
        assert_ne!(
            key().digest(Purpose::SignIn, "u", "b", &c),
            other.digest(Purpose::SignIn, "u", "b", &c)
        );
    }

    #[test]
    fn keys_must_be_long_hex() {
        assert_eq!(CodeKey::from_hex("zz").unwrap_err(), KeyFormat::NotHex);
        assert_eq!(
            CodeKey::from_hex(&"ab".repeat(31)).unwrap_err(),
            KeyFormat::TooShort
        );
        assert!(!format!("{:?}", key()).contains("ab"));
    }

    #[test]
    fn tokens_round_trip_through_their_cookie_value() {
        let token = Token::new("user-1", [7; 32]);
        let parsed = Token::parse(&token.cookie_value()).unwrap();
        assert_eq!(parsed, token);
        assert_eq!(parsed.digest(), token.digest());
        assert!(!format!("{token:?}").contains(&token.secret));
    }

    #[test]
    fn malformed_token_values_are_refused() {
        let good = Token::new("user-1", [7; 32]).cookie_value();
        let secret = good.split_once('.').unwrap().1;
        for bad in [
            "",
            "no-dot",
            &format!(".{secret}"),
            &format!("user 1.{secret}"),
            "user-1.short",
            &format!("user-1.{secret}x"),
        ] {
            assert!(Token::parse(bad).is_none(), "{bad:?}");
        }
    }
}
