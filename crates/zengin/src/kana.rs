//! The Zengin character set.

/// Whether a character belongs to the Zengin character set: half-width katakana (ｦ, ｱ–ﾝ) and the
/// voiced marks ﾞ ﾟ as their own characters, digits, A–Z, space and `( ) - . /`.
pub fn is_zengin_char(ch: char) -> bool {
    matches!(ch, 'ｦ' | 'ｱ'..='ﾟ' | '0'..='9' | 'A'..='Z' | ' ' | '(' | ')' | '-' | '.' | '/')
}
