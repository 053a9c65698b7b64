//! Why a merchant-presented payload was refused.
//!
//! Offsets count characters from the start of the payload (not bytes), the unit the lengths use,
//! so a person can count along the string. A sub-field's tag reads `26/01`: sub-field `01` of
//! template `26`.

use thiserror::Error;

/// A payload that cannot be trusted as read: its structure or its CRC is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("the payload is empty")]
    Empty,

    #[error("the payload is {chars} characters long; at most {max} are read")]
    TooLong { chars: usize, max: usize },

    #[error("at character {offset}: expected a two-digit tag id, found {found:?}")]
    NonDigitId { offset: usize, found: String },

    #[error("tag {tag} at character {offset}: expected a two-digit length, found {found:?}")]
    NonDigitLength { tag: String, offset: usize, found: String },

    /// Fewer than four characters left where a field's id and length should start.
    #[error("at character {offset}: {remaining} character(s) left, too few for a tag id and length")]
    IncompleteHeader { offset: usize, remaining: usize },

    #[error("tag {tag} at character {offset} declares {declared_len} characters but only {remaining} remain")]
    Truncated { tag: String, offset: usize, declared_len: usize, remaining: usize },

    #[error("tag {tag} (payload format indicator) must come first; the payload starts with tag {found}")]
    NotFirst { tag: String, found: String },

    #[error("tag 00 (payload format indicator) must be \"01\", found {found:?}")]
    FormatIndicator { found: String },

    #[error("tag 63 (CRC) is missing")]
    MissingCrc,

    #[error("tag {tag} (CRC) at character {offset} must be last, but tag {following} follows it")]
    NotLast { tag: String, offset: usize, following: String },

    #[error("tag 63 (CRC) at character {offset} must have length 04, found {declared_len:02}")]
    CrcLength { offset: usize, declared_len: usize },

    #[error("tag 63 (CRC) at character {offset} must be four hex digits, found {found:?}")]
    CrcNotHex { offset: usize, found: String },

    #[error("CRC mismatch: the payload says {found} but its contents give {expected}")]
    CrcMismatch { expected: String, found: String },

    #[error("tag {tag} appears twice, at characters {first_offset} and {offset}")]
    DuplicateTag { tag: String, offset: usize, first_offset: usize },
}

/// A payload the encoder will not write, because reading it back would fail or give something else.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    #[error("tag id {id:?} is not two digits")]
    InvalidId { id: String },

    #[error("tag {tag}: the value is {chars} characters long; a length has two digits, so at most 99 fit")]
    ValueTooLong { tag: String, chars: usize },

    #[error("tag {tag} is given twice")]
    DuplicateTag { tag: String },

    #[error("tag 63 (CRC) is computed by the encoder; leave it out")]
    CrcGiven,

    #[error("tag 00 (payload format indicator) must be \"01\", found {found:?}")]
    FormatIndicator { found: String },

    #[error("tag {tag} is a template: give its sub-fields, not text")]
    TemplateExpected { tag: String },

    #[error("tag {tag} holds text, not sub-fields")]
    TextExpected { tag: String },

    #[error("tag {tag}: templates are read one level deep, so a template inside a template would come back as text")]
    NestedTemplate { tag: String },

    /// 80–99 are read as a template exactly when the value is non-empty and splits into
    /// sub-fields, so text that splits (or an empty template) would come back as the other kind.
    #[error(
        "tag {tag}: this value would be read back as the other kind (text that splits into sub-fields, or an empty template)"
    )]
    Ambiguous { tag: String },

    #[error("the payload would be {chars} characters long; at most {max} are read")]
    TooLong { chars: usize, max: usize },

    #[error("tag {tag} must be {expected} digits, found {found:?}")]
    FixedWidth { tag: String, expected: usize, found: String },

    #[error("template {tag}: sub-tag {sub} is reserved for {reserved}")]
    ReservedSubTag { tag: String, sub: String, reserved: &'static str },
}
