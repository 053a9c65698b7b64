//! Reading a merchant-presented payload.
//!
//! The order of the checks is deliberate: the structure first (nothing else can be found without
//! it), then `00` first and `63` last, then the CRC, and only then what is inside templates. A
//! corrupted code then reports the CRC, the cause, rather than whatever the corruption broke.

use super::error::DecodeError;
use super::{Decoded, Field, Kind, MAX_PAYLOAD_CHARS, Payload, Value, kind, warnings};
use crate::crc::crc16_hex;

/// One field as found, before its value is interpreted.
struct Raw<'a> {
    id: &'a str,
    value: &'a str,
    /// Character offset of the id from the start of the whole payload.
    offset: usize,
    /// Byte offset of the value from the start of the string that was split.
    value_byte: usize,
    value_offset: usize,
}

/// Reads `payload`, checking structure and CRC, and lists its departures from EMVCo as warnings.
pub fn decode(payload: &str) -> Result<Decoded, DecodeError> {
    if payload.is_empty() {
        return Err(DecodeError::Empty);
    }
    let chars = payload.chars().count();
    if chars > MAX_PAYLOAD_CHARS {
        return Err(DecodeError::TooLong { chars, max: MAX_PAYLOAD_CHARS });
    }
    let raws = split(payload, 0, None)?;

    let first = &raws[0];
    if first.id != "00" {
        return Err(DecodeError::NotFirst { tag: "00".into(), found: first.id.into() });
    }
    if first.value != "01" {
        return Err(DecodeError::FormatIndicator { found: first.value.into() });
    }
    let crc_at = raws.iter().position(|r| r.id == "63").ok_or(DecodeError::MissingCrc)?;
    let crc = &raws[crc_at];
    if let Some(next) = raws.get(crc_at + 1) {
        return Err(DecodeError::NotLast { tag: "63".into(), offset: crc.offset, following: next.id.into() });
    }
    let crc_found = check_crc(payload, crc)?;
    check_duplicates(&raws, None)?;

    let mut fields = Vec::with_capacity(raws.len() - 1);
    for raw in &raws[..crc_at] {
        fields.push(Field { id: raw.id.into(), value: interpret(raw)? });
    }
    let payload = Payload { fields };
    let warnings = warnings::check(&payload, &crc_found);
    Ok(Decoded { payload, crc: crc_found, warnings })
}

fn check_crc(payload: &str, crc: &Raw<'_>) -> Result<String, DecodeError> {
    let declared_len = crc.value.chars().count();
    if declared_len != 4 {
        return Err(DecodeError::CrcLength { offset: crc.offset, declared_len });
    }
    if !crc.value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DecodeError::CrcNotHex { offset: crc.offset, found: crc.value.into() });
    }
    // The CRC covers everything up to and including "6304", as UTF-8 bytes.
    let expected = crc16_hex(&payload.as_bytes()[..crc.value_byte]);
    if !expected.eq_ignore_ascii_case(crc.value) {
        return Err(DecodeError::CrcMismatch { expected, found: crc.value.into() });
    }
    Ok(crc.value.into())
}

fn interpret(raw: &Raw<'_>) -> Result<Value, DecodeError> {
    let text = || Value::Text(raw.value.into());
    match kind(raw.id) {
        Kind::Text => Ok(text()),
        Kind::Template => {
            let subs = split_template(raw)?;
            Ok(Value::Template(subs))
        }
        Kind::MaybeTemplate if raw.value.is_empty() => Ok(text()),
        Kind::MaybeTemplate => Ok(split_template(raw).map(Value::Template).unwrap_or_else(|_| text())),
    }
}

fn split_template(raw: &Raw<'_>) -> Result<Vec<Field>, DecodeError> {
    let subs = split(raw.value, raw.value_offset, Some(raw.id))?;
    check_duplicates(&subs, Some(raw.id))?;
    Ok(subs.iter().map(|s| Field::text(s.id, s.value)).collect())
}

/// Splits `s` into fields. `base` is the character offset of `s` in the whole payload and
/// `parent` the template it belongs to, both for error messages only.
fn split<'a>(s: &'a str, base: usize, parent: Option<&str>) -> Result<Vec<Raw<'a>>, DecodeError> {
    let tag = |id: &str| match parent {
        Some(p) => format!("{p}/{id}"),
        None => id.to_string(),
    };
    let mut out = Vec::new();
    let mut cur = Cursor { s, byte: 0, chr: 0 };
    while cur.byte < s.len() {
        let (offset, start_byte) = (base + cur.chr, cur.byte);
        let (Some(id), Some(len)) = (cur.take(2), cur.take(2)) else {
            let remaining = s[start_byte..].chars().count();
            return Err(DecodeError::IncompleteHeader { offset, remaining });
        };
        if !super::is_id(id) {
            return Err(DecodeError::NonDigitId { offset, found: id.into() });
        }
        if !super::is_id(len) {
            return Err(DecodeError::NonDigitLength { tag: tag(id), offset, found: len.into() });
        }
        let declared_len = usize::from(len.as_bytes()[0] - b'0') * 10 + usize::from(len.as_bytes()[1] - b'0');
        let (value_byte, value_offset) = (cur.byte, base + cur.chr);
        let Some(value) = cur.take(declared_len) else {
            let remaining = s[value_byte..].chars().count();
            return Err(DecodeError::Truncated { tag: tag(id), offset, declared_len, remaining });
        };
        out.push(Raw { id, value, offset, value_byte, value_offset });
    }
    if out.is_empty() && parent.is_none() {
        return Err(DecodeError::Empty);
    }
    Ok(out)
}

/// Ids are two digits, so a table of 100 first-seen offsets finds repeats without hashing.
fn check_duplicates(raws: &[Raw<'_>], parent: Option<&str>) -> Result<(), DecodeError> {
    let mut seen = [None::<usize>; 100];
    for r in raws {
        let n = usize::from(r.id.as_bytes()[0] - b'0') * 10 + usize::from(r.id.as_bytes()[1] - b'0');
        if let Some(first_offset) = seen[n] {
            let tag = match parent {
                Some(p) => format!("{p}/{}", r.id),
                None => r.id.to_string(),
            };
            return Err(DecodeError::DuplicateTag { tag, offset: r.offset, first_offset });
        }
        seen[n] = Some(r.offset);
    }
    Ok(())
}

/// Walks a string by characters while keeping the byte index, since lengths count characters.
struct Cursor<'a> {
    s: &'a str,
    byte: usize,
    chr: usize,
}

impl<'a> Cursor<'a> {
    /// The next `n` characters, or `None` (and no move) when fewer remain.
    fn take(&mut self, n: usize) -> Option<&'a str> {
        let rest = &self.s[self.byte..];
        let end = if n == 0 {
            0
        } else {
            let mut it = rest.char_indices();
            let (last, c) = it.nth(n - 1)?;
            last + c.len_utf8()
        };
        self.byte += end;
        self.chr += n;
        Some(&rest[..end])
    }
}
