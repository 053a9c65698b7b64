//! The eKYC provider's memory: every check since start, what its document number's last digit
//! decides, and when. Pure and run under the server's one lock, so a check is created once per
//! reference however many requests race for it.

use std::collections::{HashMap, VecDeque};

use sha2::{Digest, Sha256};

/// Checks kept; the oldest are forgotten past this (the service reads a check within minutes).
pub const MAX_CHECKS: usize = 100_000;

/// What the provider read from the document and the selfie. Only the last digit of the number
/// is kept: the outcome is all the simulator needs it for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub full_name: String,
    pub full_name_kana: Option<String>,
    pub date_of_birth: String,
    pub address: String,
}

/// The decision a document number's last digit stands for (docs/EKYC-SIMULATOR.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0-4: the document and the selfie check out; the data is as read.
    Verified,
    /// 5 `face_mismatch`, 6 `document_expired`, 7 `document_tampered`.
    Rejected(&'static str),
    /// 8 `low_image_quality`: a person at the provider must look; it stays in review.
    Review(&'static str),
    /// 9: the provider never decides.
    NeverDecides,
}

impl Outcome {
    /// The outcome of a number whose last character is `digit`; `None` when it is not a digit.
    pub fn of_last_digit(digit: char) -> Option<Outcome> {
        Some(match digit.to_digit(10)? {
            0..=4 => Outcome::Verified,
            5 => Outcome::Rejected("face_mismatch"),
            6 => Outcome::Rejected("document_expired"),
            7 => Outcome::Rejected("document_tampered"),
            8 => Outcome::Review("low_image_quality"),
            _ => Outcome::NeverDecides,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Check {
    pub check_id: String,
    /// The request's digest: the same reference with other data is refused, not answered.
    fingerprint: [u8; 32],
    pub outcome: Outcome,
    pub data: Submitted,
    pub decide_at_ms: i64,
}

/// A check's state at a moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status<'a> {
    Pending,
    Verified(&'a Submitted),
    Rejected(&'static str),
    Review(&'static str),
}

impl Check {
    pub fn status_at(&self, now_ms: i64) -> Status<'_> {
        if now_ms < self.decide_at_ms {
            return Status::Pending;
        }
        match self.outcome {
            Outcome::Verified => Status::Verified(&self.data),
            Outcome::Rejected(reason) => Status::Rejected(reason),
            Outcome::Review(reason) => Status::Review(reason),
            Outcome::NeverDecides => Status::Pending,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The reference names a check made from other data.
    ReferenceReused,
}

#[derive(Default)]
pub struct Book {
    checks: HashMap<String, Check>,
    by_reference: HashMap<String, String>,
    /// Check ids oldest first, to forget the oldest past `MAX_CHECKS`.
    order: VecDeque<(String, String)>,
}

/// What a request asks the provider to check, parsed by the handler.
pub struct NewCheck<'a> {
    pub reference: &'a str,
    pub document_type: &'a str,
    pub document_number: &'a str,
    pub selfie_sha256: &'a str,
    pub outcome: Outcome,
    pub data: Submitted,
}

impl Book {
    /// The check for `new.reference`: the one made before for the same request, or a new one
    /// decided `delay_ms` from `now_ms`.
    pub fn submit(&mut self, new: NewCheck<'_>, now_ms: i64, delay_ms: u64) -> Result<&Check, Refusal> {
        let fingerprint = fingerprint(&new);
        if let Some(id) = self.by_reference.get(new.reference) {
            let check = &self.checks[id];
            return if check.fingerprint == fingerprint { Ok(check) } else { Err(Refusal::ReferenceReused) };
        }
        while self.order.len() >= MAX_CHECKS {
            if let Some((id, reference)) = self.order.pop_front() {
                self.checks.remove(&id);
                self.by_reference.remove(&reference);
            }
        }
        let check_id = format!("chk_{}", crate::storage::ids::random_hex_128());
        let check = Check {
            check_id: check_id.clone(),
            fingerprint,
            outcome: new.outcome,
            data: new.data,
            decide_at_ms: now_ms.saturating_add(i64::try_from(delay_ms).unwrap_or(i64::MAX)),
        };
        self.by_reference.insert(new.reference.to_owned(), check_id.clone());
        self.order.push_back((check_id.clone(), new.reference.to_owned()));
        Ok(self.checks.entry(check_id).or_insert(check))
    }

    pub fn get(&self, check_id: &str) -> Option<&Check> {
        self.checks.get(check_id)
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.checks.len()
    }
}

fn fingerprint(new: &NewCheck<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    let kana = new.data.full_name_kana.as_deref().unwrap_or("\u{0}");
    for part in [
        new.document_type,
        new.document_number,
        new.selfie_sha256,
        &new.data.full_name,
        kana,
        &new.data.date_of_birth,
        &new.data.address,
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(reference: &str, number: &str) -> NewCheck<'static> {
        let reference: &'static str = Box::leak(reference.to_owned().into_boxed_str());
        let number: &'static str = Box::leak(number.to_owned().into_boxed_str());
        NewCheck {
            reference,
            document_type: "drivers_license",
            document_number: number,
            selfie_sha256: "00",
            outcome: Outcome::of_last_digit(number.chars().last().unwrap()).unwrap(),
            data: Submitted {
                full_name: "山田 太郎".into(),
                full_name_kana: Some("ヤマダ タロウ".into()),
                date_of_birth: "1990-04-15".into(),
                address: "東京都渋谷区".into(),
            },
        }
    }

    #[test]
    fn the_last_digit_decides_and_only_after_the_delay() {
        let mut book = Book::default();
        let check = book.submit(new("r1", "123450"), 1_000, 200).unwrap().clone();
        assert_eq!(check.status_at(1_199), Status::Pending);
        assert!(matches!(check.status_at(1_200), Status::Verified(d) if d.full_name == "山田 太郎"));
        for (digit, status) in [
            ('5', Status::Rejected("face_mismatch")),
            ('6', Status::Rejected("document_expired")),
            ('7', Status::Rejected("document_tampered")),
            ('8', Status::Review("low_image_quality")),
            ('9', Status::Pending),
        ] {
            let check = book.submit(new(&format!("r{digit}"), &format!("12345{digit}")), 0, 0).unwrap();
            assert_eq!(check.status_at(i64::MAX), status, "{digit}");
        }
        assert_eq!(Outcome::of_last_digit('x'), None);
    }

    #[test]
    fn a_reference_names_one_check_and_one_request() {
        let mut book = Book::default();
        let first = book.submit(new("r1", "123450"), 0, 0).unwrap().check_id.clone();
        assert_eq!(book.submit(new("r1", "123450"), 5, 0).unwrap().check_id, first, "a retry is answered");
        assert_eq!(book.submit(new("r1", "123451"), 5, 0).err(), Some(Refusal::ReferenceReused));
        assert_eq!(book.len(), 1);
    }
}
