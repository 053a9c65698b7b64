//! Why a consumer-presented code was refused.
//!
//! Offsets are byte offsets into the decoded BER-TLV, except for base64 errors, which count
//! characters of the text. A nested tag reads `62/64/9F26`.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("invalid base64 at character {offset}: {reason}")]
    Base64At { offset: usize, reason: String },

    #[error("invalid base64: {reason}")]
    Base64 { reason: String },

    #[error("the code is empty")]
    Empty,

    #[error("the code is {bytes} bytes long; at most {max} are read")]
    TooLong { bytes: usize, max: usize },

    #[error("the tag starting at byte {offset} runs past the end or past four bytes")]
    BadTag { offset: usize },

    #[error("tag {tag} at byte {offset} has no length")]
    MissingLength { tag: String, offset: usize },

    #[error("tag {tag} at byte {offset} uses the indefinite length form (0x80); only definite lengths are allowed")]
    IndefiniteLength { tag: String, offset: usize },

    #[error("tag {tag} at byte {offset}: expected a short length or 0x81/0x82, found 0x{found:02X}")]
    LengthForm { tag: String, offset: usize, found: u8 },

    #[error("tag {tag} at byte {offset}: its long-form length runs past the end")]
    TruncatedLength { tag: String, offset: usize },

    #[error("tag {tag} at byte {offset} declares {declared_len} bytes but only {remaining} remain")]
    Overrun { tag: String, offset: usize, declared_len: usize, remaining: usize },

    #[error("tag {tag} at byte {offset} nests deeper than {max} levels")]
    TooDeep { tag: String, offset: usize, max: usize },

    #[error("tag 85 (payload format indicator) must come first; found tag {found}")]
    FormatNotFirst { found: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    #[error("tag 85 (payload format indicator) must come first")]
    FormatNotFirst,

    #[error("tag {tag} is constructed (bit 0x20): give its children, not bytes")]
    ChildrenExpected { tag: String },

    #[error("tag {tag} is primitive: give bytes, not children")]
    BytesExpected { tag: String },

    #[error("tag {tag}: {len} bytes do not fit the 0x82 length form (at most 65,535)")]
    ValueTooLong { tag: String, len: usize },

    #[error("tag {tag} nests deeper than {max} levels")]
    TooDeep { tag: String, max: usize },

    #[error("the code would be {bytes} bytes long; at most {max} are read")]
    TooLong { bytes: usize, max: usize },
}
