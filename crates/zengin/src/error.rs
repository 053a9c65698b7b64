//! Why a name cannot be written in Zengin form. Each error names exactly what to fix, because the
//! person reading it is usually correcting a name by hand.

/// Why a name has no Zengin form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing is left once spaces and entity words (株式会社…) are set aside.
    #[error("the name is empty, or holds only an entity word such as 株式会社")]
    Empty,
    /// A kanji: only the person can say how it reads, so the name needs its kana.
    #[error("'{ch}' at character {position} is a kanji; give the name in kana")]
    NeedsReading {
        ch: char,
        /// 1-based position of the character in the input, as a person counts.
        position: usize,
    },
    /// A character with no Zengin form (a comma, a symbol, an emoji, a control character).
    #[error(
        "{ch:?} (U+{code:04X}) at character {position} cannot be written in a Zengin name, which allows \
         kana, A-Z, 0-9, space and ( ) - . /",
        code = u32::from(*ch)
    )]
    Unsupported {
        ch: char,
        /// 1-based position of the character in the input.
        position: usize,
    },
    /// Longer in Zengin form than the field it is meant for.
    #[error("the name is {chars} characters in Zengin form (a voiced kana counts two); the limit is {max}")]
    TooLong { chars: usize, max: usize },
    /// Refused unread: far longer than any name.
    #[error("the input is {chars} characters; a name is at most {max}")]
    InputTooLong { chars: usize, max: usize },
}
