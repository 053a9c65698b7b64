//! Writing a consumer-presented code: shortest definite lengths, standard padded base64.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::error::EncodeError;
use super::{ConsumerCode, MAX_CPM_BYTES, MAX_DEPTH, Tag, Tlv, TlvValue};

pub fn encode(code: &ConsumerCode) -> Result<String, EncodeError> {
    Ok(STANDARD.encode(encode_bytes(code)?))
}

/// The BER-TLV bytes, refusing what [`decode_bytes`](super::decode_bytes) would refuse.
pub fn encode_bytes(code: &ConsumerCode) -> Result<Vec<u8>, EncodeError> {
    match code.tlvs.first() {
        Some(t) if t.tag == Tag::PAYLOAD_FORMAT => {}
        _ => return Err(EncodeError::FormatNotFirst),
    }
    let mut out = Vec::new();
    write_all(&mut out, &code.tlvs, "", 1)?;
    if out.len() > MAX_CPM_BYTES {
        return Err(EncodeError::TooLong { bytes: out.len(), max: MAX_CPM_BYTES });
    }
    Ok(out)
}

fn write_all(out: &mut Vec<u8>, tlvs: &[Tlv], parent: &str, depth: usize) -> Result<(), EncodeError> {
    for tlv in tlvs {
        let path = if parent.is_empty() { tlv.tag.to_string() } else { format!("{parent}/{}", tlv.tag) };
        let body = match (&tlv.value, tlv.tag.is_constructed()) {
            (TlvValue::Primitive(b), false) => b.clone(),
            (TlvValue::Constructed(children), true) => {
                if depth >= MAX_DEPTH {
                    return Err(EncodeError::TooDeep { tag: path, max: MAX_DEPTH });
                }
                let mut inner = Vec::new();
                write_all(&mut inner, children, &path, depth + 1)?;
                inner
            }
            (TlvValue::Primitive(_), true) => return Err(EncodeError::ChildrenExpected { tag: path }),
            (TlvValue::Constructed(_), false) => return Err(EncodeError::BytesExpected { tag: path }),
        };
        out.extend_from_slice(tlv.tag.as_bytes());
        write_length(out, body.len(), &path)?;
        out.extend_from_slice(&body);
    }
    Ok(())
}

fn write_length(out: &mut Vec<u8>, len: usize, tag: &str) -> Result<(), EncodeError> {
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
        0x100..=0xFFFF => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
        _ => return Err(EncodeError::ValueTooLong { tag: tag.into(), len }),
    }
    Ok(())
}
