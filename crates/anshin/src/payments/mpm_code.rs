//! The merchant-presented code itself, pure: how a store's code is laid out, what the platform
//! signs, and how a scanned text is read back. No I/O; `mpm` does the lookups.
//!
//! Layout (docs/MERCHANT-CODES.md): an EMVCo MPM payload whose template `26` is shaped like
//! JPQR's: `00` GUID `jp.anshin`, `01` merchant number (13 digits), `02` `0000`, `03` store
//! number (6 digits), `04` `000000`, then `05` the signing key's id. The Ed25519 signature (86
//! base64url characters) does not fit beside a GUID in one template (a value is at most 99
//! characters), so it is carried in two halves, each in a template of its own with the same
//! GUID: `27`/`01` and `28`/`01`.
//!
//! What is signed: `SIGNED_PREFIX` followed by the payload encoded without `27`, `28` and the
//! CRC field (`6304…`), fields in the order they appear. The verifier re-encodes what it read
//! the same way, so a change to any other field (name, amount, reference, order) breaks it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use emvqr::mpm::{self, Field, Initiation, JpqrTemplate, MerchantPresented, Payload};

/// Our template's GUID (reverse domain, as JPQR's `jp.or.paymentsjapan`).
pub const GUID: &str = "jp.anshin";
/// Where the merchant template and the two halves of the signature go.
pub const ACCOUNT_TAG: &str = "26";
const SIGNATURE_TAGS: [&str; 2] = ["27", "28"];
/// Sub-tag of `26` naming the key that signed the code.
const KEY_ID_SUB: &str = "05";
/// A domain separator, so a signature over a code can never be read as one over anything else.
pub const SIGNED_PREFIX: &[u8] = b"anshin-mpm-v1\n";
/// A scanned text longer than this is not one of ours (ours are about 350 characters).
pub const MAX_PAYLOAD_CHARS: usize = 512;
/// Tag 59 is for display on other apps only, and EMVCo caps it at 25 characters.
const NAME_CHARS: usize = 25;

/// What a store's code says, before signing.
#[derive(Debug, Clone)]
pub struct CodeFields {
    pub merchant_number: i64,
    pub store_number: i64,
    pub mcc: String,
    pub postal_code: String,
    /// Put in tag 59 (and `64`/`01`): for display by other apps. Anshin never reads it back.
    pub display_name: String,
    pub store_name: String,
    /// A dynamic code's amount and one-time reference; `None` for a store's static code.
    pub sale: Option<(i64, String)>,
}

/// Why a scanned text is not a code Anshin will pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unreadable {
    /// Not an EMVCo payload at all (structure or CRC).
    NotEmv,
    /// A valid EMVCo payload of another platform (no `jp.anshin` template).
    Foreign,
    /// Our template, but no signature (or a malformed one).
    Unsigned,
    /// Our template, malformed (levels, key id, initiation, amount).
    Malformed,
}

/// A scanned code of ours, read but not yet verified.
#[derive(Debug, Clone)]
pub struct ScannedCode {
    pub merchant_number: i64,
    pub store_number: i64,
    pub key_id: String,
    pub signature: [u8; 64],
    /// The exact bytes the signature must be over.
    pub signed_message: Vec<u8>,
    /// `Some((amount, reference))` for a dynamic code.
    pub sale: Option<(i64, String)>,
}

fn levels(merchant_number: i64, store_number: i64) -> (String, String) {
    (format!("{merchant_number:013}"), format!("{store_number:06}"))
}

fn builder(f: &CodeFields, key_id: &str) -> Result<MerchantPresented, mpm::EncodeError> {
    let (merchant, store) = levels(f.merchant_number, f.store_number);
    let template = JpqrTemplate::new(GUID, [&merchant, "0000", &store, "000000"])?.with(KEY_ID_SUB, key_id)?;
    let initiation = if f.sale.is_some() { Initiation::Dynamic } else { Initiation::Static };
    let display: String = f.display_name.chars().take(NAME_CHARS).collect();
    let mut code = MerchantPresented::new(initiation)
        .jpqr(ACCOUNT_TAG, &template)
        .merchant_category(&f.mcc)
        .currency("392")
        .country("JP")
        .merchant_name(display)
        .merchant_city("JAPAN")
        .postal_code(&f.postal_code)
        .language("JA", f.store_name.chars().take(NAME_CHARS).collect::<String>(), None);
    if let Some((amount, reference)) = &f.sale {
        code = code.amount(amount.to_string()).reference_label(reference);
    }
    Ok(code)
}

/// The bytes signed for `payload` (which holds no signature templates).
fn signed_message(payload: &Payload) -> Result<Vec<u8>, mpm::EncodeError> {
    let text = mpm::encode(payload)?;
    // The encoder always ends with `6304` and four hex digits: what is signed stops before them.
    let body = &text[..text.len() - 8];
    Ok([SIGNED_PREFIX, body.as_bytes()].concat())
}

/// The signed payload: `sign` is given the exact message and returns the Ed25519 signature.
pub fn encode_signed(
    f: &CodeFields,
    key_id: &str,
    sign: impl FnOnce(&[u8]) -> [u8; 64],
) -> Result<String, mpm::EncodeError> {
    let mut payload = builder(f, key_id)?.to_payload();
    let signature = URL_SAFE_NO_PAD.encode(sign(&signed_message(&payload)?));
    let (first, second) = signature.split_at(signature.len() / 2);
    for (tag, half) in SIGNATURE_TAGS.iter().zip([first, second]) {
        payload.fields.push(Field::template(*tag, vec![Field::text("00", GUID), Field::text("01", half)]));
    }
    payload.fields[1..].sort_by(|a, b| a.id.cmp(&b.id));
    mpm::encode(&payload)
}

/// Reads a scanned text: EMVCo structure and CRC, our template, the key id and the signature.
/// Does not verify anything that needs a key or a table.
pub fn read(text: &str) -> Result<ScannedCode, Unreadable> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_PAYLOAD_CHARS {
        return Err(Unreadable::NotEmv);
    }
    let decoded = mpm::decode(text).map_err(|_| Unreadable::NotEmv)?;
    let payload = decoded.payload;
    let ours = |tag: &str| payload.template(tag).is_some_and(|subs| sub(subs, "00") == Some(GUID));
    if !ours(ACCOUNT_TAG) {
        return Err(Unreadable::Foreign);
    }
    let template = JpqrTemplate::from_fields(payload.template(ACCOUNT_TAG).unwrap_or_default(), GUID)
        .ok_or(Unreadable::Malformed)?;
    let [merchant, _, store, _] = template.levels();
    let key_id = template.extra_text(KEY_ID_SUB).unwrap_or_default().to_owned();
    if !SIGNATURE_TAGS.iter().all(|t| ours(t)) || key_id.is_empty() {
        return Err(Unreadable::Unsigned);
    }
    let halves: Vec<&str> =
        SIGNATURE_TAGS.iter().map(|t| payload.template(t).and_then(|s| sub(s, "01")).unwrap_or_default()).collect();
    let signature: [u8; 64] =
        URL_SAFE_NO_PAD.decode(halves.concat()).ok().and_then(|b| b.try_into().ok()).ok_or(Unreadable::Unsigned)?;
    let sale = match payload.text("01") {
        Some("11") => None,
        Some("12") => {
            let amount = payload.text("54").and_then(|a| a.parse::<i64>().ok()).filter(|a| *a > 0);
            let reference = payload.template("62").and_then(|s| sub(s, "05"));
            match (amount, reference) {
                (Some(a), Some(r)) => Some((a, r.to_owned())),
                _ => return Err(Unreadable::Malformed),
            }
        }
        _ => return Err(Unreadable::Malformed),
    };
    let unsigned =
        Payload::new(payload.fields.iter().filter(|f| !SIGNATURE_TAGS.contains(&f.id.as_str())).cloned().collect());
    Ok(ScannedCode {
        merchant_number: merchant.parse().map_err(|_| Unreadable::Malformed)?,
        store_number: store.parse().map_err(|_| Unreadable::Malformed)?,
        key_id,
        signature,
        signed_message: signed_message(&unsigned).map_err(|_| Unreadable::Malformed)?,
        sale,
    })
}

fn sub<'a>(subs: &'a [Field], id: &str) -> Option<&'a str> {
    subs.iter().find(|f| f.id == id).and_then(Field::as_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(sale: Option<(i64, String)>) -> CodeFields {
        CodeFields {
            merchant_number: 1001,
            store_number: 1,
            mcc: "5812".into(),
            postal_code: "1500002".into(),
            display_name: "Kappa".into(),
            store_name: "Kappa 本店".into(),
            sale,
        }
    }

    #[test]
    fn a_signed_code_reads_back_with_the_message_that_was_signed() {
        let mut signed = Vec::new();
        let text = encode_signed(&fields(Some((1500, "r123".into()))), "k1", |m| {
            signed = m.to_vec();
            [7u8; 64]
        })
        .unwrap();
        assert!(text.starts_with("000201010212"), "{text}");
        let read = read(&text).unwrap();
        assert_eq!((read.merchant_number, read.store_number, read.key_id.as_str()), (1001, 1, "k1"));
        assert_eq!(read.signature, [7u8; 64]);
        assert_eq!(read.signed_message, signed);
        assert_eq!(read.sale, Some((1500, "r123".into())));
        assert!(!String::from_utf8_lossy(&signed).contains("6304"), "the CRC is not signed");
    }

    #[test]
    fn a_change_to_tag_59_changes_what_is_signed() {
        let text = encode_signed(&fields(None), "k1", |_| [1u8; 64]).unwrap();
        let mut other = fields(None);
        other.display_name = "Evil".into();
        let forged = encode_signed(&other, "k1", |_| [1u8; 64]).unwrap();
        assert_ne!(read(&text).unwrap().signed_message, read(&forged).unwrap().signed_message);
    }

    #[test]
    fn foreign_unsigned_and_broken_texts_are_told_apart() {
        assert_eq!(read("hello").unwrap_err(), Unreadable::NotEmv);
        let foreign = MerchantPresented::new(Initiation::Static)
            .merchant_account("29", vec![Field::text("00", "A000000677010111"), Field::text("01", "0066812345678")])
            .currency("764")
            .country("TH")
            .encode()
            .unwrap();
        assert_eq!(read(&foreign).unwrap_err(), Unreadable::Foreign);
        let unsigned = builder(&fields(None), "k1").unwrap().encode().unwrap();
        assert_eq!(read(&unsigned).unwrap_err(), Unreadable::Unsigned);
    }
}
