//! What a readable payload does differently from EMVCo.
//!
//! National schemes depart from EMVCo in small ways (PromptPay codes without a merchant name,
//! lowercase CRCs, odd amounts), and a wallet must still read them, so these are warnings returned
//! with the payload, not errors. A caller that needs a rule (Anshin's own codes must be JPQR-shaped)
//! turns the warning it cares about into a refusal.

use std::fmt;

use super::{Field, JPQR_GUID, JPQR_WIDTHS, Payload};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Warning {
    /// The CRC matched, written in lowercase hex.
    LowercaseCrc { found: String },
    /// Tag 01 is neither 11 (static) nor 12 (dynamic).
    PointOfInitiation { found: String },
    /// A field EMVCo marks mandatory is absent.
    Missing { tag: &'static str, name: &'static str },
    /// A field's value does not have EMVCo's format.
    Format { tag: String, expected: &'static str, found: String },
    /// A sub-field of a JPQR-shaped template is absent.
    JpqrMissing { tag: String },
    /// A fixed-width sub-field of a JPQR-shaped template has the wrong width or a non-digit.
    JpqrWidth { tag: String, expected: usize, found: String },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::LowercaseCrc { found } => {
                write!(f, "tag 63 (CRC) {found:?} is in lowercase; EMVCo writes it in uppercase")
            }
            Warning::PointOfInitiation { found } => {
                write!(f, "tag 01 (point of initiation) is {found:?}; EMVCo knows 11 (static) and 12 (dynamic)")
            }
            Warning::Missing { tag, name } => write!(f, "tag {tag} ({name}) is missing; EMVCo requires it"),
            Warning::Format { tag, expected, found } => write!(f, "tag {tag} should be {expected}, found {found:?}"),
            Warning::JpqrMissing { tag } => write!(f, "tag {tag} is missing from a JPQR-shaped template"),
            Warning::JpqrWidth { tag, expected, found } => {
                write!(f, "tag {tag} of a JPQR-shaped template should be {expected} digits, found {found:?}")
            }
        }
    }
}

const MANDATORY: [(&str, &str); 5] =
    [("52", "merchant category code"), ("53", "currency"), ("58", "country"), ("59", "merchant name"), ("60", "city")];

pub(crate) fn check(payload: &Payload, crc: &str) -> Vec<Warning> {
    let mut out = Vec::new();
    if crc.bytes().any(|b| b.is_ascii_lowercase()) {
        out.push(Warning::LowercaseCrc { found: crc.into() });
    }
    if let Some(poi) = payload.text("01")
        && poi != "11"
        && poi != "12"
    {
        out.push(Warning::PointOfInitiation { found: poi.into() });
    }
    for (tag, name) in MANDATORY {
        if payload.get(tag).is_none() {
            out.push(Warning::Missing { tag, name });
        }
    }
    check_formats(payload, &mut out);
    for field in &payload.fields {
        if let Some(subs) = field.as_template()
            && is_merchant_account(&field.id)
        {
            out.extend(jpqr_template_warnings(&field.id, subs, JPQR_GUID));
        }
    }
    out
}

/// A tag, the format it should have, and the test.
type FormatRule<'a> = (&'a str, &'static str, &'a dyn Fn(&str) -> bool);

fn check_formats(payload: &Payload, out: &mut Vec<Warning>) {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let rules: [FormatRule; 4] = [
        ("52", "4 digits", &|s| digits(s, 4)),
        ("53", "3 digits (ISO 4217)", &|s| digits(s, 3)),
        ("54", "an amount: up to 13 characters, digits with at most one '.'", &is_amount),
        ("58", "2 uppercase letters (ISO 3166-1)", &|s| s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase())),
    ];
    for (tag, expected, ok) in rules {
        if let Some(v) = payload.text(tag)
            && !ok(v)
        {
            out.push(Warning::Format { tag: tag.into(), expected, found: v.into() });
        }
    }
}

/// EMVCo's amount: `0`–`9` and at most one `.`, 1 to 13 characters, at least one digit.
fn is_amount(s: &str) -> bool {
    let dots = s.bytes().filter(|&b| b == b'.').count();
    (1..=13).contains(&s.len())
        && dots <= 1
        && s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.bytes().any(|b| b.is_ascii_digit())
}

fn is_merchant_account(id: &str) -> bool {
    matches!(id.parse::<u8>(), Ok(26..=51))
}

/// Warnings for template `tag` when its GUID (sub-field `00`) is `guid`: each of the fixed-width
/// sub-fields `01`–`04` must be there, all digits, at its width (13, 4, 6, 6). A template with
/// another GUID gets none. [`decode`](super::decode) runs this for JPQR's own GUID; a scheme with
/// its own GUID (Anshin's) runs it again with that one.
pub fn jpqr_template_warnings(tag: &str, subs: &[Field], guid: &str) -> Vec<Warning> {
    let sub = |id: &str| subs.iter().find(|f| f.id == id).and_then(Field::as_text);
    if sub("00") != Some(guid) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (id, width) in JPQR_WIDTHS {
        let path = format!("{tag}/{id}");
        match sub(id) {
            None => out.push(Warning::JpqrMissing { tag: path }),
            Some(v) if v.len() != width || !v.bytes().all(|b| b.is_ascii_digit()) => {
                out.push(Warning::JpqrWidth { tag: path, expected: width, found: v.into() });
            }
            Some(_) => {}
        }
    }
    out
}
