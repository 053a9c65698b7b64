//! The fuzz engine, shared by `examples/fuzz/main.rs` (millions of inputs) and
//! `tests/fuzz_quick.rs` (a quick run in every `cargo test`).
//!
//! Inputs are the golden payloads mutated at the character, field and tree level (so they get
//! past the first check and reach the deep ones), plus random strings. For each input the MPM or
//! CPM decoder runs under `catch_unwind`; whatever decodes is encoded and decoded again and must
//! come back equal. The first panic or mismatch stops the run with the input that caused it.

use std::panic::{AssertUnwindSafe, catch_unwind};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use emvqr::cpm::{self, Tlv, TlvValue};
use emvqr::crc::crc16_hex;
use emvqr::mpm::{self, Field, Payload, Value};

const MPM_GOLDEN: &str = include_str!("../../tests/golden/mpm.txt");
const CPM_GOLDEN: &str = include_str!("../../tests/golden/cpm.txt");

/// Characters a mutation writes: digits (ids and lengths), hex, the CRC's tag, multi-byte ones
/// (lengths count characters) and a few that have no business in a payload.
const CHARS: &[char] = &[
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '6', '3', '0', 'A', 'F', 'a', 'x', ' ', '.', '*', 'メ', '東',
    'é', '\0', '\u{FFFF}',
];
/// Bytes that sit on BER's boundaries: multi-byte tag markers, the constructed bit, length forms.
const BYTES: &[u8] = &[0x00, 0x1F, 0x20, 0x3F, 0x61, 0x62, 0x64, 0x7F, 0x80, 0x81, 0x82, 0x83, 0x85, 0x9F, 0xFF];

pub struct Report {
    pub inputs: u64,
    pub mpm_decoded: u64,
    pub cpm_decoded: u64,
}

/// What went wrong, with the input that did it.
pub struct Failure {
    pub mode: &'static str,
    pub input: String,
    pub what: String,
}

struct Corpus {
    mpm_text: Vec<String>,
    mpm: Vec<Payload>,
    cpm_bytes: Vec<Vec<u8>>,
    cpm: Vec<Vec<Tlv>>,
}

fn corpus() -> Corpus {
    let lines = |t: &'static str| {
        t.lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .map(|(_, p)| p)
    };
    let mpm_text: Vec<String> = lines(MPM_GOLDEN).map(String::from).collect();
    let mpm = mpm_text.iter().filter_map(|p| mpm::decode(p).ok()).map(|d| d.payload).collect();
    let cpm_bytes: Vec<Vec<u8>> =
        lines(CPM_GOLDEN).map(|t| STANDARD.decode(t).expect("golden CPM is base64")).collect();
    let cpm = cpm_bytes.iter().filter_map(|b| cpm::decode_bytes(b).ok()).map(|d| d.code.tlvs).collect();
    Corpus { mpm_text, mpm, cpm_bytes, cpm }
}

/// Runs `iterations` inputs from `seed`, calling `progress` every million.
pub fn run(iterations: u64, seed: u64, mut progress: impl FnMut(u64)) -> Result<Report, Failure> {
    let corpus = corpus();
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut report = Report { inputs: 0, mpm_decoded: 0, cpm_decoded: 0 };
    for i in 0..iterations {
        if rng.bool() {
            let input = mpm_input(&mut rng, &corpus);
            report.mpm_decoded += u64::from(check_mpm(&input)?);
        } else {
            let input = cpm_input(&mut rng, &corpus);
            report.cpm_decoded += u64::from(check_cpm(&input)?);
        }
        report.inputs += 1;
        if (i + 1) % 1_000_000 == 0 {
            progress(i + 1);
        }
    }
    Ok(report)
}

fn guarded<T>(mode: &'static str, input: &str, f: impl FnOnce() -> Result<T, String>) -> Result<T, Failure> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(what)) => Err(Failure { mode, input: input.into(), what }),
        Err(panic) => {
            let msg =
                panic.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| panic.downcast_ref::<String>().cloned());
            Err(Failure { mode, input: input.into(), what: format!("panic: {}", msg.unwrap_or_default()) })
        }
    }
}

/// Decodes; if that works, encode and decode again must give the same payload.
fn check_mpm(input: &str) -> Result<bool, Failure> {
    guarded("MPM", input, || {
        let Ok(first) = mpm::decode(input) else { return Ok(false) };
        let text = mpm::encode(&first.payload).map_err(|e| format!("decoded but does not encode: {e}"))?;
        let second = mpm::decode(&text).map_err(|e| format!("re-encoded {text:?} does not decode: {e}"))?;
        if second.payload != first.payload {
            return Err(format!("round trip changed the payload: {:?} became {:?}", first.payload, second.payload));
        }
        Ok(true)
    })
}

fn check_cpm(input: &str) -> Result<bool, Failure> {
    guarded("CPM", input, || {
        let Ok(first) = cpm::decode(input) else { return Ok(false) };
        let text = cpm::encode(&first.code).map_err(|e| format!("decoded but does not encode: {e}"))?;
        let second = cpm::decode(&text).map_err(|e| format!("re-encoded {text:?} does not decode: {e}"))?;
        if second.code != first.code {
            return Err(format!("round trip changed the code: {:?} became {:?}", first.code, second.code));
        }
        Ok(true)
    })
}

fn mpm_input(rng: &mut fastrand::Rng, c: &Corpus) -> String {
    match rng.u8(0..10) {
        0 => (0..rng.usize(0..64)).map(|_| CHARS[rng.usize(..CHARS.len())]).collect(),
        1..=4 => {
            let s = pick(rng, &c.mpm_text);
            mutate_text(rng, s, c)
        }
        _ => {
            let p = pick(rng, &c.mpm);
            mutate_payload(rng, p, c)
        }
    }
}

fn pick<'a, T>(rng: &mut fastrand::Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

fn mutate_text(rng: &mut fastrand::Rng, s: &str, c: &Corpus) -> String {
    let mut cs: Vec<char> = s.chars().collect();
    for _ in 0..rng.usize(1..=3) {
        let at = rng.usize(..=cs.len());
        match rng.u8(0..7) {
            0 if at < cs.len() => cs[at] = CHARS[rng.usize(..CHARS.len())],
            1 => cs.insert(at, CHARS[rng.usize(..CHARS.len())]),
            2 if at < cs.len() => drop(cs.remove(at)),
            3 => cs.truncate(at),
            4 => {
                let end = (at + rng.usize(0..12)).min(cs.len());
                let copy: Vec<char> = cs[at..end].to_vec();
                let to = rng.usize(..=cs.len());
                cs.splice(to..to, copy);
            }
            5 => {
                let other: Vec<char> = c.mpm_text[rng.usize(..c.mpm_text.len())].chars().collect();
                let from = rng.usize(..other.len());
                let end = (from + rng.usize(1..40)).min(other.len());
                cs.splice(at..at, other[from..end].iter().copied());
            }
            _ => {}
        }
    }
    let s: String = cs.into_iter().collect();
    if rng.bool() { fix_crc(&s) } else { s }
}

/// Recomputes the CRC after the last `6304`, so a mutation reaches the checks behind it.
fn fix_crc(s: &str) -> String {
    match s.rfind("6304") {
        Some(i) => {
            let head = &s[..i + 4];
            format!("{head}{}", crc16_hex(head.as_bytes()))
        }
        None => s.into(),
    }
}

/// Mutates a decoded payload's fields, then writes them without the encoder's checks (repeats,
/// `00` anywhere, overlong values) and a CRC that is usually right.
fn mutate_payload(rng: &mut fastrand::Rng, p: &Payload, c: &Corpus) -> String {
    let mut fields = p.fields.clone();
    for _ in 0..rng.usize(1..=2) {
        let at = rng.usize(..fields.len().max(1));
        match rng.u8(0..7) {
            0 if !fields.is_empty() => drop(fields.remove(at)),
            1 if !fields.is_empty() => fields.insert(rng.usize(..=fields.len()), fields[at].clone()),
            2 if !fields.is_empty() => {
                let f = fields.remove(at);
                fields.insert(rng.usize(..=fields.len()), f);
            }
            3 if !fields.is_empty() => fields[at].value = Value::Text(random_text(rng, 0..120)),
            4 => fields
                .insert(at.min(fields.len()), Field::text(format!("{:02}", rng.u8(0..100)), random_text(rng, 0..30))),
            5 => {
                let other = &c.mpm[rng.usize(..c.mpm.len())];
                fields.push(other.fields[rng.usize(..other.fields.len())].clone());
            }
            6 if !fields.is_empty() => {
                let sub = Field::text(format!("{:02}", rng.u8(0..100)), random_text(rng, 0..20));
                match &mut fields[at].value {
                    Value::Template(subs) => subs.insert(rng.usize(..=subs.len()), sub),
                    v => *v = Value::Template(vec![sub]),
                }
            }
            _ => {}
        }
    }
    let mut out = String::new();
    for f in &fields {
        write_raw(&mut out, f);
    }
    out.push_str("6304");
    match rng.u8(0..10) {
        0 => out.push_str("0000"),
        1 => out.push_str(&crc16_hex(out.as_bytes()).to_lowercase()),
        _ => out.push_str(&crc16_hex(out.as_bytes())),
    }
    out
}

fn write_raw(out: &mut String, f: &Field) {
    let value = match &f.value {
        Value::Text(t) => t.clone(),
        Value::Template(subs) => {
            let mut inner = String::new();
            subs.iter().for_each(|s| write_raw(&mut inner, s));
            inner
        }
    };
    // A length past 99 wraps, as a careless writer's would.
    out.push_str(&format!("{}{:02}{value}", f.id, value.chars().count() % 100));
}

fn random_text(rng: &mut fastrand::Rng, len: std::ops::Range<usize>) -> String {
    (0..rng.usize(len)).map(|_| CHARS[rng.usize(..CHARS.len())]).collect()
}

fn cpm_input(rng: &mut fastrand::Rng, c: &Corpus) -> String {
    let bytes = match rng.u8(0..10) {
        0 => (0..rng.usize(0..48)).map(|_| rng.u8(..)).collect(),
        1..=4 => {
            let b = pick(rng, &c.cpm_bytes);
            mutate_bytes(rng, b)
        }
        _ => {
            let t = pick(rng, &c.cpm);
            mutate_tree(rng, t)
        }
    };
    let mut text = STANDARD.encode(bytes);
    if rng.u8(0..10) == 0 && !text.is_empty() {
        let at = rng.usize(..text.len());
        let bad = ['*', '-', '_', '=', ' ', 'A', '/'][rng.usize(..7)];
        text.replace_range(at..at + 1, &bad.to_string());
    }
    text
}

fn mutate_bytes(rng: &mut fastrand::Rng, b: &[u8]) -> Vec<u8> {
    let mut v = b.to_vec();
    for _ in 0..rng.usize(1..=3) {
        let at = rng.usize(..=v.len());
        match rng.u8(0..6) {
            0 if at < v.len() => v[at] ^= 1 << rng.u8(0..8),
            1 if at < v.len() => v[at] = BYTES[rng.usize(..BYTES.len())],
            2 => v.insert(at, BYTES[rng.usize(..BYTES.len())]),
            3 if at < v.len() => drop(v.remove(at)),
            4 => v.truncate(at),
            5 => {
                let end = (at + rng.usize(0..10)).min(v.len());
                let copy = v[at..end].to_vec();
                let to = rng.usize(..=v.len());
                v.splice(to..to, copy);
            }
            _ => {}
        }
    }
    v
}

/// Mutates a decoded tree (drop, repeat or wrap a node, change bytes), then writes it with
/// lengths in any form and sometimes a wrong one.
fn mutate_tree(rng: &mut fastrand::Rng, tlvs: &[Tlv]) -> Vec<u8> {
    let mut tlvs = tlvs.to_vec();
    mutate_level(rng, &mut tlvs, 0);
    let mut out = Vec::new();
    tlvs.iter().for_each(|t| write_tlv(rng, &mut out, t));
    out
}

fn mutate_level(rng: &mut fastrand::Rng, tlvs: &mut Vec<Tlv>, depth: usize) {
    if tlvs.is_empty() {
        return;
    }
    let at = rng.usize(..tlvs.len());
    match rng.u8(0..6) {
        0 => drop(tlvs.remove(at)),
        1 => tlvs.insert(at, tlvs[at].clone()),
        2 => {
            let inner = tlvs[at].clone();
            tlvs[at] = Tlv::constructed(cpm::Tag::COMMON_DATA_TRANSPARENT, vec![inner]);
        }
        3 => tlvs[at].value = TlvValue::Primitive((0..rng.usize(0..300)).map(|_| rng.u8(..)).collect()),
        _ if depth < 4 => {
            if let TlvValue::Constructed(children) = &mut tlvs[at].value {
                mutate_level(rng, children, depth + 1);
            }
        }
        _ => {}
    }
}

fn write_tlv(rng: &mut fastrand::Rng, out: &mut Vec<u8>, t: &Tlv) {
    let mut body = Vec::new();
    match &t.value {
        TlvValue::Primitive(b) => body.extend_from_slice(b),
        TlvValue::Constructed(children) => children.iter().for_each(|c| write_tlv(rng, &mut body, c)),
    }
    out.extend_from_slice(t.tag.as_bytes());
    let len = match rng.u8(0..40) {
        0 => body.len() + 1,
        1 => body.len().saturating_sub(1),
        _ => body.len(),
    };
    match (len, rng.u8(0..4)) {
        (0..=0x7F, 0..=2) => out.push(len as u8),
        (0..=0xFF, _) => out.extend_from_slice(&[0x81, len as u8]),
        _ => out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]),
    }
    out.extend_from_slice(&body);
}
