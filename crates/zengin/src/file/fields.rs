//! Fixed-width fields and record framing shared by every record kind.
//!
//! Numeric fields (N) are right-aligned and zero-filled; text fields (C) are left-aligned and
//! space-filled, one JIS X 0201 byte per Zengin character. Writing and reading are strict
//! mirrors, so a file read back equals what was written.

use std::ops::Range;

use super::LineEnding;
use crate::error::{FileError, RecordKind};
use crate::kana::{is_zengin_char, jis8_byte, jis8_char};

pub(crate) const RECORD_LEN: usize = 120;
pub(crate) type Record = [u8; RECORD_LEN];

/// Where a record sits in the file, for errors that point at a byte.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Position {
    /// 1-based, the header being record 1.
    pub record: usize,
    pub kind: RecordKind,
    /// Byte offset of the record's first byte in the file.
    pub start: usize,
}

impl Position {
    pub fn new(index: usize, kind: RecordKind, stride: usize) -> Self {
        Self { record: index + 1, kind, start: index * stride }
    }

    pub fn error(
        &self,
        at: usize,
        field: &'static str,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> FileError {
        FileError::Field {
            record: self.record,
            kind: self.kind,
            field,
            offset: self.start + at,
            expected: expected.into(),
            found: found.into(),
        }
    }
}

/// Bytes as a person would read them in the file: Zengin text in quotes, other bytes as `\xNN`.
pub(crate) fn describe(bytes: &[u8]) -> String {
    let mut text = String::from("\"");
    for &byte in bytes {
        match jis8_char(byte) {
            Some(ch) if ch != '"' && ch != '\\' => text.push(ch),
            _ => text.push_str(&format!("\\x{byte:02X}")),
        }
    }
    text.push('"');
    text
}

/// One record being written, blank (spaces) except for its data type.
pub(crate) struct Writer {
    bytes: Record,
    pos: Position,
}

impl Writer {
    pub fn new(data_type: u8, pos: Position) -> Self {
        let mut bytes = [b' '; RECORD_LEN];
        bytes[0] = data_type;
        Self { bytes, pos }
    }

    pub fn finish(self) -> Record {
        self.bytes
    }

    pub fn error(
        &self,
        at: usize,
        field: &'static str,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> FileError {
        self.pos.error(at, field, expected, found)
    }

    /// Exactly as many ASCII digits as the field is wide.
    pub fn digits(&mut self, at: Range<usize>, field: &'static str, value: &str) -> Result<(), FileError> {
        let width = at.len();
        if value.len() != width || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.pos.error(at.start, field, format!("{width} digits"), format!("{value:?}")));
        }
        self.bytes[at].copy_from_slice(value.as_bytes());
        Ok(())
    }

    /// Empty for a blank field, otherwise exactly the field's width in digits.
    pub fn optional_digits(&mut self, at: Range<usize>, field: &'static str, value: &str) -> Result<(), FileError> {
        if value.is_empty() { Ok(()) } else { self.digits(at, field, value) }
    }

    /// A number, zero-filled to the field's width.
    pub fn number(&mut self, at: Range<usize>, field: &'static str, value: u64) -> Result<(), FileError> {
        let width = at.len();
        let text = format!("{value:0width$}");
        if text.len() != width {
            return Err(self.pos.error(at.start, field, format!("at most {width} digits"), text));
        }
        self.bytes[at].copy_from_slice(text.as_bytes());
        Ok(())
    }

    pub fn digit(&mut self, at: usize, value: u8) {
        debug_assert!(value <= 9);
        self.bytes[at] = b'0' + value;
    }

    pub fn byte(&mut self, at: usize, value: u8) {
        self.bytes[at] = value;
    }

    /// Zengin characters, left-aligned, no wider than the field and with no space at either end
    /// (the padding would swallow a trailing one when the file is read back).
    pub fn text(&mut self, at: Range<usize>, field: &'static str, value: &str) -> Result<(), FileError> {
        let width = at.len();
        let expected = || format!("at most {width} Zengin characters (half-width kana, A-Z, 0-9, space, ( ) - . /)");
        if let Some((index, ch)) = value.chars().enumerate().find(|(_, ch)| !is_zengin_char(*ch)) {
            return Err(self.pos.error(at.start + index, field, expected(), format!("{ch:?} in {value:?}")));
        }
        let count = value.chars().count();
        if count > width {
            return Err(self.pos.error(at.start, field, expected(), format!("{count} characters: {value:?}")));
        }
        if value.starts_with(' ') || value.ends_with(' ') {
            return Err(self.pos.error(at.start, field, "no space at either end", format!("{value:?}")));
        }
        for (slot, ch) in self.bytes[at].iter_mut().zip(value.chars()) {
            *slot = jis8_byte(ch).unwrap_or(b' ');
        }
        Ok(())
    }
}

/// One 120-byte record being read.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: Position,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8], pos: Position) -> Self {
        debug_assert_eq!(bytes.len(), RECORD_LEN);
        Self { bytes, pos }
    }

    pub fn byte(&self, at: usize) -> u8 {
        self.bytes[at]
    }

    pub fn error(&self, at: Range<usize>, field: &'static str, expected: impl Into<String>) -> FileError {
        self.pos.error(at.start, field, expected, describe(&self.bytes[at]))
    }

    pub fn digits(&self, at: Range<usize>, field: &'static str) -> Result<String, FileError> {
        let bytes = &self.bytes[at.clone()];
        if !bytes.iter().all(u8::is_ascii_digit) {
            return Err(self.error(at.clone(), field, format!("{} digits", at.len())));
        }
        Ok(bytes.iter().map(|&b| char::from(b)).collect())
    }

    /// All spaces reads as empty.
    pub fn optional_digits(&self, at: Range<usize>, field: &'static str) -> Result<String, FileError> {
        if self.bytes[at.clone()].iter().all(|&b| b == b' ') {
            return Ok(String::new());
        }
        self.digits(at.clone(), field)
            .map_err(|_| self.error(at.clone(), field, format!("{} digits or blank", at.len())))
    }

    pub fn number(&self, at: Range<usize>, field: &'static str) -> Result<u64, FileError> {
        let digits = self.digits(at.clone(), field)?;
        digits.parse().map_err(|_| self.error(at, field, "a number"))
    }

    pub fn digit(&self, at: usize, field: &'static str, expected: &str) -> Result<u8, FileError> {
        match self.bytes[at] {
            byte @ b'0'..=b'9' => Ok(byte - b'0'),
            _ => Err(self.error(at..at + 1, field, expected)),
        }
    }

    /// Zengin characters, left-aligned; the trailing padding is dropped.
    pub fn text(&self, at: Range<usize>, field: &'static str) -> Result<String, FileError> {
        let bytes = &self.bytes[at.clone()];
        let mut text = String::with_capacity(bytes.len() * 3);
        for (index, &byte) in bytes.iter().enumerate() {
            match jis8_char(byte).filter(|ch| is_zengin_char(*ch)) {
                Some(ch) => text.push(ch),
                None => {
                    let at = at.start + index;
                    return Err(self.error(
                        at..at + 1,
                        field,
                        "Zengin characters (half-width kana, A-Z, 0-9, space, ( ) - . /)",
                    ));
                }
            }
        }
        if text.starts_with(' ') && !text.trim_end().is_empty() {
            return Err(self.error(at, field, "left-aligned text"));
        }
        Ok(text.trim_end_matches(' ').to_owned())
    }

    pub fn spaces(&self, at: Range<usize>, field: &'static str) -> Result<(), FileError> {
        if self.bytes[at.clone()].iter().all(|&b| b == b' ') { Ok(()) } else { Err(self.error(at, field, "spaces")) }
    }
}

impl LineEnding {
    pub(crate) fn separator(self) -> &'static [u8] {
        match self {
            Self::CrLf => b"\r\n",
            Self::None => b"",
        }
    }
}

pub(crate) fn join(records: &[Record], line_ending: LineEnding) -> Vec<u8> {
    let separator = line_ending.separator();
    let mut out = Vec::with_capacity(records.len() * (RECORD_LEN + separator.len()));
    for record in records {
        out.extend_from_slice(record);
        out.extend_from_slice(separator);
    }
    out
}

/// Splits a file into its 120-byte records. Records follow each other directly, or each is
/// followed by CR LF (the last one may lack it); the first record decides which.
pub(crate) fn split(input: &[u8], max_data_records: usize) -> Result<(Vec<&[u8]>, usize), FileError> {
    let framing =
        |offset, expected: &str, found: String| FileError::Framing { offset, expected: expected.into(), found };
    let crlf = input.get(RECORD_LEN..RECORD_LEN + 2) == Some(b"\r\n");
    let stride = if crlf { RECORD_LEN + 2 } else { RECORD_LEN };
    // A stray line break (LF-only files, a record one byte short) is named before the length,
    // which it would otherwise only throw off.
    let is_separator = |offset: usize| crlf && offset % stride >= RECORD_LEN;
    let stray = input.iter().enumerate().find(|&(offset, &b)| (b == b'\r' || b == b'\n') && !is_separator(offset));
    if let Some((offset, _)) = stray {
        let expected = "120 bytes without line breaks (records end with CR LF or nothing)";
        return Err(framing(offset, expected, describe(&input[offset..=offset])));
    }
    let tail = input.len() % stride;
    if input.is_empty() || (tail != 0 && !(crlf && tail == RECORD_LEN)) {
        let offset = input.len() - tail;
        let expected = if crlf { "a 120-byte record followed by CR LF" } else { "a 120-byte record" };
        return Err(framing(offset, expected, format!("{tail} bytes")));
    }
    let count = input.len().div_ceil(stride);
    // Header, trailer and end records come on top of the data records.
    if count > max_data_records + 3 {
        return Err(FileError::RecordCount { count: count - 3, max: max_data_records });
    }
    let mut records = Vec::with_capacity(count);
    for (index, chunk) in input.chunks(stride).enumerate() {
        let (record, separator) = chunk.split_at(RECORD_LEN);
        if !separator.is_empty() && separator != b"\r\n" {
            return Err(framing(index * stride + RECORD_LEN, "CR LF after the record", describe(separator)));
        }
        records.push(record);
    }
    Ok((records, stride))
}
