//! Reading a consumer-presented code.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::DecodeError;
use super::{ConsumerCode, Decoded, EMV_FORMAT, JPQR_FORMAT, MAX_CPM_BYTES, MAX_DEPTH, Tag, Tlv, TlvValue, Warning};

/// Reads standard, padded base64 (what EMVCo's CPM uses), then the BER-TLV inside.
pub fn decode(text: &str) -> Result<Decoded, DecodeError> {
    if text.is_empty() {
        return Err(DecodeError::Empty);
    }
    // Base64 grows bytes by a third; refuse before allocating for an absurd string.
    if text.len() > MAX_CPM_BYTES.div_ceil(3) * 4 {
        return Err(DecodeError::TooLong { bytes: text.len() / 4 * 3, max: MAX_CPM_BYTES });
    }
    let bytes = STANDARD.decode(text).map_err(base64_error)?;
    decode_bytes(&bytes)
}

fn base64_error(e: base64::DecodeError) -> DecodeError {
    use base64::DecodeError as B;
    match e {
        B::InvalidByte(offset, b) => {
            DecodeError::Base64At { offset, reason: format!("{:?} is not a base64 character", b as char) }
        }
        B::InvalidLastSymbol(offset, b) => {
            DecodeError::Base64At { offset, reason: format!("{:?} leaves stray bits in the last character", b as char) }
        }
        B::InvalidLength(len) => {
            DecodeError::Base64 { reason: format!("{len} characters cannot be base64 (not a whole number of groups)") }
        }
        B::InvalidPadding => DecodeError::Base64 { reason: "the '=' padding is missing or wrong".into() },
    }
}

/// Reads BER-TLV bytes: `85` first, then anything.
pub fn decode_bytes(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if bytes.len() > MAX_CPM_BYTES {
        return Err(DecodeError::TooLong { bytes: bytes.len(), max: MAX_CPM_BYTES });
    }
    let tlvs = parse(bytes, 0, "", 1)?;
    match tlvs.first() {
        Some(t) if t.tag == Tag::PAYLOAD_FORMAT && !t.tag.is_constructed() => {}
        Some(t) => return Err(DecodeError::FormatNotFirst { found: t.tag.to_string() }),
        None => return Err(DecodeError::Empty),
    }
    let code = ConsumerCode { tlvs };
    let warnings = warnings(&code);
    Ok(Decoded { code, warnings })
}

fn warnings(code: &ConsumerCode) -> Vec<Warning> {
    let mut out = Vec::new();
    match code.payload_format() {
        Some(f) if f == EMV_FORMAT || f == JPQR_FORMAT => {}
        Some(f) => out.push(Warning::UnknownFormat { found: f.to_vec() }),
        None => {}
    }
    if !code.tlvs.iter().any(|t| t.tag == Tag::APPLICATION_TEMPLATE) {
        out.push(Warning::NoApplication);
    }
    out
}

/// Parses every TLV in `bytes`. `base` is the offset of `bytes` in the whole code, `parent` the
/// path so far (for messages) and `depth` the level of the nodes being read.
fn parse(bytes: &[u8], base: usize, parent: &str, depth: usize) -> Result<Vec<Tlv>, DecodeError> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let offset = base + at;
        let tag_len = Tag::len_from(&bytes[at..]).ok_or(DecodeError::BadTag { offset })?;
        let tag = Tag::new(&bytes[at..at + tag_len]).ok_or(DecodeError::BadTag { offset })?;
        let path = if parent.is_empty() { tag.to_string() } else { format!("{parent}/{tag}") };
        at += tag_len;
        let (len, len_bytes) = read_length(&bytes[at..], &path, offset)?;
        at += len_bytes;
        let remaining = bytes.len() - at;
        if len > remaining {
            return Err(DecodeError::Overrun { tag: path, offset, declared_len: len, remaining });
        }
        let body = &bytes[at..at + len];
        let value = if tag.is_constructed() {
            if depth >= MAX_DEPTH {
                return Err(DecodeError::TooDeep { tag: path, offset, max: MAX_DEPTH });
            }
            TlvValue::Constructed(parse(body, base + at, &path, depth + 1)?)
        } else {
            TlvValue::Primitive(body.to_vec())
        };
        at += len;
        out.push(Tlv { tag, value });
    }
    Ok(out)
}

/// A definite length: one byte below 0x80, or 0x81/0x82 and one or two bytes. Returns the length
/// and how many bytes it took.
fn read_length(bytes: &[u8], tag: &str, offset: usize) -> Result<(usize, usize), DecodeError> {
    let first = *bytes.first().ok_or_else(|| DecodeError::MissingLength { tag: tag.into(), offset })?;
    let truncated = || DecodeError::TruncatedLength { tag: tag.into(), offset };
    match first {
        0x00..=0x7F => Ok((usize::from(first), 1)),
        0x80 => Err(DecodeError::IndefiniteLength { tag: tag.into(), offset }),
        0x81 => Ok((usize::from(*bytes.get(1).ok_or_else(truncated)?), 2)),
        0x82 => {
            let hi = *bytes.get(1).ok_or_else(truncated)?;
            let lo = *bytes.get(2).ok_or_else(truncated)?;
            Ok((usize::from(u16::from_be_bytes([hi, lo])), 3))
        }
        _ => Err(DecodeError::LengthForm { tag: tag.into(), offset, found: first }),
    }
}
