//! Comparing two names the way a person checking a payee would (PAYMENTS-DOMAIN.md item 12).
//!
//! A withdrawal may only go to an account whose holder is the KYC'd customer. Names arrive in
//! every writing (ヤマダ タロウ, ﾔﾏﾀﾞ ﾀﾛｳ, やまだたろう), so both sides are reduced to a key that
//! ignores width, kana size, spaces, punctuation and letter case, with the entity words (株式会社,
//! ｶ)…) taken out and kept apart. Only equal keys with equal entities are [`Match::Exact`]; every
//! other answer goes to a person, never through automatically.

use crate::entity::{Entity, Piece, places, split_entities};
use crate::kana::zengin_chars;

/// A name reduced for comparison: its text and, separately, its entity words with their places.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NameKey {
    key: String,
    entities: Vec<Entity>,
    /// Where each entity word sits in the key, in characters. Without it トウキョウ(ｶ)ｶﾞｽｻ-ﾋﾞｽ and
    /// ﾄｳｷﾖｳｶﾞｽ(ｶ)ｻ-ﾋﾞｽ, two registered names, would both be "middle" with the same key.
    entities_at: Vec<usize>,
}

impl NameKey {
    /// The text without entity words, spaces or punctuation: half-width large kana, the long-vowel
    /// mark `-`, A–Z, digits, and any other character (kanji, symbols, invisible ones) as given.
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// The entity words found, in order, with their places (前株 and 後株 differ).
    pub fn entities(&self) -> &[Entity] {
        &self.entities
    }
}

/// The outcome of comparing two names.
///
/// Only `Exact` is a match. Callers must send `EntityTypeDiffers` and `Mismatch` to human review
/// (for a withdrawal: hold it) and never treat them as a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[must_use]
pub enum Match {
    /// Same key and same entity words in the same places.
    Exact,
    /// Same key, but the entity words differ in type or place, or one side has none:
    /// ｶ)ｱﾝｼﾝ and ﾕ)ｱﾝｼﾝ are different companies, and so may be ｶ)ｱﾝｼﾝ and ｱﾝｼﾝ(ｶ, or
    /// ﾄｳｷﾖｳ(ｶ)ｶﾞｽｻ-ﾋﾞｽ and ﾄｳｷﾖｳｶﾞｽ(ｶ)ｻ-ﾋﾞｽ.
    EntityTypeDiffers,
    /// Different keys, or a side with no text at all.
    Mismatch,
}

impl Match {
    /// Whether the names may be treated as the same holder without a person looking.
    pub fn is_exact(self) -> bool {
        self == Self::Exact
    }
}

/// The comparison key of a name: NFKC, half-width kana, small kana made large, entity words and
/// abbreviations taken out (their types kept apart), spaces and punctuation removed, A–Z.
///
/// `-` stays after a kana: there it is the long-vowel mark ー, so サトー and サト are different
/// names, and dropping it would let one pass for the other. After a latin letter it can only be a
/// hyphen (SMITH-JONES), and goes like the other punctuation.
///
/// Only spaces and the punctuation banks write or drop go (see [`is_separator`]); any other
/// character stays in the key, even one that cannot be seen, so that it can never be what makes
/// two names equal: サト〜 is not ｻﾄ, ハ̈ (a diaeresis that reads as a dakuten) is not ﾊ, and a
/// zero-width space or soft hyphen sends the name to a person instead of vanishing.
///
/// Unlike [`crate::holder_name`] it never fails: characters with no Zengin form stay in the key,
/// so two kanji names can still be compared, and a kanji name never equals a kana one.
pub fn name_key(name: &str) -> NameKey {
    // Spaces and punctuation go before entity words are looked for, so that a word typed with a
    // space inside it (カブシキ ガイシャ) is still found; parentheses stay, as abbreviations use them.
    let chars: Vec<_> =
        zengin_chars(name).into_iter().filter(|traced| matches!(traced.ch, '(' | ')') || is_kept(traced.ch)).collect();
    let pieces = split_entities(&chars);
    let mut key = String::with_capacity(chars.len() * 3);
    let mut entities = Vec::new();
    let mut entities_at = Vec::new();
    for (piece, place) in pieces.iter().zip(places(&pieces)) {
        match (piece, place) {
            (Piece::Text(traced), _) if traced.ch == '-' && key.ends_with(|ch: char| ch.is_ascii_uppercase()) => {}
            (Piece::Text(traced), _) if is_kept(traced.ch) => key.push(traced.ch),
            (Piece::Text(_), _) => {}
            (Piece::Entity { kind, .. }, place) => {
                entities.push(Entity { kind: *kind, place: place.unwrap_or(crate::Place::Start) });
                entities_at.push(key.chars().count());
            }
        }
    }
    NameKey { key, entities, entities_at }
}

fn is_kept(ch: char) -> bool {
    !is_separator(ch)
}

/// Spaces of every kind, and the punctuation a bank writes in a name or leaves out (`.` also
/// stands for ・): nothing a person would read as part of a letter.
fn is_separator(ch: char) -> bool {
    ch.is_whitespace() || matches!(ch, '.' | '(' | ')' | '/' | ',' | '\'' | '’' | '、' | '。')
}

/// Compares two names by their [`name_key`]s. See [`Match`] for what each answer allows.
pub fn names_match(a: &str, b: &str) -> Match {
    let (a, b) = (name_key(a), name_key(b));
    let has_text = |key: &NameKey| key.key.chars().any(char::is_alphanumeric);
    if !has_text(&a) || !has_text(&b) || a.key != b.key {
        // A key without letters would make any two blank or punctuation-only names "equal".
        Match::Mismatch
    } else if a.entities != b.entities || a.entities_at != b.entities_at {
        Match::EntityTypeDiffers
    } else {
        Match::Exact
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EntityType, Place};

    #[test]
    fn the_same_name_in_another_writing_matches_exactly() {
        assert_eq!(names_match("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"), Match::Exact);
        assert_eq!(names_match("キュウ", "ｷﾕｳ"), Match::Exact);
        assert_eq!(names_match("やまだ　たろう", "ヤマダタロウ"), Match::Exact);
        assert_eq!(names_match("株式会社アンシン", "ｶ)ｱﾝｼﾝ"), Match::Exact);
        assert_eq!(names_match("カブシキ ガイシャ アンシン", "ｶ)ｱﾝｼﾝ"), Match::Exact);
        assert_eq!(names_match("アンシン株式会社", "ｱﾝｼﾝ(ｶ"), Match::Exact);
        assert_eq!(names_match("Anshin", "ＡＮＳＨＩＮ"), Match::Exact);
        assert_eq!(names_match("キャット・フード", "ｷﾔﾂﾄ.ﾌ-ﾄﾞ"), Match::Exact);
        assert!(names_match("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ").is_exact());
    }

    #[test]
    fn a_different_entity_is_never_a_match() {
        assert_eq!(names_match("ｶ)ｱﾝｼﾝ", "ﾕ)ｱﾝｼﾝ"), Match::EntityTypeDiffers);
        assert_eq!(names_match("株式会社アンシン", "アンシン"), Match::EntityTypeDiffers);
        // 前株 and 後株 are different registered names.
        assert_eq!(names_match("株式会社アンシン", "アンシン株式会社"), Match::EntityTypeDiffers);
        assert!(!names_match("ｶ)ｱﾝｼﾝ", "ﾕ)ｱﾝｼﾝ").is_exact());
    }

    #[test]
    fn different_names_and_scripts_mismatch() {
        assert_eq!(names_match("ヤマダ タロウ", "ヤマダ ジロウ"), Match::Mismatch);
        assert_eq!(names_match("YAMADA TARO", "ヤマダ タロウ"), Match::Mismatch);
        assert_eq!(names_match("ハ", "バ"), Match::Mismatch);
        assert_eq!(names_match("山田太郎", "ヤマダタロウ"), Match::Mismatch);
        assert_eq!(names_match("", ""), Match::Mismatch);
        assert_eq!(names_match("・ー", "-."), Match::Mismatch);
        assert_eq!(names_match("サトー", "サト"), Match::Mismatch);
        assert_eq!(names_match("サトー", "ｻﾄ-"), Match::Exact);
        assert_eq!(names_match("株式会社", "ｶ)"), Match::Mismatch);
    }

    #[test]
    fn a_character_that_is_not_a_separator_never_vanishes() {
        // Each of these was an Exact while every non-alphanumeric character was dropped.
        assert_eq!(names_match("サト〜", "ｻﾄ"), Match::Mismatch, "a wave dash typed for ー");
        assert_eq!(names_match("ハ\u{0308}ヤシ", "ﾊﾔｼ"), Match::Mismatch, "a diaeresis that reads as a dakuten");
        assert_eq!(names_match("ヤマダ\u{200B}タロウ", "ﾔﾏﾀﾞﾀﾛｳ"), Match::Mismatch, "a zero-width space");
        assert_eq!(names_match("サト\u{00AD}", "ｻﾄ"), Match::Mismatch, "a soft hyphen");
        assert_eq!(names_match("\u{200B}", "\u{200B}"), Match::Mismatch, "nothing visible at all");
        // What banks write or leave out still goes.
        assert_eq!(names_match("ヤマダ,タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ"), Match::Exact);
        assert_eq!(names_match("O’NEIL JOHN", "ONEIL JOHN"), Match::Exact);
        assert_eq!(names_match("ｱﾝｼﾝ(ﾄｳｷﾖｳ)", "アンシン／トウキョウ"), Match::Exact);
    }

    #[test]
    fn a_dash_after_a_latin_letter_is_a_hyphen_and_after_a_kana_a_long_vowel() {
        assert_eq!(names_match("SMITH-JONES ANNA", "SMITH JONES ANNA"), Match::Exact);
        assert_eq!(names_match("ｻﾄ-", "ｻﾄ"), Match::Mismatch);
        assert_eq!(name_key("ABC-ﾃﾞ-ﾀ").as_str(), "ABCﾃﾞ-ﾀ");
    }

    #[test]
    fn an_entity_in_the_middle_must_sit_at_the_same_point() {
        // Both are "middle" with the key ﾄｳｷﾖｳｶﾞｽｻ-ﾋﾞｽ, yet they are two registered names.
        assert_eq!(names_match("トウキョウ株式会社ガスサービス", "ﾄｳｷﾖｳｶﾞｽ(ｶ)ｻ-ﾋﾞｽ"), Match::EntityTypeDiffers);
        assert_eq!(names_match("トウキョウガス株式会社サービス", "ﾄｳｷﾖｳｶﾞｽ(ｶ)ｻ-ﾋﾞｽ"), Match::Exact);
    }

    #[test]
    fn the_key_keeps_text_and_entities_apart() {
        let key = name_key("アンシン株式会社 トウキョウ営業所");
        assert_eq!(key.as_str(), "ｱﾝｼﾝﾄｳｷﾖｳ");
        assert_eq!(
            key.entities(),
            [
                Entity { kind: EntityType::StockCompany, place: Place::Middle },
                Entity { kind: EntityType::SalesOffice, place: Place::End },
            ]
        );
        assert_eq!(name_key("山田 太郎").as_str(), "山田太郎");
    }
}
