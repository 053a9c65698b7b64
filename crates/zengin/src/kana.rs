//! Character by character towards Zengin form: NFKC, hiragana to katakana, full-width to
//! half-width kana with the voiced marks as their own characters, small kana made large.
//!
//! Every output character remembers which input character it came from, so an error can point at
//! what the person typed rather than at an intermediate form they never saw.

use unicode_normalization::UnicodeNormalization;

/// One character on its way to Zengin form, with the index of the input character it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Traced {
    pub ch: char,
    pub at: usize,
}

/// Full-width katakana U+30A1 (ァ) to U+30F6 (ヶ), in code order, in Zengin form. Small kana are
/// written large (ッ→ﾂ, ャ→ﾔ, ヵ→ｶ), and ヰ/ヱ, which half-width kana lack, as ｲ/ｴ.
#[rustfmt::skip]
const KATAKANA: [&str; 86] = [
    "ｱ", "ｱ", "ｲ", "ｲ", "ｳ", "ｳ", "ｴ", "ｴ", "ｵ", "ｵ", // ァアィイゥウェエォオ
    "ｶ", "ｶﾞ", "ｷ", "ｷﾞ", "ｸ", "ｸﾞ", "ｹ", "ｹﾞ", "ｺ", "ｺﾞ", // カガキギクグケゲコゴ
    "ｻ", "ｻﾞ", "ｼ", "ｼﾞ", "ｽ", "ｽﾞ", "ｾ", "ｾﾞ", "ｿ", "ｿﾞ", // サザシジスズセゼソゾ
    "ﾀ", "ﾀﾞ", "ﾁ", "ﾁﾞ", "ﾂ", "ﾂ", "ﾂﾞ", "ﾃ", "ﾃﾞ", "ﾄ", "ﾄﾞ", // タダチヂッツヅテデトド
    "ﾅ", "ﾆ", "ﾇ", "ﾈ", "ﾉ", // ナニヌネノ
    "ﾊ", "ﾊﾞ", "ﾊﾟ", "ﾋ", "ﾋﾞ", "ﾋﾟ", "ﾌ", "ﾌﾞ", "ﾌﾟ", "ﾍ", "ﾍﾞ", "ﾍﾟ", "ﾎ", "ﾎﾞ", "ﾎﾟ", // ハ行
    "ﾏ", "ﾐ", "ﾑ", "ﾒ", "ﾓ", // マミムメモ
    "ﾔ", "ﾔ", "ﾕ", "ﾕ", "ﾖ", "ﾖ", // ャヤュユョヨ
    "ﾗ", "ﾘ", "ﾙ", "ﾚ", "ﾛ", // ラリルレロ
    "ﾜ", "ﾜ", "ｲ", "ｴ", "ｦ", "ﾝ", "ｳﾞ", "ｶ", "ｹ", // ヮワヰヱヲンヴヵヶ
];

const FIRST_KATAKANA: u32 = 0x30A1;
const HIRAGANA_TO_KATAKANA: u32 = 0x60;

/// The input, character by character, in Zengin form where a Zengin form exists. Characters
/// without one (kanji, commas, emoji) pass through unchanged for the caller to judge.
pub(crate) fn zengin_chars(input: &str) -> Vec<Traced> {
    let mut out = Vec::with_capacity(input.len());
    for (at, ch) in input.chars().enumerate() {
        let mut push = |ch| out.push(Traced { ch, at });
        match ch {
            // NFKC turns the spacing marks into a space plus a combining mark; keep one mark.
            '゛' | 'ﾞ' | '\u{3099}' => push('ﾞ'),
            '゜' | 'ﾟ' | '\u{309A}' => push('ﾟ'),
            _ => std::iter::once(ch).nfkc().for_each(|wide| narrow(wide, &mut push)),
        }
    }
    out
}

fn narrow(ch: char, push: &mut impl FnMut(char)) {
    let code = ch as u32;
    match ch {
        'ぁ'..='ゖ' => narrow(char::from_u32(code + HIRAGANA_TO_KATAKANA).unwrap_or(ch), push),
        'ァ'..='ヶ' => KATAKANA[(code - FIRST_KATAKANA) as usize].chars().for_each(push),
        'ヷ' => "ﾜﾞ".chars().for_each(push),
        'ヺ' => "ｦﾞ".chars().for_each(push),
        '\u{3099}' => push('ﾞ'),
        '\u{309A}' => push('ﾟ'),
        'a'..='z' => push(ch.to_ascii_uppercase()),
        // The long-vowel mark and the dashes people type for it; jp-zengin-name writes `-`.
        'ー' | '‐' | '‒' | '–' | '—' | '―' | '−' => push('-'),
        '・' => push('.'),
        _ => push(ch),
    }
}

/// Whether a character belongs to the Zengin character set: half-width katakana (ｦ, ｱ–ﾝ) and the
/// voiced marks ﾞ ﾟ as their own characters, digits, A–Z, space and `( ) - . /`.
pub fn is_zengin_char(ch: char) -> bool {
    matches!(ch, 'ｦ' | 'ｱ'..='ﾟ' | '0'..='9' | 'A'..='Z' | ' ' | '(' | ')' | '-' | '.' | '/')
}

/// Kanji and the marks written with them (々 〆 〇): a name holding one needs its kana reading.
pub(crate) fn is_kanji(ch: char) -> bool {
    matches!(ch,
        '々' | '〆' | '〇'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}')
}

/// The single JIS X 0201 byte of a Zengin character (ASCII, or 0xA1–0xDF for half-width kana).
pub(crate) fn jis8_byte(ch: char) -> Option<u8> {
    match ch {
        ' '..='~' => Some(ch as u8),
        '｡'..='ﾟ' => u8::try_from(ch as u32 - 0xFF61 + 0xA1).ok(),
        _ => None,
    }
}

/// The character a JIS X 0201 byte stands for, or `None` for bytes outside ASCII and the
/// half-width kana block.
pub(crate) fn jis8_char(byte: u8) -> Option<char> {
    match byte {
        0x20..=0x7E => Some(byte as char),
        0xA1..=0xDF => char::from_u32(0xFF61 + u32::from(byte - 0xA1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zengin(input: &str) -> String {
        zengin_chars(input).into_iter().map(|traced| traced.ch).collect()
    }

    #[test]
    fn the_katakana_table_agrees_with_nfkc() {
        // Each large kana's half-width form must widen back to it; small ones share their large
        // form, and ヰ/ヱ have no half-width form at all.
        let skip = "ァィゥェォッャュョヮヰヱヵヶ";
        for (offset, half) in KATAKANA.iter().enumerate() {
            let wide = char::from_u32(FIRST_KATAKANA + offset as u32).unwrap();
            if !skip.contains(wide) {
                assert_eq!(half.nfkc().collect::<String>(), wide.to_string(), "{wide}");
            }
        }
    }

    #[test]
    fn every_writing_of_a_kana_name_reaches_one_zengin_form() {
        for input in ["キャッシュ", "きゃっしゅ", "ｷｬｯｼｭ", "ｷﾔﾂｼﾕ", "キ\u{30E3}ッシュ"]
        {
            assert_eq!(zengin(input), "ｷﾔﾂｼﾕ", "{input}");
        }
        for input in ["ガ", "が", "ｶﾞ", "カ゛", "か\u{3099}"] {
            assert_eq!(zengin(input), "ｶﾞ", "{input}");
        }
        assert_eq!(zengin("ヴァイオリン"), "ｳﾞｱｲｵﾘﾝ");
        assert_eq!(zengin("ｱｰﾙ・ｴｽ"), "ｱ-ﾙ.ｴｽ");
        assert_eq!(zengin("ａｂｃ１２３　ＸＹＺ"), "ABC123 XYZ");
    }

    #[test]
    fn characters_without_a_zengin_form_pass_through_with_their_place() {
        let traced = zengin_chars("ｶﾞ山");
        assert_eq!(traced, [Traced { ch: 'ｶ', at: 0 }, Traced { ch: 'ﾞ', at: 1 }, Traced { ch: '山', at: 2 }]);
        assert!(is_kanji('山') && is_kanji('々') && !is_kanji('ｱ'));
    }

    #[test]
    fn jis8_maps_half_width_kana_to_single_bytes() {
        assert_eq!(jis8_byte('ｱ'), Some(0xB1));
        assert_eq!(jis8_byte('ﾞ'), Some(0xDE));
        assert_eq!(jis8_byte('ﾟ'), Some(0xDF));
        assert_eq!(jis8_byte('A'), Some(b'A'));
        assert_eq!(jis8_byte('ア'), None);
        for byte in (0x20..=0x7E).chain(0xA1..=0xDF) {
            assert_eq!(jis8_char(byte).and_then(jis8_byte), Some(byte));
        }
        assert_eq!(jis8_char(0x80), None);
        assert_eq!(jis8_char(0xE0), None);
    }
}
