//! Zengin name matching on a table of cases, each with the verdict a careful bank-operations
//! person would give (issue 8, item 6 and its acceptance line).
//!
//! A withdrawal or an account link goes through on its own only on `Match::Exact`; every other
//! verdict sends it to a person. So an `Exact` here is a promise that nobody needs to look: when in
//! doubt the expected verdict is `Mismatch` (or `EntityTypeDiffers`), never `Exact`.
//!
//! Each row is `(verified legal name, bank account-holder name, expected, why)`, and `why` starts
//! with its group (`"width: …"`), so the test can show every group is covered.

use zengin::Match::{self, EntityTypeDiffers, Exact, Mismatch};

#[rustfmt::skip]
const CASES: &[(&str, &str, Match, &str)] = &[
    // Full-width and half-width katakana, hiragana: the same name in another writing.
    ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", Exact, "width: full-width katakana against the bank's half-width form"),
    ("やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ", Exact, "width: hiragana is the same reading"),
    ("ｽｽﾞｷ ﾊﾅｺ", "スズキ ハナコ", Exact, "width: half-width on the legal side, full-width on the bank side"),
    ("やマﾀﾞ たﾛウ", "ﾔﾏﾀﾞ ﾀﾛｳ", Exact, "width: hiragana, full- and half-width mixed in one name"),
    ("ヴィクター", "ｳﾞｲｸﾀ-", Exact, "width: ヴ is written ｳﾞ in half-width"),
    ("ヱビス", "ｴﾋﾞｽ", Exact, "width: ヱ has no half-width form; banks write ｴ"),
    // Small kana (ャュョッァ…) are written large in Zengin form.
    ("キャッシュ", "ｷﾔﾂｼﾕ", Exact, "small-kana: ャ ッ ュ become ﾔ ﾂ ﾕ"),
    ("ｷｮｳｺ", "キヨウコ", Exact, "small-kana: half-width small ｮ against full-width large ヨ"),
    ("ファン ミン", "ﾌｱﾝ ﾐﾝ", Exact, "small-kana: small ァ"),
    ("ハットリ ジュン", "ﾊﾂﾄﾘ ｼﾞﾕﾝ", Exact, "small-kana: small ッ and ュ together"),
    ("シュウ", "ｼﾕｳ", Exact, "small-kana: ュ inside a short name"),
    // The long-vowel mark: ー, ｰ, - and the dashes people type for it are one mark; only the same
    // long-vowel spelling is exact (サトー, サトウ and サト are three spellings a bank tells apart).
    ("サトー", "ｻﾄ-", Exact, "long-vowel: ー is written - in Zengin form"),
    ("サトー", "サトｰ", Exact, "long-vowel: half-width ｰ is the same mark"),
    ("サトー", "サト—", Exact, "long-vowel: an em dash typed for ー"),
    ("サトー", "ｻﾄｳ", Mismatch, "long-vowel: ー against ウ is another spelling"),
    ("サトー", "ｻﾄ", Mismatch, "long-vowel: the mark dropped"),
    ("サトウ", "ｻﾄ", Mismatch, "long-vowel: ウ dropped"),
    ("オオノ", "ｵ-ﾉ", Mismatch, "long-vowel: オオ against オー"),
    ("サト〜", "ｻﾄ", Mismatch, "long-vowel: a wave dash typed for ー must not vanish"),
    // Voiced marks: ﾞ and ﾟ are part of the kana; a missing or different mark is another name.
    ("ダイスケ", "ﾀﾞｲｽｹ", Exact, "voiced: ダ against ﾀﾞ"),
    ("か゛とう", "ｶﾞﾄｳ", Exact, "voiced: a spacing dakuten typed after か"),
    ("ハ\u{3099}ンドウ", "ﾊﾞﾝﾄﾞｳ", Exact, "voiced: a combining dakuten"),
    ("ハヤシ", "ﾊﾞﾔｼ", Mismatch, "voiced: ハ against バ"),
    ("バンドウ", "ﾊﾟﾝﾄﾞｳ", Mismatch, "voiced: バ against パ"),
    ("ヤマダ タロウ", "ﾔﾏﾀ ﾀﾛｳ", Mismatch, "voiced: the mark missing on the bank side"),
    ("フジ", "ﾌｼ", Mismatch, "voiced: ジ against シ is a different name"),
    ("ミチヂ", "ﾐﾁｼﾞ", Mismatch, "voiced: ヂ and ジ sound alike but are different kana"),
    // Spaces: none, ASCII, ideographic, several; the bank's one space between family and given name.
    ("ヤマダタロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", Exact, "spaces: none on the legal side"),
    ("ヤマダ　タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", Exact, "spaces: an ideographic space"),
    ("  ヤマダ \u{3000} タロウ ", "ﾔﾏﾀﾞ ﾀﾛｳ", Exact, "spaces: runs and ends of mixed spaces"),
    ("ヤマダ\tタロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", Exact, "spaces: a tab copied from a spreadsheet"),
    // Punctuation a bank writes or drops: ・ . ( ) / and - between latin words.
    ("キャット・フード", "ｷﾔﾂﾄ.ﾌ-ﾄﾞ", Exact, "punctuation: ・ is written ."),
    ("キャットフード", "ｷﾔﾂﾄ.ﾌ-ﾄﾞ", Exact, "punctuation: ・ left out on one side"),
    ("ジョン・スミス", "ｼﾞﾖﾝ ｽﾐｽ", Exact, "punctuation: ・ against a space"),
    ("ｱﾝｼﾝ(ﾄｳｷﾖｳ)", "アンシン トウキョウ", Exact, "punctuation: parentheses that are not an entity"),
    ("ABC/ﾃﾞﾝｷ", "ABC ﾃﾞﾝｷ", Exact, "punctuation: a slash"),
    ("SMITH-JONES ANNA", "SMITH JONES ANNA", Exact, "punctuation: - between latin letters is a hyphen, not ー"),
    ("ヤマダ,タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", Exact, "punctuation: a comma some banks accept"),
    // Latin letters: case and width do not matter; the letters do.
    ("Anshin Pay", "ANSHIN PAY", Exact, "latin: lowercase against the bank's uppercase"),
    ("ａｎｓｈｉｎ", "ANSHIN", Exact, "latin: full-width lowercase"),
    ("ＪＯＨＮ　ＳＭＩＴＨ", "john smith", Exact, "latin: full-width uppercase against lowercase"),
    ("JOHN SMITH", "JOHN SMYTH", Mismatch, "latin: one letter differs"),
    ("JOSÉ GARCIA", "JOSE GARCIA", Mismatch, "latin: an accent a bank cannot write; stricter than needed, a person looks"),
    // Entity words at the start (前株): the bank writes ｶ), ﾕ)… before the name.
    ("株式会社アンシン", "ｶ)ｱﾝｼﾝ", Exact, "entity-start: 株式会社 as ｶ)"),
    ("㈱アンシン", "ｶ)ｱﾝｼﾝ", Exact, "entity-start: the one-character ㈱"),
    ("カブシキガイシャ アンシン", "ｶ)ｱﾝｼﾝ", Exact, "entity-start: 株式会社 spelled in kana"),
    ("有限会社ヤマダショウテン", "ﾕ)ﾔﾏﾀﾞｼﾖｳﾃﾝ", Exact, "entity-start: 有限会社 as ﾕ)"),
    ("合同会社 ネクサス", "ﾄﾞ)ﾈｸｻｽ", Exact, "entity-start: 合同会社 as ﾄﾞ)"),
    ("医療法人社団ケンコウカイ", "ｲ)ｹﾝｺｳｶｲ", Exact, "entity-start: 医療法人社団 as ｲ)"),
    ("一般社団法人アンシンキョウカイ", "ｼﾔ)ｱﾝｼﾝｷﾖｳｶｲ", Exact, "entity-start: 一般社団法人 as ｼﾔ)"),
    ("特定非営利活動法人 アンシン", "ﾄｸﾋ)ｱﾝｼﾝ", Exact, "entity-start: 特定非営利活動法人 as ﾄｸﾋ)"),
    ("社会福祉法人サクラカイ", "ﾌｸ)ｻｸﾗｶｲ", Exact, "entity-start: 社会福祉法人 as ﾌｸ)"),
    // Entity words in the middle: (ｶ) between the name and what follows it (a branch, an office).
    ("アンシン株式会社トウキョウシテン", "ｱﾝｼﾝ(ｶ)ﾄｳｷﾖｳｼﾃﾝ", Exact, "entity-middle: 株式会社 as (ｶ)"),
    ("ヤマダ有限会社 ミナミテン", "ﾔﾏﾀﾞ(ﾕ)ﾐﾅﾐﾃﾝ", Exact, "entity-middle: 有限会社 as (ﾕ)"),
    ("ケンコウカイ医療法人 サクラクリニック", "ｹﾝｺｳｶｲ(ｲ)ｻｸﾗｸﾘﾆﾂｸ", Exact, "entity-middle: 医療法人 as (ｲ)"),
    ("トウキョウ株式会社ガスサービス", "ﾄｳｷﾖｳｶﾞｽ(ｶ)ｻ-ﾋﾞｽ", EntityTypeDiffers,
        "entity-middle: the same letters with (ｶ) elsewhere in the middle is another registered name"),
    // Entity words at the end (後株): the bank writes (ｶ, (ﾕ… after the name.
    ("アンシン株式会社", "ｱﾝｼﾝ(ｶ", Exact, "entity-end: 株式会社 as (ｶ"),
    ("ヤマダショウテン有限会社", "ﾔﾏﾀﾞｼﾖｳﾃﾝ(ﾕ", Exact, "entity-end: 有限会社 as (ﾕ"),
    ("ネクサス合同会社", "ﾈｸｻｽ(ﾄﾞ", Exact, "entity-end: 合同会社 as (ﾄﾞ"),
    ("アンシン (株)", "ｱﾝｼﾝ(ｶ", Exact, "entity-end: (株) after a space"),
    ("ｱﾝｼﾝ(ｶ)", "アンシン株式会社", Exact, "entity-end: (ｶ) written closed at the end"),
    // A different entity: another company, or the same words registered another way.
    ("株式会社アンシン", "ﾕ)ｱﾝｼﾝ", EntityTypeDiffers, "entity-differs: 株式会社 against 有限会社"),
    ("合同会社アンシン", "ｶ)ｱﾝｼﾝ", EntityTypeDiffers, "entity-differs: 合同会社 against 株式会社"),
    ("一般社団法人アンシン", "ｻﾞｲ)ｱﾝｼﾝ", EntityTypeDiffers, "entity-differs: 社団法人 against 財団法人"),
    ("株式会社アンシン", "ｱﾝｼﾝ(ｶ", EntityTypeDiffers, "entity-differs: 前株 against 後株"),
    ("アンシン株式会社トウキョウ", "ｱﾝｼﾝﾄｳｷﾖｳ(ｶ", EntityTypeDiffers, "entity-differs: middle against end"),
    ("株式会社アンシン", "ｱﾝｼﾝ", EntityTypeDiffers, "entity-differs: no entity on the bank side"),
    ("アンシン", "ｱﾝｼﾝ(ｶ", EntityTypeDiffers, "entity-differs: a person's name against a company's account"),
    ("アンシン株式会社トウキョウ", "ｱﾝｼﾝ(ｶ)ﾄｳｷﾖｳ(ｴｲ", EntityTypeDiffers, "entity-differs: an extra 営業所"),
    // Romaji against kana: the same reading in another script is not the same name on file.
    ("YAMADA TAROU", "ﾔﾏﾀﾞ ﾀﾛｳ", Mismatch, "romaji: romaji legal name, kana account"),
    ("ヤマダ タロウ", "YAMADA TARO", Mismatch, "romaji: kana legal name, romaji account"),
    ("ANSHIN KABUSHIKIGAISHA", "ｶ)ｱﾝｼﾝ", Mismatch, "romaji: the entity word in romaji"),
    // Kanji against kana: only the person can say how a kanji reads.
    ("山田太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", Mismatch, "kanji: a kanji name against its reading"),
    ("山田 タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", Mismatch, "kanji: kanji family name, kana given name"),
    ("株式会社安心", "ｶ)ｱﾝｼﾝ", Mismatch, "kanji: the company name in kanji"),
    // Maiden and married names: the same person, but not the same name on the account.
    ("スズキ ハナコ", "ﾔﾏﾀﾞ ﾊﾅｺ", Mismatch, "maiden: married legal name, account still in the maiden name"),
    ("ヤマダ ハナコ", "ｽｽﾞｷ ﾊﾅｺ", Mismatch, "maiden: maiden legal name, account in the married name"),
    ("スズキ（ヤマダ）ハナコ", "ｽｽﾞｷ ﾊﾅｺ", Mismatch, "maiden: 旧姓 written beside the married name"),
    // Given name first: another order is another name on file.
    ("タロウ ヤマダ", "ﾔﾏﾀﾞ ﾀﾛｳ", Mismatch, "reversed: given name first"),
    ("TARO YAMADA", "YAMADA TARO", Mismatch, "reversed: latin given name first"),
    // One character off, one extra, one missing.
    ("ヤマダ タロウ", "ﾔﾏﾀﾞ ｼﾞﾛｳ", Mismatch, "typo: one kana differs"),
    ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛ", Mismatch, "typo: one kana missing"),
    ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳﾀ", Mismatch, "typo: one kana extra"),
    ("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ ", Exact, "typo: a trailing space is no difference"),
    // The bank keeps 30 characters of the name (ﾞ and ﾟ count one each): a cut name is not proof.
    ("カブシキガイシャ アンシンペイメントサービスホールディングストウキョウ", "ｶ)ｱﾝｼﾝﾍﾟｲﾒﾝﾄｻ-ﾋﾞｽﾎ-ﾙﾃﾞｲﾝｸﾞｽﾄｳｷ",
        Mismatch, "truncated: 32 characters cut to 30; another company may share the first 30"),
    ("MARIA GUADALUPE FERNANDEZ RODRIGUEZ", "MARIA GUADALUPE FERNANDEZ RODR", Mismatch,
        "truncated: a long latin name cut to 30"),
    ("アンシンペイメントサービスホールディングスチバ株式会社", "ｱﾝｼﾝﾍﾟｲﾒﾝﾄｻ-ﾋﾞｽﾎ-ﾙﾃﾞｲﾝｸﾞｽﾁﾊﾞ(ｶ", Exact,
        "truncated: exactly 30 characters, nothing cut"),
    // Nothing to compare: never a match, not even with itself.
    ("", "", Mismatch, "empty: both empty"),
    ("", "ﾔﾏﾀﾞ ﾀﾛｳ", Mismatch, "empty: no legal name"),
    ("　", " ", Mismatch, "empty: spaces only"),
    ("・ー", "-.", Mismatch, "empty: punctuation only"),
    ("株式会社", "ｶ)", Mismatch, "empty: an entity word with no name"),
    ("()", "()", Mismatch, "empty: parentheses only"),
    // Look-alikes: a character that looks like another is another character.
    ("АNSHIN", "ANSHIN", Mismatch, "look-alike: Cyrillic А inside a latin name"),
    ("ΑΝSHIN", "ANSHIN", Mismatch, "look-alike: Greek Α and Ν inside a latin name"),
    ("аnshin", "ANSHIN", Mismatch, "look-alike: lowercase Cyrillic а is not uppercased to A"),
    ("ｱﾝｼﾝ２", "ｱﾝｼﾝ2", Exact, "look-alike: a full-width digit is the same digit"),
    ("ＡＢＣ０", "ABCO", Mismatch, "look-alike: full-width zero against the letter O"),
    ("ＡＢＣ１", "ABCI", Mismatch, "look-alike: full-width one against the letter I"),
    ("サト一", "ｻﾄ-", Mismatch, "look-alike: the kanji 一 is not the long-vowel mark"),
    ("タ口ウ", "ﾀﾛｳ", Mismatch, "look-alike: the kanji 口 is not the katakana ロ"),
    ("力)アンシン", "ｶ)ｱﾝｼﾝ", Mismatch, "look-alike: the kanji 力 is not the katakana カ"),
    ("工ビス", "ｴﾋﾞｽ", Mismatch, "look-alike: the kanji 工 is not the katakana エ"),
    ("ハ\u{0308}ヤシ", "ﾊﾔｼ", Mismatch, "look-alike: a combining diaeresis reads as a dakuten (バ)"),
    ("ハ\u{0308}ヤシ", "ﾊﾞﾔｼ", Mismatch, "look-alike: nor is it a real dakuten"),
    // Invisible characters: what cannot be seen must not decide the verdict, so a person looks.
    ("ヤマダ\u{200B}タロウ", "ﾔﾏﾀﾞﾀﾛｳ", Mismatch, "invisible: a zero-width space inside the name"),
    ("サト\u{00AD}", "ｻﾄ-", Mismatch, "invisible: a soft hyphen is not the long-vowel mark"),
    ("サト\u{00AD}", "ｻﾄ", Mismatch, "invisible: nor is it nothing"),
    ("ヤマダ\u{200D}タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", Mismatch, "invisible: a zero-width joiner"),
    ("\u{FEFF}ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", Mismatch, "invisible: a byte-order mark at the start"),
    ("ANSHIN\u{E0041}", "ANSHIN", Mismatch, "invisible: a tag character"),
    ("\u{200B}", "\u{200B}", Mismatch, "invisible: nothing but an invisible character"),
];

/// Every group the acceptance line and the brief name, with the fewest rows each must have.
const GROUPS: &[(&str, usize)] = &[
    ("width", 3),
    ("small-kana", 3),
    ("long-vowel", 5),
    ("voiced", 4),
    ("spaces", 3),
    ("punctuation", 4),
    ("latin", 3),
    ("entity-start", 5),
    ("entity-middle", 3),
    ("entity-end", 3),
    ("entity-differs", 5),
    ("romaji", 2),
    ("kanji", 2),
    ("maiden", 2),
    ("reversed", 2),
    ("typo", 3),
    ("truncated", 2),
    ("empty", 3),
    ("look-alike", 5),
    ("invisible", 4),
];

const MIN_ROWS: usize = 60;

/// A name as a reader should see it in a failure: kana and kanji as they are (Debug would escape
/// ﾞ), and only what cannot be seen written as an escape.
fn shown(name: &str) -> String {
    let hidden = |ch: char| {
        ch.is_control()
            || (ch.is_whitespace() && ch != ' ')
            || matches!(ch, '\u{00AD}' | '\u{0300}'..='\u{036F}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{206F}')
            || matches!(ch, '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{E0000}'..='\u{E01EF}')
    };
    let inner: String =
        name.chars().map(|ch| if hidden(ch) { ch.escape_unicode().to_string() } else { ch.to_string() }).collect();
    format!("«{inner}»")
}

fn group_of(why: &str) -> &str {
    why.split_once(':').map_or("", |(group, _)| group)
}

#[test]
fn every_row_of_the_name_table_gets_its_expected_verdict() {
    let mut wrong = Vec::new();
    for &(legal, bank, expected, why) in CASES {
        let got = zengin::names_match(legal, bank);
        if got != expected {
            wrong.push(format!("{} vs {}: expected {expected:?}, got {got:?} ({why})", shown(legal), shown(bank)));
        }
        // Which side is the legal name must not change the verdict.
        let swapped = zengin::names_match(bank, legal);
        if swapped != expected {
            let (bank, legal) = (shown(bank), shown(legal));
            wrong.push(format!("{bank} vs {legal} (swapped): expected {expected:?}, got {swapped:?} ({why})"));
        }
    }
    for line in &wrong {
        eprintln!("{line}");
    }
    assert!(wrong.is_empty(), "{} of {} rows (both ways) got the wrong verdict", wrong.len(), CASES.len() * 2);
}

#[test]
fn the_name_table_covers_every_group() {
    assert!(CASES.len() >= MIN_ROWS, "{} rows, at least {MIN_ROWS} wanted", CASES.len());
    for &(legal, bank, _, why) in CASES {
        let group = group_of(why);
        assert!(GROUPS.iter().any(|(name, _)| *name == group), "{legal:?} vs {bank:?}: unknown group in {why:?}");
    }
    for &(group, min) in GROUPS {
        let rows = CASES.iter().filter(|(_, _, _, why)| group_of(why) == group).count();
        assert!(rows >= min, "group {group}: {rows} rows, at least {min} wanted");
    }
    // Each verdict is exercised, so the table can catch a matcher that always answers one way.
    for verdict in [Exact, EntityTypeDiffers, Mismatch] {
        assert!(CASES.iter().any(|(_, _, expected, _)| *expected == verdict), "no row expects {verdict:?}");
    }
}

#[test]
fn the_truncated_rows_hold_the_bank_field_length() {
    // The bank side of a truncation row is exactly the 30 characters the recipient field keeps.
    for &(legal, bank, _, why) in CASES.iter().filter(|(_, _, _, why)| group_of(why) == "truncated") {
        assert_eq!(bank.chars().count(), zengin::HOLDER_NAME_MAX_CHARS, "{bank:?} ({why})");
        let full = zengin::requester_name(legal).unwrap_or_else(|error| panic!("{legal:?}: {error}"));
        assert!(full.as_str().starts_with(bank), "{bank:?} is not the start of {full} ({why})");
    }
}
