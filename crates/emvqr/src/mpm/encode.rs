//! Writing a merchant-presented payload.
//!
//! The encoder refuses whatever the decoder would refuse or read back differently, so
//! `decode(encode(p)) == p` holds for every payload it accepts (with `00` first).

use super::error::EncodeError;
use super::{Field, Kind, MAX_PAYLOAD_CHARS, MAX_VALUE_CHARS, Payload, Value, is_id, kind};
use crate::crc::crc16_hex;

/// Writes `payload` with `00` first (`"01"` when the payload has none) and the computed CRC last.
pub fn encode(payload: &Payload) -> Result<String, EncodeError> {
    check_ids(&payload.fields, None)?;
    if payload.fields.iter().any(|f| f.id == "63") {
        return Err(EncodeError::CrcGiven);
    }
    let mut out = String::new();
    match payload.get("00") {
        Some(f) => match &f.value {
            Value::Text(v) if v == "01" => write_field(&mut out, f)?,
            Value::Text(v) => return Err(EncodeError::FormatIndicator { found: v.clone() }),
            Value::Template(_) => return Err(EncodeError::TextExpected { tag: "00".into() }),
        },
        None => out.push_str("000201"),
    }
    for f in payload.fields.iter().filter(|f| f.id != "00") {
        write_field(&mut out, f)?;
    }
    out.push_str("6304");
    let chars = out.chars().count() + 4;
    if chars > MAX_PAYLOAD_CHARS {
        return Err(EncodeError::TooLong { chars, max: MAX_PAYLOAD_CHARS });
    }
    let crc = crc16_hex(out.as_bytes());
    out.push_str(&crc);
    Ok(out)
}

fn write_field(out: &mut String, field: &Field) -> Result<(), EncodeError> {
    let value = match (&field.value, kind(&field.id)) {
        (Value::Text(_), Kind::Template) => return Err(EncodeError::TemplateExpected { tag: field.id.clone() }),
        (Value::Template(_), Kind::Text) => return Err(EncodeError::TextExpected { tag: field.id.clone() }),
        (Value::Text(t), Kind::MaybeTemplate) if reads_as_template(t) => {
            return Err(EncodeError::Ambiguous { tag: field.id.clone() });
        }
        (Value::Template(subs), Kind::MaybeTemplate) if subs.is_empty() => {
            return Err(EncodeError::Ambiguous { tag: field.id.clone() });
        }
        (Value::Text(t), _) => t.clone(),
        (Value::Template(subs), _) => template_text(&field.id, subs)?,
    };
    push_tlv(out, &field.id, &value)
}

fn template_text(id: &str, subs: &[Field]) -> Result<String, EncodeError> {
    check_ids(subs, Some(id))?;
    let mut inner = String::new();
    for sub in subs {
        let tag = format!("{id}/{}", sub.id);
        match &sub.value {
            Value::Text(t) => push_tlv(&mut inner, &sub.id, t).map_err(|e| retag(e, &tag))?,
            Value::Template(_) => return Err(EncodeError::NestedTemplate { tag }),
        }
    }
    Ok(inner)
}

fn push_tlv(out: &mut String, id: &str, value: &str) -> Result<(), EncodeError> {
    let chars = value.chars().count();
    if chars > MAX_VALUE_CHARS {
        return Err(EncodeError::ValueTooLong { tag: id.into(), chars });
    }
    out.push_str(id);
    out.push_str(&format!("{chars:02}"));
    out.push_str(value);
    Ok(())
}

fn retag(e: EncodeError, tag: &str) -> EncodeError {
    match e {
        EncodeError::ValueTooLong { chars, .. } => EncodeError::ValueTooLong { tag: tag.into(), chars },
        other => other,
    }
}

fn check_ids(fields: &[Field], parent: Option<&str>) -> Result<(), EncodeError> {
    let mut seen = [false; 100];
    for f in fields {
        if !is_id(&f.id) {
            return Err(EncodeError::InvalidId { id: f.id.clone() });
        }
        let n: usize = f.id.parse().unwrap_or_default();
        if std::mem::replace(&mut seen[n], true) {
            let tag = parent.map_or_else(|| f.id.clone(), |p| format!("{p}/{}", f.id));
            return Err(EncodeError::DuplicateTag { tag });
        }
    }
    Ok(())
}

/// Whether text in 80–99 would be read back as a template: non-empty, and it splits into
/// sub-fields with two-digit ids, in-range lengths and no repeats.
pub(crate) fn reads_as_template(text: &str) -> bool {
    if text.is_empty() {
        return false;
    }
    let mut seen = [false; 100];
    let mut rest = text;
    while !rest.is_empty() {
        let mut chars = rest.char_indices();
        let header: Vec<char> = chars.by_ref().take(4).map(|(_, c)| c).collect();
        if header.len() < 4 || !header.iter().all(char::is_ascii_digit) {
            return false;
        }
        let digit = |c: char| (c as u8 - b'0') as usize;
        let id = digit(header[0]) * 10 + digit(header[1]);
        let len = digit(header[2]) * 10 + digit(header[3]);
        if std::mem::replace(&mut seen[id], true) {
            return false;
        }
        let body = &rest[4..];
        let end = if len == 0 {
            0
        } else {
            match body.char_indices().nth(len - 1) {
                Some((i, c)) => i + c.len_utf8(),
                None => return false,
            }
        };
        rest = &body[end..];
    }
    true
}
