//! The Luhn (mod 10) check digit that every card number ends with. It catches a mistyped digit
//! or two swapped neighbours before a number costs a network round trip; it is not a secret and
//! proves nothing about the card.

/// Whether `digits` (ASCII `0`–`9` only) ends in a correct Luhn check digit. A string with any
/// other byte, or an empty one, is not valid.
pub fn is_valid(digits: &str) -> bool {
    let bytes = digits.as_bytes();
    match bytes.split_last() {
        Some((&last, body)) if last.is_ascii_digit() => check_digit_of(body) == Some(last - b'0'),
        _ => false,
    }
}

/// The digit that, appended to `digits`, makes a Luhn-valid string. `None` when `digits` holds
/// anything but ASCII digits.
pub fn check_digit(digits: &str) -> Option<u8> {
    check_digit_of(digits.as_bytes())
}

fn check_digit_of(body: &[u8]) -> Option<u8> {
    let mut sum = 0u32;
    // Counting from the right of the body, every first digit is doubled: it will be the second
    // from the right once the check digit is appended.
    for (i, &b) in body.iter().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        let d = u32::from(b - b'0');
        sum += if i % 2 == 0 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d };
    }
    Some(((10 - sum % 10) % 10) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn published_test_numbers_pass_and_one_changed_digit_fails() {
        for n in ["4111111111111111", "5555555555554444", "378282246310005", "3530111333300000", "6011111111111117"] {
            assert!(is_valid(n), "{n}");
        }
        assert!(!is_valid("4111111111111112"));
        assert!(!is_valid(""));
        assert!(!is_valid("4111 1111"));
        assert_eq!(check_digit("411111111111111"), Some(1));
        assert_eq!(check_digit("4x"), None);
    }
}
