//! `anshin qr decode` and `anshin qr encode`: the `emvqr` codec on the command line, as JSON.
//!
//! A merchant-presented payload becomes an object keyed by two-digit tag ids, in the payload's
//! order, with templates as objects keyed by sub-tag id, plus a `warnings` array. A
//! consumer-presented code becomes its BER-TLV tree keyed by hex tags, with primitive values in
//! uppercase hex and a repeated tag (two `61` templates) as an array at the place of its first
//! appearance (so `61 62 61` comes back as `61 61 62`). `qr encode` reads the same
//! shape. It ignores `warnings`, and for MPM it also ignores `63`, because the CRC is recomputed
//! from the other fields.

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::Subcommand;
use emvqr::cpm::{self, ConsumerCode, Tag, Tlv, TlvValue};
use emvqr::mpm::{self, Field, Payload, Value};
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

/// Exit status for a payload or JSON that was refused, as for a failed `admin verify-*`.
const REFUSED: u8 = 2;

#[derive(Subcommand)]
pub enum QrCmd {
    /// Decode a merchant-presented payload (it starts with 0002) or a consumer-presented code
    /// (base64) and print it as JSON; exit 2 with the reason if it is invalid.
    Decode {
        payload: String,
        /// Read the payload as a consumer-presented code even if it starts with 0002.
        #[arg(long)]
        cpm: bool,
    },
    /// Read JSON shaped like `qr decode`'s output on stdin and print the payload. For MPM the CRC
    /// is recomputed and any "63" key is ignored.
    Encode {
        /// The JSON is a consumer-presented tree keyed by hex tags.
        #[arg(long)]
        cpm: bool,
    },
}

pub fn run(cmd: QrCmd) -> ExitCode {
    let result = match cmd {
        QrCmd::Decode { payload, cpm } => decode(payload.trim(), cpm),
        QrCmd::Encode { cpm } => encode(cpm),
    };
    match result {
        // A closed pipe (`anshin qr decode … | head`) ends the output, not the process in a panic.
        Ok(out) => match writeln!(std::io::stdout().lock(), "{out}") {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::FAILURE,
        },
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(REFUSED)
        }
    }
}

fn decode(payload: &str, force_cpm: bool) -> Result<String, String> {
    let json = if force_cpm || !payload.starts_with("0002") {
        let d = cpm::decode(payload).map_err(|e| e.to_string())?;
        let mut entries = tree_json(&d.code.tlvs);
        entries.push(("warnings".into(), warnings_json(&d.warnings)));
        Json::Obj(entries)
    } else {
        let d = mpm::decode(payload).map_err(|e| e.to_string())?;
        let mut entries: Vec<(String, Json)> = d.payload.fields.iter().map(|f| (f.id.clone(), field_json(f))).collect();
        entries.push(("63".into(), Json::Str(d.crc.clone())));
        entries.push(("warnings".into(), warnings_json(&d.warnings)));
        Json::Obj(entries)
    };
    serde_json::to_string_pretty(&json).map_err(|e| e.to_string())
}

fn encode(cpm: bool) -> Result<String, String> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).map_err(|e| format!("cannot read stdin: {e}"))?;
    let json: Json = serde_json::from_str(&input).map_err(|e| format!("the input is not JSON: {e}"))?;
    let Json::Obj(entries) = json else { return Err("the input must be a JSON object".into()) };
    let entries = entries.into_iter().filter(|(k, _)| k != "warnings");
    if cpm {
        let tlvs = tree_from_json(entries.collect(), "")?;
        ConsumerCode { tlvs }.encode().map_err(|e| e.to_string())
    } else {
        let fields =
            entries.filter(|(k, _)| k != "63").map(|(k, v)| field_from_json(k, v)).collect::<Result<_, _>>()?;
        Payload::new(fields).encode().map_err(|e| e.to_string())
    }
}

fn field_json(f: &Field) -> Json {
    match &f.value {
        Value::Text(t) => Json::Str(t.clone()),
        Value::Template(subs) => Json::Obj(subs.iter().map(|s| (s.id.clone(), field_json(s))).collect()),
    }
}

fn field_from_json(id: String, value: Json) -> Result<Field, String> {
    match value {
        Json::Str(s) => Ok(Field::text(id, s)),
        Json::Obj(subs) => {
            let subs = subs
                .into_iter()
                .map(|(sub, v)| match v {
                    Json::Str(s) => Ok(Field::text(sub, s)),
                    _ => Err(format!("tag {id}/{sub}: a sub-field's value must be a string")),
                })
                .collect::<Result<_, _>>()?;
            Ok(Field::template(id, subs))
        }
        Json::Arr(_) | Json::Null => Err(format!("tag {id}: a value must be a string or an object of sub-fields")),
    }
}

fn warnings_json<W: std::fmt::Display>(warnings: &[W]) -> Json {
    Json::Arr(warnings.iter().map(|w| Json::Str(w.to_string())).collect())
}

/// Nodes keyed by hex tag in order of first appearance; a repeated tag's values become an array.
fn tree_json(tlvs: &[Tlv]) -> Vec<(String, Json)> {
    let mut out: Vec<(String, Json)> = Vec::new();
    for t in tlvs {
        let (key, value) = (t.tag.to_string(), node_json(t));
        match out.iter_mut().find(|(k, _)| *k == key) {
            Some((_, Json::Arr(items))) => items.push(value),
            Some((_, first)) => *first = Json::Arr(vec![std::mem::replace(first, Json::Null), value]),
            None => out.push((key, value)),
        }
    }
    out
}

fn node_json(t: &Tlv) -> Json {
    match &t.value {
        TlvValue::Primitive(b) => Json::Str(hex::encode_upper(b)),
        TlvValue::Constructed(children) => Json::Obj(tree_json(children)),
    }
}

fn tree_from_json(entries: Vec<(String, Json)>, parent: &str) -> Result<Vec<Tlv>, String> {
    let mut out = Vec::new();
    for (key, value) in entries {
        let path = if parent.is_empty() { key.clone() } else { format!("{parent}/{key}") };
        let tag = Tag::from_hex(&key).ok_or_else(|| format!("{path:?} is not a BER tag in hex"))?;
        let values = match value {
            Json::Arr(items) => items,
            one => vec![one],
        };
        for v in values {
            let value = match v {
                Json::Str(h) => {
                    TlvValue::Primitive(hex::decode(&h).map_err(|e| format!("tag {path}: {h:?} is not hex: {e}"))?)
                }
                Json::Obj(children) => TlvValue::Constructed(tree_from_json(children, &path)?),
                _ => return Err(format!("tag {path}: a value must be a hex string, an object or an array of them")),
            };
            out.push(Tlv { tag, value });
        }
    }
    Ok(out)
}

/// JSON whose objects keep their keys in order: payload order is meaningful (only `00` first and
/// `63` last are fixed), and `serde_json`'s map sorts keys unless its `preserve_order` feature is
/// on for the whole binary.
enum Json {
    Null,
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

impl serde::Serialize for Json {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Null => s.serialize_unit(),
            Json::Str(v) => s.serialize_str(v),
            Json::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                items.iter().try_for_each(|i| seq.serialize_element(i))?;
                seq.end()
            }
            Json::Obj(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                entries.iter().try_for_each(|(k, v)| map.serialize_entry(k, v))?;
                map.end()
            }
        }
    }
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("strings, arrays and objects")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.into()))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Arr(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry()? {
            entries.push(entry);
        }
        Ok(Json::Obj(entries))
    }
}
