//! The crate's two errors: a name that cannot be written in Zengin form, and a transfer file
//! that cannot be written or read. Each names exactly what to fix, because the person reading it
//! is usually correcting a name or a bank's file by hand.

use std::fmt;

/// Why a name has no Zengin form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing is left once spaces and entity words (株式会社…) are set aside.
    #[error("the name is empty, or holds only an entity word such as 株式会社")]
    Empty,
    /// A kanji: only the person can say how it reads, so the name needs its kana.
    #[error("'{ch}' at character {position} is a kanji; give the name in kana")]
    NeedsReading {
        ch: char,
        /// 1-based position of the character in the input, as a person counts.
        position: usize,
    },
    /// A character with no Zengin form (a comma, a symbol, an emoji, a control character).
    #[error(
        "{ch:?} (U+{code:04X}) at character {position} cannot be written in a Zengin name, which allows \
         kana, A-Z, 0-9, space and ( ) - . /",
        code = u32::from(*ch)
    )]
    Unsupported {
        ch: char,
        /// 1-based position of the character in the input.
        position: usize,
    },
    /// Longer in Zengin form than the field it is meant for.
    #[error("the name is {chars} characters in Zengin form (a voiced kana counts two); the limit is {max}")]
    TooLong { chars: usize, max: usize },
    /// Refused unread: far longer than any name.
    #[error("the input is {chars} characters; a name is at most {max}")]
    InputTooLong { chars: usize, max: usize },
}

/// The four kinds of record in a Zengin file, by their data type digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// Data type 1 (ヘッダー・レコード).
    Header,
    /// Data type 2 (データ・レコード).
    Data,
    /// Data type 8 (トレーラ・レコード).
    Trailer,
    /// Data type 9 (エンド・レコード).
    End,
}

impl fmt::Display for RecordKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Header => "header",
            Self::Data => "data",
            Self::Trailer => "trailer",
            Self::End => "end",
        })
    }
}

/// Why a transfer file cannot be written or read.
///
/// Offsets count bytes from the start of the file, line breaks included, so they can be found
/// with any hex viewer; when writing, they are where the field would have been.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// One field holds what its layout forbids.
    #[error("record {record} ({kind}), {field} at byte {offset}: expected {expected}, found {found}")]
    Field {
        /// 1-based: the header is record 1.
        record: usize,
        kind: RecordKind,
        /// The struct field's name, e.g. `recipient_name`; the README maps it to the layout.
        field: &'static str,
        offset: usize,
        expected: String,
        found: String,
    },
    /// The bytes are not a sequence of 120-byte records with consistent line breaks.
    #[error("byte {offset}: expected {expected}, found {found}")]
    Framing { offset: usize, expected: String, found: String },
    /// No data records, or more than the trailer's six-digit count can hold.
    #[error("a transfer file holds 1 to {max} data records, found {count}")]
    RecordCount { count: usize, max: usize },
}
