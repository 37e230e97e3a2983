//! Where confirmation codes go: an email address or a mobile phone, and the
//! method a user picks between them.
//!
//! Both types hold a canonical form. Their `Debug` shows only the masked form,
//! so a full address or number never reaches a log through formatting.

use std::fmt;

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::mask;

/// How a confirmation code is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// By email, through SES.
    Email,
    /// By text message, through SNS.
    Text,
}

impl Method {
    /// The label a person sees when choosing.
    pub fn label(self) -> &'static str {
        match self {
            Method::Email => "Email Address",
            Method::Text => "Text Message",
        }
    }
}

/// An email address in canonical form: Unicode compatibility-normalised
/// (NFKC), lower-cased, normalised again, and trimmed; ASCII only, as SES
/// sends. `Mike@Example.com`,
/// `mike@example.com` and the full-width `ｍｉｋｅ＠ｅｘａｍｐｌｅ．ｃｏｍ` are one
/// address.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

/// Why text is not an email address Twofold can send to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailFormat {
    /// No `@`, more than one, or nothing on one side of it.
    NotAnAddress,
    /// The domain has no dot, or an empty label.
    BadDomain,
    /// Longer than the 254 characters mail systems accept.
    TooLong,
    /// Letters outside ASCII even after normalising: SES sends only to
    /// 7-bit addresses, with an international domain in its `xn--` form.
    NotAscii,
}

impl Email {
    /// Reads and canonicalises an address a person typed.
    pub fn parse(text: &str) -> Result<Self, EmailFormat> {
        let email = Self::stored(text)?;
        if !email.0.is_ascii() {
            return Err(EmailFormat::NotAscii);
        }
        Ok(email)
    }

    /// Reads an address as the table holds it: every rule of [`Email::parse`]
    /// but the ASCII one, so an address saved before that rule still reads,
    /// and its user can still sign in or be given a new address.
    pub fn stored(text: &str) -> Result<Self, EmailFormat> {
        let folded: String = text.nfkc().collect::<String>().to_lowercase();
        let canonical: String = folded.nfkc().collect();
        let text = canonical.trim();
        if text.len() > 254 {
            return Err(EmailFormat::TooLong);
        }
        let (local, domain) = text.split_once('@').ok_or(EmailFormat::NotAnAddress)?;
        if local.is_empty()
            || domain.contains('@')
            || text.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(EmailFormat::NotAnAddress);
        }
        if !domain.contains('.') || domain.split('.').any(str::is_empty) {
            return Err(EmailFormat::BadDomain);
        }
        Ok(Self(text.to_owned()))
    }

    /// The canonical address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address as a person may see it: `j•••@example.com`.
    pub fn masked(&self) -> String {
        mask::email(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}

/// A phone number in E.164 form: `+` and 8 to 15 digits, the first not zero.
///
/// This checks the shape only; the functions decide with a numbering plan
/// whether the number can be a mobile phone.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Accepts a number already in E.164 form.
    pub fn from_e164(text: &str) -> Option<Self> {
        let digits = text.strip_prefix('+')?;
        let shaped = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        shaped.then(|| Self(text.to_owned()))
    }

    /// The E.164 number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number as a person may see it: `•••-•••-1234`.
    pub fn masked(&self) -> String {
        mask::phone(&self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_canonicalised_or_refused() {
        let cases = [
            (" Mike@Example.COM ", Ok("mike@example.com")),
            ("ｍｉｋｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", Ok("mike@example.com")),
            ("Ｍike@example.com", Ok("mike@example.com")),
            ("ÉLODIE@exemple.fr", Err(EmailFormat::NotAscii)),
            ("elodie@bücher.example", Err(EmailFormat::NotAscii)),
            (
                "elodie@xn--bcher-kva.example",
                Ok("elodie@xn--bcher-kva.example"),
            ),
            // A dotted capital I lower-cases to i and a combining dot.
            ("PAT.QUİNN@example.com", Err(EmailFormat::NotAscii)),
            ("a.b+c@mail.example.org", Ok("a.b+c@mail.example.org")),
            ("mike.example.com", Err(EmailFormat::NotAnAddress)),
            ("@example.com", Err(EmailFormat::NotAnAddress)),
            ("a@b@example.com", Err(EmailFormat::NotAnAddress)),
            ("mi ke@example.com", Err(EmailFormat::NotAnAddress)),
            ("mike@localhost", Err(EmailFormat::BadDomain)),
            ("mike@example..com", Err(EmailFormat::BadDomain)),
        ];
        for (text, want) in cases {
            let got = Email::parse(text).map(|e| e.as_str().to_owned());
            assert_eq!(got, want.map(str::to_owned), "text {text:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(Email::parse(&long), Err(EmailFormat::TooLong));
    }

    #[test]
    fn an_address_stored_before_the_ascii_rule_still_reads() {
        assert_eq!(
            Email::stored("élodie@exemple.fr").map(|e| e.as_str().to_owned()),
            Ok("élodie@exemple.fr".to_owned())
        );
        assert_eq!(
            Email::parse("élodie@exemple.fr"),
            Err(EmailFormat::NotAscii)
        );
        assert_eq!(Email::stored("élodie"), Err(EmailFormat::NotAnAddress));
    }

    #[test]
    fn phones_must_be_shaped_like_e164() {
        assert!(Phone::from_e164("+14155550123").is_some());
        assert!(Phone::from_e164("4155550123").is_none());
        assert!(Phone::from_e164("+0155550123").is_none());
        assert!(Phone::from_e164("+1415555012a").is_none());
        assert!(Phone::from_e164("+1234567").is_none());
        assert!(Phone::from_e164("+1234567890123456").is_none());
    }

    #[test]
    fn debug_shows_only_the_masked_form() {
        let email = Email::parse("jane.doe@example.com").unwrap();
        let phone = Phone::from_e164("+14155550123").unwrap();
        let shown = format!("{email:?} {phone:?}");
        assert!(!shown.contains("jane.doe"), "{shown}");
        assert!(!shown.contains("4155550123"), "{shown}");
    }
}
