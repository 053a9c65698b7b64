//! Merchant-presented mode: the text a shop prints or shows, `ID LEN VALUE` repeated.
//!
//! Ids and lengths are two decimal digits each; lengths count characters, not bytes, so
//! `0108メルペイ カフェ` is one field of eight characters. Tag `00` comes first, tag `63` (the CRC)
//! last, and any order is allowed between them.
//!
//! Templates: the merchant account templates `26`–`51`, additional data `62` and the language
//! template `64` always hold sub-fields, and a value there that does not split into sub-fields is
//! an error. The unreserved templates `80`–`99` hold sub-fields when their value splits cleanly
//! into them (Pix, for one, puts a template in `80`) and text otherwise, so a national scheme's
//! plain value there is still read. Sub-fields are read one level deep: a template inside a
//! template (the payment-system templates `50`–`99` inside `62`) stays text.

mod builder;
mod decode;
mod encode;
mod error;
mod warnings;

pub use builder::{Initiation, JpqrTemplate, MerchantPresented};
pub use decode::decode;
pub use encode::encode;
pub use error::{DecodeError, EncodeError};
pub use warnings::{Warning, jpqr_template_warnings};

/// Longest payload read, in characters. A QR code holds at most 2,953 bytes, so anything longer
/// did not come from one; the bound keeps a hostile string from costing more than a real one.
pub const MAX_PAYLOAD_CHARS: usize = 4096;

/// A length is two digits, so no value can be longer.
pub const MAX_VALUE_CHARS: usize = 99;

/// The GUID in tag `00` of a JPQR merchant account template.
pub const JPQR_GUID: &str = "jp.or.paymentsjapan";

/// Widths of JPQR's fixed sub-fields `01`–`04` (the unified store id's four levels).
pub const JPQR_WIDTHS: [(&str, usize); 4] = [("01", 13), ("02", 4), ("03", 6), ("04", 6)];

/// A field's value: text, or the sub-fields of a template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Text(String),
    Template(Vec<Field>),
}

/// One `ID LEN VALUE` entry. `id` is two ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Field {
    pub id: String,
    pub value: Value,
}

impl Field {
    pub fn text(id: impl Into<String>, value: impl Into<String>) -> Self {
        Field { id: id.into(), value: Value::Text(value.into()) }
    }

    pub fn template(id: impl Into<String>, fields: Vec<Field>) -> Self {
        Field { id: id.into(), value: Value::Template(fields) }
    }

    pub fn as_text(&self) -> Option<&str> {
        match &self.value {
            Value::Text(s) => Some(s),
            Value::Template(_) => None,
        }
    }

    pub fn as_template(&self) -> Option<&[Field]> {
        match &self.value {
            Value::Template(fields) => Some(fields),
            Value::Text(_) => None,
        }
    }
}

/// A merchant-presented payload without its CRC, which the encoder computes. Fields keep the
/// order they were read or given in; the encoder still writes `00` first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Payload {
    pub fields: Vec<Field>,
}

impl Payload {
    pub fn new(fields: Vec<Field>) -> Self {
        Payload { fields }
    }

    pub fn get(&self, id: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.id == id)
    }

    /// The text of top-level field `id`.
    pub fn text(&self, id: &str) -> Option<&str> {
        self.get(id).and_then(Field::as_text)
    }

    /// The sub-fields of template `id`.
    pub fn template(&self, id: &str) -> Option<&[Field]> {
        self.get(id).and_then(Field::as_template)
    }

    /// The text of sub-field `sub` of template `id`.
    pub fn sub_text(&self, id: &str, sub: &str) -> Option<&str> {
        self.template(id)?.iter().find(|f| f.id == sub).and_then(Field::as_text)
    }

    pub fn encode(&self) -> Result<String, EncodeError> {
        encode(self)
    }
}

/// A payload that passed every structural and CRC check, with what it does differently from
/// EMVCo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub payload: Payload,
    /// Tag 63's value as written (upper or lower case).
    pub crc: String,
    pub warnings: Vec<Warning>,
}

/// How a top-level id's value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Text,
    Template,
    /// 80–99: a template when the value splits cleanly into sub-fields, text otherwise.
    MaybeTemplate,
}

pub(crate) fn kind(id: &str) -> Kind {
    match id.parse::<u8>() {
        Ok(26..=51 | 62 | 64) => Kind::Template,
        Ok(80..=99) => Kind::MaybeTemplate,
        _ => Kind::Text,
    }
}

pub(crate) fn is_id(id: &str) -> bool {
    id.len() == 2 && id.bytes().all(|b| b.is_ascii_digit())
}
