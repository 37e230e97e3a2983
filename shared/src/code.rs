//! The six-digit confirmation code a user types after the password.
//!
//! A code is parsed from what a person typed: spaces and dashes between the
//! digits are forgiven, anything else is refused. Its `Debug` never shows the
//! digits, so a code cannot reach a log by accident.

use std::fmt;

use crate::policy::CODE_LENGTH;

/// Six ASCII digits, leading zeros kept.
#[derive(Clone, PartialEq, Eq)]
pub struct ConfirmationCode(String);

/// Why typed text is not a confirmation code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodeFormat {
    /// Something other than digits, spaces and dashes.
    NotDigits,
    /// Not exactly [`CODE_LENGTH`] digits.
    WrongLength,
}

impl ConfirmationCode {
    /// Reads a code as a person typed it.
    pub fn parse(typed: &str) -> Result<Self, CodeFormat> {
        let mut digits = String::with_capacity(CODE_LENGTH);
        for c in typed.trim().chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                _ => return Err(CodeFormat::NotDigits),
            }
        }
        if digits.len() != CODE_LENGTH {
            return Err(CodeFormat::WrongLength);
        }
        Ok(Self(digits))
    }

    /// Builds a code from a number below one million, zero-padded.
    pub fn from_number(n: u32) -> Option<Self> {
        (n < 1_000_000).then(|| Self(format!("{n:06}")))
    }

    /// The digits, for the message that delivers the code and for its digest.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ConfirmationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConfirmationCode(******)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_codes_are_read_or_refused() {
        let cases = [
            ("123456", Ok("123456")),
            (" 012345 ", Ok("012345")),
            ("123 456", Ok("123456")),
            ("123-456", Ok("123456")),
            ("12345", Err(CodeFormat::WrongLength)),
            ("1234567", Err(CodeFormat::WrongLength)),
            ("", Err(CodeFormat::WrongLength)),
            ("12345a", Err(CodeFormat::NotDigits)),
            ("١٢٣٤٥٦", Err(CodeFormat::NotDigits)),
        ];
        for (typed, want) in cases {
            let got = ConfirmationCode::parse(typed).map(|c| c.digits().to_owned());
            assert_eq!(got, want.map(str::to_owned), "typed {typed:?}");
        }
    }

    #[test]
    fn numbers_become_zero_padded_codes() {
        assert_eq!(
            ConfirmationCode::from_number(42).unwrap().digits(),
            "000042"
        );
        assert_eq!(
            ConfirmationCode::from_number(999_999).unwrap().digits(),
            "999999"
        );
        assert!(ConfirmationCode::from_number(1_000_000).is_none());
    }

    #[test]
    fn debug_never_shows_the_digits() {
        let code = ConfirmationCode::parse("987654").unwrap();
        assert!(!format!("{code:?}").contains("987654"));
    }
}
