//! BER tags of one to four bytes.

use std::fmt;

use super::MAX_TAG_BYTES;

/// A well-formed BER tag: one byte, or a first byte whose low five bits are all set followed by
/// bytes with the top bit set and a last one without. Printed as uppercase hex (`9F26`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    bytes: [u8; MAX_TAG_BYTES],
    len: u8,
}

impl Tag {
    pub const PAYLOAD_FORMAT: Tag = Tag::one(0x85);
    pub const APPLICATION_TEMPLATE: Tag = Tag::one(0x61);
    pub const COMMON_DATA_TEMPLATE: Tag = Tag::one(0x62);
    pub const APPLICATION_SPECIFIC_TRANSPARENT: Tag = Tag::one(0x63);
    pub const COMMON_DATA_TRANSPARENT: Tag = Tag::one(0x64);
    pub const ADF_NAME: Tag = Tag::one(0x4F);
    pub const APPLICATION_LABEL: Tag = Tag::one(0x50);
    pub const TRACK2: Tag = Tag::one(0x57);
    pub const PAN: Tag = Tag::one(0x5A);
    pub const CARDHOLDER_NAME: Tag = Tag::two(0x5F, 0x20);
    pub const LANGUAGE_PREFERENCE: Tag = Tag::two(0x5F, 0x2D);
    pub const ISSUER_APPLICATION_DATA: Tag = Tag::two(0x9F, 0x10);
    pub const TOKEN_REQUESTOR_ID: Tag = Tag::two(0x9F, 0x19);
    pub const PAYMENT_ACCOUNT_REFERENCE: Tag = Tag::two(0x9F, 0x24);
    pub const PAN_LAST4: Tag = Tag::two(0x9F, 0x25);
    pub const APPLICATION_CRYPTOGRAM: Tag = Tag::two(0x9F, 0x26);
    pub const CRYPTOGRAM_INFORMATION: Tag = Tag::two(0x9F, 0x27);
    pub const ATC: Tag = Tag::two(0x9F, 0x36);
    pub const UNPREDICTABLE_NUMBER: Tag = Tag::two(0x9F, 0x37);

    const fn one(b: u8) -> Tag {
        Tag { bytes: [b, 0, 0, 0], len: 1 }
    }

    const fn two(a: u8, b: u8) -> Tag {
        Tag { bytes: [a, b, 0, 0], len: 2 }
    }

    /// `None` unless `bytes` is exactly one well-formed tag.
    pub fn new(bytes: &[u8]) -> Option<Tag> {
        if bytes.is_empty() || bytes.len() > MAX_TAG_BYTES || Tag::len_from(bytes)? != bytes.len() {
            return None;
        }
        let mut out = [0; MAX_TAG_BYTES];
        out[..bytes.len()].copy_from_slice(bytes);
        Some(Tag { bytes: out, len: bytes.len() as u8 })
    }

    /// Parses hex such as `9F26` (either case).
    pub fn from_hex(hex: &str) -> Option<Tag> {
        if !hex.len().is_multiple_of(2) || hex.len() > 2 * MAX_TAG_BYTES {
            return None;
        }
        let bytes: Option<Vec<u8>> =
            (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok()).collect();
        Tag::new(&bytes?)
    }

    /// How many bytes the tag starting `bytes` takes, or `None` when it runs past the end or past
    /// [`MAX_TAG_BYTES`].
    pub(crate) fn len_from(bytes: &[u8]) -> Option<usize> {
        let first = *bytes.first()?;
        if first & 0x1F != 0x1F {
            return Some(1);
        }
        for (i, b) in bytes.iter().enumerate().skip(1).take(MAX_TAG_BYTES - 1) {
            if b & 0x80 == 0 {
                return Some(i + 1);
            }
        }
        None
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// BER's constructed bit: the value is a sequence of TLVs.
    pub fn is_constructed(&self) -> bool {
        self.bytes[0] & 0x20 != 0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_bytes().iter().try_for_each(|b| write!(f, "{b:02X}"))
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_byte_tag_reads_and_prints_as_hex() {
        let t = Tag::from_hex("9f26").unwrap();
        assert_eq!(t, Tag::APPLICATION_CRYPTOGRAM);
        assert_eq!(t.to_string(), "9F26");
        assert!(!t.is_constructed());
        assert!(Tag::COMMON_DATA_TEMPLATE.is_constructed());
    }

    #[test]
    fn malformed_tags_are_refused() {
        assert_eq!(Tag::new(&[0x9F]), None, "a multi-byte tag cut short");
        assert_eq!(Tag::new(&[0x85, 0x01]), None, "a one-byte tag with a stray byte");
        assert_eq!(Tag::new(&[0x9F, 0x81, 0x81, 0x81, 0x01]), None, "longer than four bytes");
        assert_eq!(Tag::from_hex("9F2"), None);
    }
}
