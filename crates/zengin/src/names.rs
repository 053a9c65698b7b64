//! Account-holder names in Zengin form, as banks accept them in transfer files.
//!
//! The rules (PAYMENTS-DOMAIN.md section 4, and jp-zengin-name's examples):
//! - NFKC first, then hiragana and full-width katakana become half-width katakana, with the voiced
//!   marks ﾞ ﾟ as their own characters; small kana become large (ｷｭｳ→ｷﾕｳ, ッ→ﾂ).
//! - `ー` becomes `-` and `・` becomes `.`; a–z become A–Z; runs of spaces become one.
//! - Entity words become their abbreviation by place: `ｶ)` at the start, `(ｶ)` in the middle,
//!   `(ｶ` at the end, without the spaces that separated them.
//! - Anything else (kanji, commas, symbols) is refused with the character and its position.
//! - At most 30 characters in Zengin form, where ｶﾞ counts two.

use std::fmt;

use crate::entity::{Piece, Place, places, split_entities};
use crate::error::NameError;
use crate::kana::{is_kanji, is_zengin_char, zengin_chars};

/// The recipient name field (受取人名) is 30 bytes, one per Zengin character.
pub const HOLDER_NAME_MAX_CHARS: usize = 30;

/// The requester name field (振込依頼人名) is 40 bytes.
pub const REQUESTER_NAME_MAX_CHARS: usize = 40;

/// Longer input is refused before any work: no real name is this long, even with its entity
/// words and spaces spelled out, and the entity search is linear in the input for each word.
pub const MAX_INPUT_CHARS: usize = 400;

/// A name in Zengin form: only Zengin characters ([`crate::is_zengin_char`]), 1 to 40 of them,
/// with no space at either end. Made by [`holder_name`] or [`requester_name`], or read from a
/// file.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HolderName(String);

impl HolderName {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Characters in Zengin form, which is also the bytes the name takes in a file.
    pub fn char_count(&self) -> usize {
        self.0.chars().count()
    }

    /// Accepts text that is already in Zengin form, as found in a file field, without applying
    /// the conversion rules; `None` if it breaks the type's invariant.
    pub(crate) fn from_zengin(text: &str) -> Option<Self> {
        let count = text.chars().count();
        let well_formed = (1..=REQUESTER_NAME_MAX_CHARS).contains(&count)
            && text.chars().all(is_zengin_char)
            && !text.starts_with(' ')
            && !text.ends_with(' ');
        well_formed.then(|| Self(text.to_owned()))
    }
}

impl fmt::Display for HolderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for HolderName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A recipient's account-holder name (受取人名) in Zengin form, at most 30 characters.
///
/// ```
/// assert_eq!(zengin::holder_name("株式会社 ガイタメドットコム").unwrap().as_str(), "ｶ)ｶﾞｲﾀﾒﾄﾞﾂﾄｺﾑ");
/// assert_eq!(zengin::holder_name("キャット・フード").unwrap().as_str(), "ｷﾔﾂﾄ.ﾌ-ﾄﾞ");
/// assert!(zengin::holder_name("山田 タロウ").is_err());
/// ```
pub fn holder_name(input: &str) -> Result<HolderName, NameError> {
    format_name(input, HOLDER_NAME_MAX_CHARS)
}

/// A requester's name (振込依頼人名) in Zengin form: the same rules, at most 40 characters.
pub fn requester_name(input: &str) -> Result<HolderName, NameError> {
    format_name(input, REQUESTER_NAME_MAX_CHARS)
}

fn format_name(input: &str, max_chars: usize) -> Result<HolderName, NameError> {
    let input_chars = input.chars().count();
    if input_chars > MAX_INPUT_CHARS {
        return Err(NameError::InputTooLong { chars: input_chars, max: MAX_INPUT_CHARS });
    }
    let pieces = tidy_spaces(split_entities(&zengin_chars(input)));
    if let Some(error) = first_refused(input, &pieces) {
        return Err(error);
    }
    if !pieces.iter().any(|piece| matches!(piece, Piece::Text(_))) {
        return Err(NameError::Empty);
    }
    let text = render(&pieces);
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(NameError::TooLong { chars, max: max_chars });
    }
    debug_assert!(HolderName::from_zengin(&text).is_some(), "{text:?}");
    Ok(HolderName(text))
}

/// Drops spaces at either end, next to an entity word, and after another space.
fn tidy_spaces(pieces: Vec<Piece>) -> Vec<Piece> {
    let is_space = |piece: &Piece| matches!(piece, Piece::Text(traced) if traced.ch == ' ');
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    for piece in pieces {
        match piece {
            Piece::Text(_) if is_space(&piece) => {
                if matches!(out.last(), Some(last @ Piece::Text(_)) if !is_space(last)) {
                    out.push(piece);
                }
            }
            Piece::Entity { .. } => {
                if out.last().is_some_and(is_space) {
                    out.pop();
                }
                out.push(piece);
            }
            Piece::Text(_) => out.push(piece),
        }
    }
    if out.last().is_some_and(is_space) {
        out.pop();
    }
    out
}

/// The first character with no Zengin form, named as the person typed it (1-based position).
fn first_refused(input: &str, pieces: &[Piece]) -> Option<NameError> {
    pieces.iter().find_map(|piece| match piece {
        Piece::Text(traced) if !is_zengin_char(traced.ch) => {
            let ch = input.chars().nth(traced.at).unwrap_or(traced.ch);
            let position = traced.at + 1;
            Some(if is_kanji(traced.ch) {
                NameError::NeedsReading { ch, position }
            } else {
                NameError::Unsupported { ch, position }
            })
        }
        _ => None,
    })
}

fn render(pieces: &[Piece]) -> String {
    let mut text = String::new();
    for (piece, place) in pieces.iter().zip(places(pieces)) {
        match (piece, place) {
            (Piece::Text(traced), _) => text.push(traced.ch),
            (Piece::Entity { kind, .. }, place) => {
                let abbreviation = kind.abbreviation();
                match place.unwrap_or(Place::Start) {
                    Place::Start => text.extend([abbreviation, ")"]),
                    Place::Middle => text.extend(["(", abbreviation, ")"]),
                    Place::End => text.extend(["(", abbreviation]),
                }
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(input: &str) -> String {
        holder_name(input).unwrap_or_else(|error| panic!("{input:?}: {error}")).0
    }

    #[test]
    fn jp_zengin_name_examples_give_the_same_names() {
        // The examples published with jp-zengin-name (README), in half-width Zengin form.
        assert_eq!(ok("株式会社 ガイタメドットコム"), "ｶ)ｶﾞｲﾀﾒﾄﾞﾂﾄｺﾑ");
        assert_eq!(ok("ガイタメドットコム株式会社 オキナワシシャ"), "ｶﾞｲﾀﾒﾄﾞﾂﾄｺﾑ(ｶ)ｵｷﾅﾜｼｼﾔ");
        assert_eq!(ok("かぶしきがいしゃ にっぽんしょうじ"), "ｶ)ﾆﾂﾎﾟﾝｼﾖｳｼﾞ");
        assert_eq!(ok("合同会社 ネクサス・ツールズ"), "ﾄﾞ)ﾈｸｻｽ.ﾂ-ﾙｽﾞ");
        assert_eq!(ok("キャット・フード"), "ｷﾔﾂﾄ.ﾌ-ﾄﾞ");
        assert_eq!(holder_name("山田 タロウ"), Err(NameError::NeedsReading { ch: '山', position: 1 }));
    }

    #[test]
    fn keiyobank_examples_place_the_abbreviation() {
        assert_eq!(ok("株式会社ケイヨウギンコウ"), "ｶ)ｹｲﾖｳｷﾞﾝｺｳ");
        assert_eq!(ok("ケイヨウギンコウ株式会社"), "ｹｲﾖｳｷﾞﾝｺｳ(ｶ");
        assert_eq!(ok("ケイヨウギンコウ株式会社チバシテン"), "ｹｲﾖｳｷﾞﾝｺｳ(ｶ)ﾁﾊﾞｼﾃﾝ");
    }

    #[test]
    fn the_payments_domain_table_abbreviates_every_word() {
        let cases = [
            ("株式会社", "ｶ"),
            ("有限会社", "ﾕ"),
            ("合同会社", "ﾄﾞ"),
            ("合名会社", "ﾒ"),
            ("合資会社", "ｼ"),
            ("医療法人", "ｲ"),
            ("財団法人", "ｻﾞｲ"),
            ("社団法人", "ｼﾔ"),
            ("学校法人", "ｶﾞｸ"),
            ("社会福祉法人", "ﾌｸ"),
            ("特定非営利活動法人", "ﾄｸﾋ"),
            ("営業所", "ｴｲ"),
        ];
        for (word, abbreviation) in cases {
            assert_eq!(ok(&format!("{word}アンシン")), format!("{abbreviation})ｱﾝｼﾝ"));
            assert_eq!(ok(&format!("アンシン{word}")), format!("ｱﾝｼﾝ({abbreviation}"));
            assert_eq!(ok(&format!("アンシン {word} ミナミ")), format!("ｱﾝｼﾝ({abbreviation})ﾐﾅﾐ"));
        }
        assert_eq!(ok("ユウゲンガイシャ アンシン"), "ﾕ)ｱﾝｼﾝ");
        assert_eq!(ok("ゴウドウガイシャアンシン"), "ﾄﾞ)ｱﾝｼﾝ");
        assert_eq!(ok("カブシキカイシャ アンシン"), "ｶ)ｱﾝｼﾝ");
    }

    #[test]
    fn kana_of_every_width_and_size_becomes_large_half_width() {
        assert_eq!(ok("キュウ"), "ｷﾕｳ");
        assert_eq!(ok("ｷｭｳ"), "ｷﾕｳ");
        assert_eq!(ok("  やまだ　　たろう "), "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(ok("ﾔﾏﾀﾞ ﾀﾛｳ"), "ﾔﾏﾀﾞ ﾀﾛｳ");
        assert_eq!(ok("Anshin Pay 2"), "ANSHIN PAY 2");
        assert_eq!(ok("ＡＢＣ（カ"), "ABC(ｶ");
        assert_eq!(ok("ポッポ/ヴィー"), "ﾎﾟﾂﾎﾟ/ｳﾞｲ-");
    }

    #[test]
    fn a_formatted_name_formats_to_itself() {
        for input in ["株式会社アンシン", "アンシン株式会社トウキョウ営業所", "キャット・フード", "ヤマダ タロウ"]
        {
            let once = ok(input);
            assert_eq!(ok(&once), once, "{input}");
        }
    }

    #[test]
    fn refused_characters_are_named_with_their_position() {
        assert_eq!(holder_name("ヤマダ,タロウ"), Err(NameError::Unsupported { ch: ',', position: 4 }));
        assert_eq!(holder_name("ｱﾝｼﾝ 東京"), Err(NameError::NeedsReading { ch: '東', position: 6 }));
        assert_eq!(holder_name("ｱ😀"), Err(NameError::Unsupported { ch: '😀', position: 2 }));
        assert_eq!(holder_name("ア\tイ"), Err(NameError::Unsupported { ch: '\t', position: 2 }));
        let message = holder_name("ｱﾝｼﾝ 東京").unwrap_err().to_string();
        assert!(message.contains('東') && message.contains('6'), "{message}");
    }

    #[test]
    fn the_length_cap_counts_voiced_marks_as_characters() {
        let fifteen_voiced = "ガ".repeat(15);
        assert_eq!(ok(&fifteen_voiced).chars().count(), 30);
        assert_eq!(holder_name(&format!("{fifteen_voiced}ア")), Err(NameError::TooLong { chars: 31, max: 30 }));
        assert_eq!(requester_name(&format!("{fifteen_voiced}ア")).unwrap().char_count(), 31);
        let message = holder_name(&"ガ".repeat(16)).unwrap_err().to_string();
        assert!(message.contains("32") && message.contains("30"), "{message}");
        assert_eq!(
            holder_name(&"ア".repeat(MAX_INPUT_CHARS + 1)),
            Err(NameError::InputTooLong { chars: 401, max: 400 })
        );
    }

    #[test]
    fn an_empty_name_is_refused() {
        assert_eq!(holder_name(""), Err(NameError::Empty));
        assert_eq!(holder_name(" 　 "), Err(NameError::Empty));
        assert_eq!(holder_name("株式会社"), Err(NameError::Empty));
    }
}
