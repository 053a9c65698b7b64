//! Legal-entity words (株式会社…) and their bank abbreviations (ｶ…).
//!
//! Banks write an entity word as a short kana abbreviation whose parentheses depend on where it
//! sits: `ｶ)` at the start, `(ｶ)` in the middle, `(ｶ` at the end. A name may spell the word in
//! kanji, in kana (カブシキガイシャ), as a kanji abbreviation ((株), ㈱) or already abbreviated (ｶ));
//! all of them are found here, on the name in Zengin form, so one table serves every spelling.

use std::sync::LazyLock;

use crate::kana::{Traced, zengin_chars};

/// The kind of legal entity (or office) a name carries, from the words banks abbreviate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EntityType {
    /// 株式会社 (ｶ).
    StockCompany,
    /// 有限会社 (ﾕ).
    LimitedCompany,
    /// 合同会社 (ﾄﾞ).
    LimitedLiabilityCompany,
    /// 合名会社 (ﾒ).
    GeneralPartnership,
    /// 合資会社 (ｼ).
    LimitedPartnership,
    /// 相互会社 (ｿ).
    MutualCompany,
    /// 医療法人, also 医療法人社団/財団 and 社会医療法人 (ｲ).
    MedicalCorporation,
    /// 財団法人, also 一般/公益財団法人 (ｻﾞｲ).
    Foundation,
    /// 社団法人, also 一般/公益社団法人 (ｼﾔ).
    Association,
    /// 学校法人 (ｶﾞｸ).
    SchoolCorporation,
    /// 社会福祉法人 (ﾌｸ).
    SocialWelfareCorporation,
    /// 宗教法人 (ｼﾕｳ).
    ReligiousCorporation,
    /// 特定非営利活動法人, NPO法人 (ﾄｸﾋ).
    Npo,
    /// 独立行政法人 (ﾄﾞｸ).
    AdministrativeAgency,
    /// 弁護士法人 (ﾍﾞﾝ).
    LawFirm,
    /// 税理士法人 (ｾﾞｲ).
    TaxAccountants,
    /// 司法書士法人 (ｼﾎｳ).
    JudicialScriveners,
    /// 行政書士法人 (ｷﾞﾖ).
    AdministrativeScriveners,
    /// 国立大学法人 (ﾀﾞｲ).
    NationalUniversity,
    /// 農事組合法人 (ﾉｳ).
    FarmingCooperative,
    /// 更生保護法人 (ﾎｺﾞ).
    RehabilitationCorporation,
    /// 営業所 (ｴｲ): not an entity, but banks abbreviate it by the same rule.
    SalesOffice,
    /// 出張所 (ｼﾕﾂ): likewise.
    BranchOffice,
}

/// Where an entity word sits in a name; it decides the abbreviation's parentheses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Place {
    /// Nothing before it (前株): `ｶ)ｱﾝｼﾝ`.
    Start,
    /// Text on both sides: `ｱﾝｼﾝ(ｶ)ﾄｳｷﾖｳ`.
    Middle,
    /// Nothing after it (後株): `ｱﾝｼﾝ(ｶ`.
    End,
}

/// An entity word found in a name, with its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entity {
    pub kind: EntityType,
    pub place: Place,
}

/// Each entity with its abbreviation and the words that spell it (kanji, kana readings, kanji
/// abbreviations). Sources: PAYMENTS-DOMAIN.md section 4, the keiyobank list and 全銀 別表.
const TABLE: &[(EntityType, &str, &[&str])] = &[
    (EntityType::StockCompany, "カ", &["株式会社", "(株)", "カブシキガイシャ", "カブシキカイシャ"]),
    (EntityType::LimitedCompany, "ユ", &["有限会社", "(有)", "ユウゲンガイシャ", "ユウゲンカイシャ"]),
    (EntityType::LimitedLiabilityCompany, "ド", &["合同会社", "(同)", "ゴウドウガイシャ", "ゴウドウカイシャ"]),
    (EntityType::GeneralPartnership, "メ", &["合名会社", "(名)", "ゴウメイガイシャ", "ゴウメイカイシャ"]),
    (EntityType::LimitedPartnership, "シ", &["合資会社", "(資)", "ゴウシガイシャ", "ゴウシカイシャ"]),
    (EntityType::MutualCompany, "ソ", &["相互会社", "ソウゴガイシャ", "ソウゴカイシャ"]),
    (
        EntityType::MedicalCorporation,
        "イ",
        &[
            "医療法人",
            "医療法人社団",
            "医療法人財団",
            "社会医療法人",
            "(医)",
            "イリョウホウジン",
            "イリョウホウジンシャダン",
            "イリョウホウジンザイダン",
            "シャカイイリョウホウジン",
        ],
    ),
    (
        EntityType::Foundation,
        "ザイ",
        &[
            "財団法人",
            "一般財団法人",
            "公益財団法人",
            "(財)",
            "ザイダンホウジン",
            "イッパンザイダンホウジン",
            "コウエキザイダンホウジン",
        ],
    ),
    (
        EntityType::Association,
        "シヤ",
        &[
            "社団法人",
            "一般社団法人",
            "公益社団法人",
            "(社)",
            "シャダンホウジン",
            "イッパンシャダンホウジン",
            "コウエキシャダンホウジン",
        ],
    ),
    (EntityType::SchoolCorporation, "ガク", &["学校法人", "(学)", "ガッコウホウジン"]),
    (EntityType::SocialWelfareCorporation, "フク", &["社会福祉法人", "(福)", "シャカイフクシホウジン"]),
    (EntityType::ReligiousCorporation, "シユウ", &["宗教法人", "(宗)", "シュウキョウホウジン"]),
    (EntityType::Npo, "トクヒ", &["特定非営利活動法人", "NPO法人", "(特非)", "トクテイヒエイリカツドウホウジン"]),
    (EntityType::AdministrativeAgency, "ドク", &["独立行政法人", "(独)", "ドクリツギョウセイホウジン"]),
    (EntityType::LawFirm, "ベン", &["弁護士法人", "ベンゴシホウジン"]),
    (EntityType::TaxAccountants, "ゼイ", &["税理士法人", "ゼイリシホウジン"]),
    (EntityType::JudicialScriveners, "シホウ", &["司法書士法人", "シホウショシホウジン"]),
    (EntityType::AdministrativeScriveners, "ギヨ", &["行政書士法人", "ギョウセイショシホウジン"]),
    (EntityType::NationalUniversity, "ダイ", &["国立大学法人", "コクリツダイガクホウジン"]),
    (EntityType::FarmingCooperative, "ノウ", &["農事組合法人", "ノウジクミアイホウジン"]),
    (EntityType::RehabilitationCorporation, "ホゴ", &["更生保護法人", "コウセイホゴホウジン"]),
    (EntityType::SalesOffice, "エイ", &["営業所", "エイギョウショ", "エイギョウジョ"]),
    (EntityType::BranchOffice, "シユツ", &["出張所", "シュッチョウショ", "シュッチョウジョ"]),
];

impl EntityType {
    /// The bank abbreviation in Zengin form, without parentheses, e.g. `ｶ` for 株式会社.
    pub fn abbreviation(self) -> &'static str {
        ABBREVIATIONS.iter().find(|(kind, _)| *kind == self).map_or("", |(_, abbreviation)| abbreviation.as_str())
    }

    /// The word in kanji, e.g. `株式会社`.
    pub fn word(self) -> &'static str {
        TABLE.iter().find(|(kind, _, _)| *kind == self).map_or("", |(_, _, words)| words[0])
    }
}

/// How an entity is spelled at one place in a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// The word itself, anywhere.
    Word,
    /// `(ｶ)`, anywhere.
    Wrapped,
    /// `ｶ)`, only with nothing before it.
    Leading,
    /// `(ｶ`, only with nothing after it.
    Trailing,
}

struct Pattern {
    kind: EntityType,
    chars: Vec<char>,
    form: Form,
}

static ABBREVIATIONS: LazyLock<Vec<(EntityType, String)>> = LazyLock::new(|| {
    TABLE
        .iter()
        .map(|(kind, abbreviation, _)| (*kind, zengin_chars(abbreviation).iter().map(|t| t.ch).collect()))
        .collect()
});

/// Every spelling, longest first, so 一般社団法人 wins over 社団法人 at the same place.
static PATTERNS: LazyLock<Vec<Pattern>> = LazyLock::new(|| {
    let zengin = |text: &str| zengin_chars(text).into_iter().map(|t| t.ch).collect::<Vec<_>>();
    let mut patterns = Vec::new();
    for (kind, abbreviation, words) in TABLE {
        let short = zengin(abbreviation);
        let wrap = |before: &[char], after: &[char]| [before, &short, after].concat();
        patterns.push(Pattern { kind: *kind, chars: wrap(&['('], &[')']), form: Form::Wrapped });
        patterns.push(Pattern { kind: *kind, chars: wrap(&[], &[')']), form: Form::Leading });
        patterns.push(Pattern { kind: *kind, chars: wrap(&['('], &[]), form: Form::Trailing });
        patterns.extend(words.iter().map(|word| Pattern { kind: *kind, chars: zengin(word), form: Form::Word }));
    }
    patterns.sort_by_key(|pattern| std::cmp::Reverse(pattern.chars.len()));
    patterns
});

/// A name split into its text and the entity words found in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(Traced),
    Entity { kind: EntityType, at: usize },
}

/// Splits a name (already in Zengin form where possible) into text and entity words, taking the
/// longest spelling at each place, leftmost first.
pub(crate) fn split_entities(chars: &[Traced]) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(chars.len());
    // Only text counts: a name of entity words alone writes each as a start (ｶ)ｴｲ)).
    let mut seen_text = false;
    let mut i = 0;
    while i < chars.len() {
        let rest = &chars[i..];
        let found = PATTERNS.iter().find(|pattern| {
            let len = pattern.chars.len();
            rest.len() >= len
                && rest.iter().zip(&pattern.chars).all(|(traced, ch)| traced.ch == *ch)
                && match pattern.form {
                    Form::Word | Form::Wrapped => true,
                    Form::Leading => !seen_text,
                    Form::Trailing => rest[len..].iter().all(|traced| traced.ch == ' '),
                }
        });
        match found {
            Some(pattern) => {
                pieces.push(Piece::Entity { kind: pattern.kind, at: chars[i].at });
                i += pattern.chars.len();
            }
            None => {
                pieces.push(Piece::Text(chars[i]));
                seen_text |= chars[i].ch != ' ';
                i += 1;
            }
        }
    }
    pieces
}

/// The place of each entity among the pieces: start when no text comes before it, end when none
/// comes after, middle otherwise. A name that is nothing but an entity counts as its start.
pub(crate) fn places(pieces: &[Piece]) -> Vec<Option<Place>> {
    let is_text = |piece: &Piece| matches!(piece, Piece::Text(traced) if traced.ch != ' ');
    let first_text = pieces.iter().position(is_text);
    let last_text = pieces.iter().rposition(is_text);
    pieces
        .iter()
        .enumerate()
        .map(|(index, piece)| match (piece, first_text, last_text) {
            (Piece::Text(_), _, _) => None,
            (Piece::Entity { .. }, Some(first), _) if index < first => Some(Place::Start),
            (Piece::Entity { .. }, _, Some(last)) if index > last => Some(Place::End),
            (Piece::Entity { .. }, Some(_), Some(_)) => Some(Place::Middle),
            (Piece::Entity { .. }, _, _) => Some(Place::Start),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(input: &str) -> Vec<(EntityType, Place)> {
        let pieces = split_entities(&zengin_chars(input));
        let places = places(&pieces);
        pieces
            .iter()
            .zip(places)
            .filter_map(|(piece, place)| match piece {
                Piece::Entity { kind, .. } => Some((*kind, place.unwrap())),
                Piece::Text(_) => None,
            })
            .collect()
    }

    #[test]
    fn every_spelling_of_an_entity_is_found_with_its_place() {
        use EntityType::*;
        for input in [
            "株式会社アンシン",
            "かぶしきがいしゃ アンシン",
            "カブシキカイシャアンシン",
            "ｶ)ｱﾝｼﾝ",
            "(株)アンシン",
            "㈱アンシン",
        ] {
            assert_eq!(kinds(input), [(StockCompany, Place::Start)], "{input}");
        }
        assert_eq!(kinds("アンシン株式会社"), [(StockCompany, Place::End)]);
        assert_eq!(kinds("ｱﾝｼﾝ(ｶ"), [(StockCompany, Place::End)]);
        assert_eq!(
            kinds("アンシン株式会社トウキョウ営業所"),
            [(StockCompany, Place::Middle), (SalesOffice, Place::End)]
        );
        assert_eq!(kinds("一般社団法人アンシン"), [(Association, Place::Start)]);
        assert_eq!(kinds("ｼﾔ)ｱﾝｼﾝ"), [(Association, Place::Start)]);
        assert_eq!(kinds("医療法人社団アンシン"), [(MedicalCorporation, Place::Start)]);
    }

    #[test]
    fn abbreviation_shapes_count_only_in_their_own_place() {
        // `ｶ)` away from the start and `(ｶ` away from the end are plain text.
        assert!(kinds("ｱﾝｼﾝｶ)ﾄｳｷﾖｳ").is_empty());
        assert!(kinds("ｱﾝｼﾝ(ｶﾄｳｷﾖｳ").is_empty());
        assert!(kinds("ヤマダ タロウ").is_empty());
    }

    #[test]
    fn each_entity_has_its_abbreviation_and_word() {
        assert_eq!(EntityType::StockCompany.abbreviation(), "ｶ");
        assert_eq!(EntityType::LimitedLiabilityCompany.abbreviation(), "ﾄﾞ");
        assert_eq!(EntityType::Association.abbreviation(), "ｼﾔ");
        assert_eq!(EntityType::Npo.word(), "特定非営利活動法人");
        assert!(TABLE.iter().all(|(kind, _, _)| !kind.abbreviation().is_empty()));
    }
}
