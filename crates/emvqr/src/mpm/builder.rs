//! Typed construction of the common fields, for callers who would rather not remember that the
//! merchant name is `59`.

use super::error::EncodeError;
use super::{Field, JPQR_WIDTHS, Payload, encode};

/// Tag 01: whether one code serves many payments or one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiation {
    /// `11`: printed once, reused; the payer enters the amount.
    Static,
    /// `12`: made for one payment, usually with its amount and a one-time reference.
    Dynamic,
}

impl Initiation {
    pub fn code(self) -> &'static str {
        match self {
            Initiation::Static => "11",
            Initiation::Dynamic => "12",
        }
    }
}

/// A merchant-presented code's common fields. Fields come out sorted by id after `00`; nothing is
/// checked until [`encode`](Self::encode), which refuses what the decoder would refuse.
#[derive(Debug, Clone, Default)]
pub struct MerchantPresented {
    initiation: Option<Initiation>,
    accounts: Vec<Field>,
    texts: Vec<Field>,
    additional: Vec<Field>,
    language: Vec<Field>,
}

impl MerchantPresented {
    pub fn new(initiation: Initiation) -> Self {
        MerchantPresented { initiation: Some(initiation), ..Default::default() }
    }

    /// A merchant account template (`26`–`51`) with the given sub-fields.
    pub fn merchant_account(mut self, id: impl Into<String>, subs: Vec<Field>) -> Self {
        self.accounts.push(Field::template(id, subs));
        self
    }

    /// A JPQR-shaped merchant account template at `id`.
    pub fn jpqr(self, id: impl Into<String>, template: &JpqrTemplate) -> Self {
        self.merchant_account(id, template.fields())
    }

    pub fn merchant_category(self, mcc: impl Into<String>) -> Self {
        self.text("52", mcc)
    }

    /// ISO 4217 numeric code, `392` for yen.
    pub fn currency(self, code: impl Into<String>) -> Self {
        self.text("53", code)
    }

    /// The amount as EMVCo writes it (`1500`, `23.72`); yen has no minor unit.
    pub fn amount(self, amount: impl Into<String>) -> Self {
        self.text("54", amount)
    }

    /// ISO 3166-1 alpha-2, `JP`.
    pub fn country(self, code: impl Into<String>) -> Self {
        self.text("58", code)
    }

    pub fn merchant_name(self, name: impl Into<String>) -> Self {
        self.text("59", name)
    }

    pub fn merchant_city(self, city: impl Into<String>) -> Self {
        self.text("60", city)
    }

    pub fn postal_code(self, code: impl Into<String>) -> Self {
        self.text("61", code)
    }

    /// A sub-field of the additional data template `62` (`01` bill number, `05` reference label,
    /// `07` terminal label, …).
    pub fn additional(mut self, sub: impl Into<String>, value: impl Into<String>) -> Self {
        self.additional.push(Field::text(sub, value));
        self
    }

    /// `62`/`05`: the one-time reference a dynamic code carries.
    pub fn reference_label(self, reference: impl Into<String>) -> Self {
        self.additional("05", reference)
    }

    /// The language template `64`: `00` language (`JA`), `01` name and `02` city in it.
    pub fn language(mut self, language: impl Into<String>, name: impl Into<String>, city: Option<String>) -> Self {
        self.language = vec![Field::text("00", language), Field::text("01", name)];
        if let Some(city) = city {
            self.language.push(Field::text("02", city));
        }
        self
    }

    fn text(mut self, id: &str, value: impl Into<String>) -> Self {
        self.texts.retain(|f| f.id != id);
        self.texts.push(Field::text(id, value));
        self
    }

    pub fn to_payload(&self) -> Payload {
        let mut fields = vec![Field::text("00", "01")];
        if let Some(i) = self.initiation {
            fields.push(Field::text("01", i.code()));
        }
        fields.extend(self.accounts.iter().cloned());
        fields.extend(self.texts.iter().cloned());
        if !self.additional.is_empty() {
            fields.push(Field::template("62", self.additional.clone()));
        }
        if !self.language.is_empty() {
            fields.push(Field::template("64", self.language.clone()));
        }
        fields[1..].sort_by(|a, b| a.id.cmp(&b.id));
        Payload { fields }
    }

    pub fn encode(&self) -> Result<String, EncodeError> {
        encode(&self.to_payload())
    }
}

/// A merchant account template shaped like JPQR's: GUID `00`, then the four fixed-width levels
/// `01` (13 digits), `02` (4), `03` (6), `04` (6), then any further sub-fields (a key id and a
/// signature, say) in the order given. JPQR's own GUID is [`JPQR_GUID`](super::JPQR_GUID); a
/// scheme with its own (`jp.anshin`) passes that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JpqrTemplate {
    guid: String,
    levels: [String; 4],
    extra: Vec<Field>,
}

impl JpqrTemplate {
    /// Refuses a level of the wrong width or with a non-digit, naming it as `00`/`01`… of the
    /// template (the caller knows where it will put it).
    pub fn new(guid: impl Into<String>, levels: [&str; 4]) -> Result<Self, EncodeError> {
        for ((id, width), level) in JPQR_WIDTHS.iter().zip(levels) {
            if level.len() != *width || !level.bytes().all(|b| b.is_ascii_digit()) {
                return Err(EncodeError::FixedWidth { tag: (*id).into(), expected: *width, found: level.into() });
            }
        }
        Ok(JpqrTemplate { guid: guid.into(), levels: levels.map(String::from), extra: Vec::new() })
    }

    /// Appends sub-field `sub` after the fixed ones. `00`–`04` are taken; repeats are refused
    /// when encoding.
    pub fn with(mut self, sub: impl Into<String>, value: impl Into<String>) -> Result<Self, EncodeError> {
        let sub = sub.into();
        if matches!(sub.as_str(), "00" | "01" | "02" | "03" | "04") {
            return Err(EncodeError::ReservedSubTag {
                tag: "JPQR".into(),
                sub,
                reserved: "the GUID and the four levels",
            });
        }
        self.extra.push(Field::text(sub, value));
        Ok(self)
    }

    /// Reads a decoded template whose GUID is `guid`; `None` when the GUID differs or a level is
    /// missing or malformed (the decoder's warnings say which).
    pub fn from_fields(subs: &[Field], guid: &str) -> Option<Self> {
        let sub = |id: &str| subs.iter().find(|f| f.id == id).and_then(Field::as_text);
        if sub("00") != Some(guid) {
            return None;
        }
        let levels = [sub("01")?, sub("02")?, sub("03")?, sub("04")?];
        let mut t = JpqrTemplate::new(guid, levels).ok()?;
        t.extra = subs.iter().filter(|f| !matches!(f.id.as_str(), "00" | "01" | "02" | "03" | "04")).cloned().collect();
        Some(t)
    }

    pub fn guid(&self) -> &str {
        &self.guid
    }

    /// The four levels, `01` to `04`.
    pub fn levels(&self) -> [&str; 4] {
        [&self.levels[0], &self.levels[1], &self.levels[2], &self.levels[3]]
    }

    /// Sub-fields after the fixed ones, in order.
    pub fn extra(&self) -> &[Field] {
        &self.extra
    }

    pub fn extra_text(&self, sub: &str) -> Option<&str> {
        self.extra.iter().find(|f| f.id == sub).and_then(Field::as_text)
    }

    pub fn fields(&self) -> Vec<Field> {
        let mut out = vec![Field::text("00", self.guid.clone())];
        for ((id, _), level) in JPQR_WIDTHS.iter().zip(&self.levels) {
            out.push(Field::text(*id, level.clone()));
        }
        out.extend(self.extra.iter().cloned());
        out
    }
}
