//! Masking of destinations: enough for a person to recognise their own
//! address or phone, not enough to learn someone else's.

/// The mark that stands for hidden characters.
pub const HIDDEN: &str = "•••";

/// `jane.doe@example.com` becomes `j•••@example.com`.
pub fn email(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}{HIDDEN}@{domain}")
        }
        None => HIDDEN.to_owned(),
    }
}

/// `+14155550123` becomes `•••-•••-0123`: the last four digits only.
pub fn phone(number: &str) -> String {
    let digits: Vec<char> = number.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 8 {
        return format!("{HIDDEN}-{HIDDEN}-{HIDDEN}");
    }
    let last: String = digits[digits.len() - 4..].iter().collect();
    format!("{HIDDEN}-{HIDDEN}-{last}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_keep_the_first_letter_and_the_domain() {
        let cases = [
            ("jane.doe@example.com", "j•••@example.com"),
            ("j@example.com", "j•••@example.com"),
            ("élodie@exemple.fr", "é•••@exemple.fr"),
            ("not-an-address", "•••"),
        ];
        for (address, want) in cases {
            assert_eq!(email(address), want, "address {address:?}");
        }
    }

    #[test]
    fn phones_keep_the_last_four_digits() {
        let cases = [
            ("+14155550123", "•••-•••-0123"),
            ("+447700900461", "•••-•••-0461"),
            ("+1234", "•••-•••-•••"),
        ];
        for (number, want) in cases {
            assert_eq!(phone(number), want, "number {number:?}");
        }
    }
}
