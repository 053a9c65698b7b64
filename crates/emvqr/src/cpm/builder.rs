//! Typed views of the `61` and `62` templates, for building a code and reading one.
//!
//! Reading puts tags this module does not name into `extra`, so nothing is lost; writing puts the
//! named tags first in EMVCo's order and `extra` after them. The generic [`Tlv`] tree is what
//! round-trips byte for byte; these views keep content, not order.

use super::{Tag, Tlv, TlvValue};

/// An application template (`61`): one payment application the wallet offers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Application {
    /// `4F` ADF name (the AID), or JPQR's provider id.
    pub aid: Vec<u8>,
    /// `50` application label.
    pub label: Option<Vec<u8>>,
    /// `57` Track 2 equivalent data, or JPQR's payment id.
    pub track2: Option<Vec<u8>>,
    /// `5A` application PAN.
    pub pan: Option<Vec<u8>>,
    /// `9F19` token requestor id.
    pub token_requestor_id: Option<Vec<u8>>,
    /// `9F24` payment account reference.
    pub par: Option<Vec<u8>>,
    /// `9F25` last four digits of the PAN.
    pub pan_last4: Option<Vec<u8>>,
    /// `63` application-specific transparent template's children.
    pub transparent: Option<Vec<Tlv>>,
    pub extra: Vec<Tlv>,
}

impl Application {
    pub fn new(aid: impl Into<Vec<u8>>) -> Self {
        Application { aid: aid.into(), ..Default::default() }
    }

    pub fn from_tlv(tlv: &Tlv) -> Self {
        let mut app = Application::default();
        for child in tlv.children() {
            let bytes = || child.bytes().map(<[u8]>::to_vec);
            match child.tag {
                Tag::ADF_NAME if app.aid.is_empty() => app.aid = bytes().unwrap_or_default(),
                Tag::APPLICATION_LABEL if app.label.is_none() => app.label = bytes(),
                Tag::TRACK2 if app.track2.is_none() => app.track2 = bytes(),
                Tag::PAN if app.pan.is_none() => app.pan = bytes(),
                Tag::TOKEN_REQUESTOR_ID if app.token_requestor_id.is_none() => app.token_requestor_id = bytes(),
                Tag::PAYMENT_ACCOUNT_REFERENCE if app.par.is_none() => app.par = bytes(),
                Tag::PAN_LAST4 if app.pan_last4.is_none() => app.pan_last4 = bytes(),
                Tag::APPLICATION_SPECIFIC_TRANSPARENT if app.transparent.is_none() => {
                    app.transparent = Some(child.children().to_vec());
                }
                _ => app.extra.push(child.clone()),
            }
        }
        app
    }

    pub fn to_tlv(&self) -> Tlv {
        let mut c = vec![Tlv::primitive(Tag::ADF_NAME, self.aid.clone())];
        push(&mut c, Tag::APPLICATION_LABEL, &self.label);
        push(&mut c, Tag::TRACK2, &self.track2);
        push(&mut c, Tag::PAN, &self.pan);
        push(&mut c, Tag::TOKEN_REQUESTOR_ID, &self.token_requestor_id);
        push(&mut c, Tag::PAYMENT_ACCOUNT_REFERENCE, &self.par);
        push(&mut c, Tag::PAN_LAST4, &self.pan_last4);
        if let Some(t) = &self.transparent {
            c.push(Tlv::constructed(Tag::APPLICATION_SPECIFIC_TRANSPARENT, t.clone()));
        }
        c.extend(self.extra.iter().cloned());
        Tlv::constructed(Tag::APPLICATION_TEMPLATE, c)
    }
}

/// The common data template (`62`) and its transparent template (`64`), where a wallet puts what
/// changes with every code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommonData {
    /// `5A` application PAN.
    pub pan: Option<Vec<u8>>,
    /// `5F20` cardholder name.
    pub cardholder_name: Option<Vec<u8>>,
    /// `5F2D` language preference.
    pub language: Option<Vec<u8>>,
    /// `64`/`9F10` issuer application data.
    pub issuer_application_data: Option<Vec<u8>>,
    /// `64`/`9F26` application cryptogram.
    pub cryptogram: Option<Vec<u8>>,
    /// `64`/`9F27` cryptogram information data.
    pub cryptogram_information: Option<Vec<u8>>,
    /// `64`/`9F36` application transaction counter.
    pub atc: Option<Vec<u8>>,
    /// `64`/`9F37` unpredictable number.
    pub unpredictable_number: Option<Vec<u8>>,
    /// Other children of `62`.
    pub extra: Vec<Tlv>,
    /// Other children of `64`.
    pub transparent_extra: Vec<Tlv>,
}

impl CommonData {
    pub fn from_tlv(tlv: &Tlv) -> Self {
        let mut d = CommonData::default();
        let mut seen_transparent = false;
        for child in tlv.children() {
            let bytes = || child.bytes().map(<[u8]>::to_vec);
            match child.tag {
                Tag::PAN if d.pan.is_none() => d.pan = bytes(),
                Tag::CARDHOLDER_NAME if d.cardholder_name.is_none() => d.cardholder_name = bytes(),
                Tag::LANGUAGE_PREFERENCE if d.language.is_none() => d.language = bytes(),
                Tag::COMMON_DATA_TRANSPARENT if !seen_transparent => {
                    seen_transparent = true;
                    d.read_transparent(child);
                }
                _ => d.extra.push(child.clone()),
            }
        }
        d
    }

    fn read_transparent(&mut self, tlv: &Tlv) {
        for child in tlv.children() {
            let bytes = || child.bytes().map(<[u8]>::to_vec);
            let slot = match child.tag {
                Tag::ISSUER_APPLICATION_DATA => &mut self.issuer_application_data,
                Tag::APPLICATION_CRYPTOGRAM => &mut self.cryptogram,
                Tag::CRYPTOGRAM_INFORMATION => &mut self.cryptogram_information,
                Tag::ATC => &mut self.atc,
                Tag::UNPREDICTABLE_NUMBER => &mut self.unpredictable_number,
                _ => {
                    self.transparent_extra.push(child.clone());
                    continue;
                }
            };
            if slot.is_none() {
                *slot = bytes();
            } else {
                self.transparent_extra.push(child.clone());
            }
        }
    }

    pub fn to_tlv(&self) -> Tlv {
        let mut c = Vec::new();
        push(&mut c, Tag::PAN, &self.pan);
        push(&mut c, Tag::CARDHOLDER_NAME, &self.cardholder_name);
        push(&mut c, Tag::LANGUAGE_PREFERENCE, &self.language);
        let mut t = Vec::new();
        push(&mut t, Tag::ISSUER_APPLICATION_DATA, &self.issuer_application_data);
        push(&mut t, Tag::APPLICATION_CRYPTOGRAM, &self.cryptogram);
        push(&mut t, Tag::CRYPTOGRAM_INFORMATION, &self.cryptogram_information);
        push(&mut t, Tag::ATC, &self.atc);
        push(&mut t, Tag::UNPREDICTABLE_NUMBER, &self.unpredictable_number);
        t.extend(self.transparent_extra.iter().cloned());
        if !t.is_empty() {
            c.push(Tlv::constructed(Tag::COMMON_DATA_TRANSPARENT, t));
        }
        c.extend(self.extra.iter().cloned());
        Tlv { tag: Tag::COMMON_DATA_TEMPLATE, value: TlvValue::Constructed(c) }
    }
}

fn push(out: &mut Vec<Tlv>, tag: Tag, value: &Option<Vec<u8>>) {
    if let Some(v) = value {
        out.push(Tlv::primitive(tag, v.clone()));
    }
}
