//! Consumer-presented mode: the code a wallet shows at the till, base64 of BER-TLV.
//!
//! Top level: `85` payload format indicator (`CPV01` for EMVCo, `JPQR1` for JPQR), one or more
//! `61` application templates, and a `62` common data template whose `64` transparent template
//! carries the dynamic data (cryptogram `9F26`, counter `9F36`, unpredictable number `9F37`).
//! Tags of more than one byte are read (first byte's low five bits all set, then bytes while
//! their top bit is set); lengths are BER definite, short or `81`/`82` long form.
//!
//! Whether a node holds children is its tag's constructed bit (0x20 of the first byte), as BER
//! says, so `61`–`64` are templates and `9F26` is not, whatever is inside.

mod builder;
mod decode;
mod encode;
mod error;
mod tag;

use std::fmt;

pub use builder::{Application, CommonData};
pub use decode::{decode, decode_bytes};
pub use encode::{encode, encode_bytes};
pub use error::{DecodeError, EncodeError};
pub use tag::Tag;

/// Most decoded bytes read. A QR code holds at most 2,953 bytes, and base64 only grows them.
pub const MAX_CPM_BYTES: usize = 4096;

/// Deepest nesting read. EMVCo's deepest path is three (`62`/`64`/`9F26`); the bound keeps a
/// hostile code from recursing the stack away.
pub const MAX_DEPTH: usize = 8;

/// Longest tag read, in bytes; EMV uses at most two.
pub const MAX_TAG_BYTES: usize = 4;

/// Payload format indicators (tag `85`) this crate knows.
pub const EMV_FORMAT: &[u8] = b"CPV01";
pub const JPQR_FORMAT: &[u8] = b"JPQR1";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TlvValue {
    Primitive(Vec<u8>),
    Constructed(Vec<Tlv>),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tlv {
    pub tag: Tag,
    pub value: TlvValue,
}

impl Tlv {
    pub fn primitive(tag: Tag, bytes: impl Into<Vec<u8>>) -> Self {
        Tlv { tag, value: TlvValue::Primitive(bytes.into()) }
    }

    pub fn constructed(tag: Tag, children: Vec<Tlv>) -> Self {
        Tlv { tag, value: TlvValue::Constructed(children) }
    }

    pub fn bytes(&self) -> Option<&[u8]> {
        match &self.value {
            TlvValue::Primitive(b) => Some(b),
            TlvValue::Constructed(_) => None,
        }
    }

    pub fn children(&self) -> &[Tlv] {
        match &self.value {
            TlvValue::Constructed(c) => c,
            TlvValue::Primitive(_) => &[],
        }
    }

    /// The first child with `tag`.
    pub fn child(&self, tag: Tag) -> Option<&Tlv> {
        self.children().iter().find(|t| t.tag == tag)
    }

    /// The bytes at `path` below this node, following the first match at each step.
    pub fn find(&self, path: &[Tag]) -> Option<&[u8]> {
        match path.split_first() {
            None => self.bytes(),
            Some((first, rest)) => self.child(*first)?.find(rest),
        }
    }
}

/// A consumer-presented code: its top-level nodes in order.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ConsumerCode {
    pub tlvs: Vec<Tlv>,
}

impl ConsumerCode {
    /// A code with format indicator `format`, the applications in order, and common data.
    pub fn new(format: &[u8], applications: &[Application], common: Option<&CommonData>) -> Self {
        let mut tlvs = vec![Tlv::primitive(Tag::PAYLOAD_FORMAT, format)];
        tlvs.extend(applications.iter().map(Application::to_tlv));
        tlvs.extend(common.map(CommonData::to_tlv));
        ConsumerCode { tlvs }
    }

    pub fn payload_format(&self) -> Option<&[u8]> {
        self.tlvs.iter().find(|t| t.tag == Tag::PAYLOAD_FORMAT).and_then(Tlv::bytes)
    }

    /// Every `61` application template, read into its typed fields.
    pub fn applications(&self) -> Vec<Application> {
        self.tlvs.iter().filter(|t| t.tag == Tag::APPLICATION_TEMPLATE).map(Application::from_tlv).collect()
    }

    /// The `62` common data template, read into its typed fields.
    pub fn common_data(&self) -> Option<CommonData> {
        self.tlvs.iter().find(|t| t.tag == Tag::COMMON_DATA_TEMPLATE).map(CommonData::from_tlv)
    }

    pub fn encode(&self) -> Result<String, EncodeError> {
        encode(self)
    }
}

/// A code that decoded, with what it does differently from EMVCo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub code: ConsumerCode,
    pub warnings: Vec<Warning>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Warning {
    /// Tag 85 is neither `CPV01` nor `JPQR1`.
    UnknownFormat { found: Vec<u8> },
    /// No `61` application template.
    NoApplication,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::UnknownFormat { found } => write!(
                f,
                "tag 85 (payload format indicator) is {:?}; known are \"CPV01\" and \"JPQR1\"",
                String::from_utf8_lossy(found)
            ),
            Warning::NoApplication => write!(f, "no tag 61 (application template); EMVCo requires at least one"),
        }
    }
}
