//! The one place randomness is drawn: confirmation codes and secret tokens
//! come from the operating system's random source.

use twofold_shared::ConfirmationCode;

/// Where codes and tokens come from.
pub trait Random: Send + Sync {
    /// A uniformly drawn six-digit code.
    fn code(&self) -> Result<ConfirmationCode, RandomUnavailable>;
    /// 32 random bytes.
    fn secret(&self) -> Result<[u8; 32], RandomUnavailable>;
}

/// The operating system gave no randomness.
#[derive(Debug, thiserror::Error)]
#[error("the operating system's random source failed")]
pub struct RandomUnavailable;

/// The operating system's random source.
#[derive(Clone, Copy, Debug, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    fn code(&self) -> Result<ConfirmationCode, RandomUnavailable> {
        // Rejection sampling keeps every code equally likely: 4_294_000_000
        // is the largest multiple of one million that fits in a u32.
        const ZONE: u32 = 4_294_000_000;
        loop {
            let mut bytes = [0u8; 4];
            getrandom::fill(&mut bytes).map_err(|_| RandomUnavailable)?;
            let n = u32::from_le_bytes(bytes);
            if n < ZONE {
                return ConfirmationCode::from_number(n % 1_000_000).ok_or(RandomUnavailable);
            }
        }
    }

    fn secret(&self) -> Result<[u8; 32], RandomUnavailable> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| RandomUnavailable)?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: HashSet<String> = (0..200)
            .map(|_| OsRandom.code().unwrap().digits().to_owned())
            .collect();
        assert!(codes.iter().all(|c| c.len() == 6));
        // 200 draws from a million collide rarely; a stuck source gives one.
        assert!(codes.len() > 190, "only {} distinct codes", codes.len());
    }

    #[test]
    fn secrets_differ() {
        assert_ne!(OsRandom.secret().unwrap(), OsRandom.secret().unwrap());
    }
}
