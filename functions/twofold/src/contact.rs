//! Reading contact details as administrators type them: email addresses
//! to their canonical form, phone numbers through libphonenumber's rules to
//! E.164, refusing what cannot be a mobile phone. Each problem is worded for
//! the person at the form.

use phonenumber::country::Id;
use phonenumber::metadata::DATABASE;
use phonenumber::{Mode, Type};
use twofold_shared::contact::EmailFormat;
use twofold_shared::{Email, Phone};

/// Reads an email address, or says what is wrong with it.
pub fn email(text: &str) -> Result<Email, String> {
    Email::parse(text).map_err(|problem| {
        match problem {
            EmailFormat::NotAnAddress => "Enter an email address such as name@example.com.",
            EmailFormat::BadDomain => "The part after @ must be a domain such as example.com.",
            EmailFormat::TooLong => "An email address can be at most 254 characters.",
            EmailFormat::NotAscii => {
                "Enter the address in plain letters a to z, digits and symbols; \
                 write an international domain in its xn-- form."
            }
        }
        .to_owned()
    })
}

/// Reads a mobile phone number written as people write them: national
/// (`(555) 010-4477`, read in `region`), international (`+1 555 010 4477`)
/// or with an international call prefix (`011 …` from the US, `00 …`
/// elsewhere).
pub fn mobile(text: &str, region: Id) -> Result<Phone, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("Enter a mobile phone number.".to_owned());
    }
    let number = phonenumber::parse(Some(region), trimmed)
        .map_err(|_| "Enter a phone number such as +1 415 555 0123.".to_owned())?;
    if number.extension().is_some() {
        return Err("Enter the mobile number alone, without an extension.".to_owned());
    }
    if !number.is_valid() {
        return Err("That is not a valid phone number.".to_owned());
    }
    match number.number_type(&DATABASE) {
        Type::Mobile | Type::FixedLineOrMobile => {}
        _ => return Err("That number cannot receive text messages: enter a mobile phone.".into()),
    }
    let e164 = number.format().mode(Mode::E164).to_string();
    Phone::from_e164(&e164).ok_or_else(|| "That is not a valid phone number.".to_owned())
}

/// The region national numbers are read in, from its two-letter code.
pub fn region(code: &str) -> Option<Id> {
    code.trim().to_ascii_uppercase().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_number_in_many_writings_is_one_e164() {
        let us = region("us").unwrap();
        for typed in [
            "(415) 555-2671",
            "+1 415 555 2671",
            "011 1 415 555 2671",
            "415.555.2671",
        ] {
            assert_eq!(
                mobile(typed, us).unwrap().as_str(),
                "+14155552671",
                "{typed:?}"
            );
        }
        let gb = region("GB").unwrap();
        for typed in ["07911 123456", "+44 7911 123456", "00 44 7911 123456"] {
            assert_eq!(
                mobile(typed, gb).unwrap().as_str(),
                "+447911123456",
                "{typed:?}"
            );
        }
    }

    #[test]
    fn numbers_that_cannot_be_mobiles_are_refused() {
        let gb = region("GB").unwrap();
        // A London landline and a freephone number.
        for typed in ["020 7946 0018", "0800 123 4567"] {
            assert!(mobile(typed, gb).is_err(), "{typed:?}");
        }
        // The UK's drama range and a US area code that does not exist.
        for typed in [
            "07700 900123",
            "+1 555 010 4477",
            "",
            "12",
            "not a number",
            "+1555",
        ] {
            assert!(mobile(typed, gb).is_err(), "{typed:?}");
        }
    }
}
