//! Text as the domain stores it: one spelling per text, no invisible tricks.
//!
//! Every text a command carries is normalised here before it is decided on, so the event holds the
//! normalised form and the server's re-decision (which normalises again) recognises a forged,
//! un-normalised event as not what its command decides. The same rules run on the device, so staff
//! are told at once.

use unicode_normalization::char::is_combining_mark;

/// Unicode NFC, runs of whitespace (spaces, tabs, line breaks) made one space, trimmed. "Rene\u{301}e"
/// and "Renée" become the same text, so the same name is never stored in two spellings.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split(char::is_whitespace).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&nfc(word));
    }
    out
}

// Normalisation needs Unicode's decomposition and composition data: about 35 KB of the browser's
// 400 KB bundle (compressed). The browser already carries the same algorithm and data in
// `String.prototype.normalize`, a pure function like this one, so the wasm build asks it, and the
// server uses the tables. They agree: Unicode's normalisation stability policy keeps the result for
// every assigned character the same from one version to the next, and `frontend`'s browser tests
// hold the browser's answers to these tables' on tricky text.

/// Unicode Normalization Form C (canonical composition).
#[cfg(not(target_arch = "wasm32"))]
pub fn nfc(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfc().collect()
}

/// Unicode Normalization Form D (canonical decomposition).
#[cfg(not(target_arch = "wasm32"))]
pub fn nfd(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    text.nfd().collect()
}

/// Unicode Normalization Form C (canonical composition).
#[cfg(target_arch = "wasm32")]
pub fn nfc(text: &str) -> String {
    js_sys::JsString::from(text).normalize("NFC").into()
}

/// Unicode Normalization Form D (canonical decomposition).
#[cfg(target_arch = "wasm32")]
pub fn nfd(text: &str) -> String {
    js_sys::JsString::from(text).normalize("NFD").into()
}

/// A character that has no place in a name or a contact detail: control characters (NUL, escape, …),
/// the bidirectional controls that make text display in another order than it is stored (the
/// "right-to-left override" trick), and characters that show as nothing (Unicode's
/// Default_Ignorable_Code_Point set: soft hyphen, fillers, variation selectors, tags…) or as a blank,
/// which make two texts look the same or a name look empty. Joiners (U+200C, U+200D) stay allowed:
/// several scripts need them.
pub fn forbidden(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'                      // soft hyphen
                | '\u{034F}'                // combining grapheme joiner
                | '\u{061C}'                // Arabic letter mark
                | '\u{115F}' | '\u{1160}'   // Hangul fillers
                | '\u{17B4}' | '\u{17B5}'   // Khmer inherent vowels
                | '\u{180B}'..='\u{180F}'   // Mongolian variation selectors, vowel separator
                | '\u{200B}'                // zero-width space
                | '\u{200E}' | '\u{200F}'   // left-to-right / right-to-left marks
                | '\u{202A}'..='\u{202E}'   // embeddings and overrides
                | '\u{2060}'..='\u{206F}'   // word joiner, invisible operators, isolates, deprecated format
                | '\u{2800}'                // Braille blank
                | '\u{3164}'                // Hangul filler
                | '\u{FE00}'..='\u{FE0F}'   // variation selectors
                | '\u{FEFF}'                // byte-order mark
                | '\u{FFA0}'                // half-width Hangul filler
                | '\u{FFF0}'..='\u{FFFB}'   // unassigned specials, interlinear annotations
                | '\u{FDD0}'..='\u{FDEF}'   // noncharacters
                | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
                | '\u{1D173}'..='\u{1D17A}' // musical format controls
                | '\u{E0000}'..='\u{E0FFF}' // tags, variation selectors supplement
        )
        || (c as u32) & 0xFFFE == 0xFFFE // the noncharacters at the end of every plane
        // Private use: means nothing to anyone else.
        || ('\u{E000}'..='\u{F8FF}').contains(&c)
        || c >= '\u{F0000}'
}

/// The first forbidden character of `text`, if any.
pub fn first_forbidden(text: &str) -> Option<char> {
    text.chars().find(|c| forbidden(*c))
}

/// Whether `text` has at least one letter: alphabetic, and not a combining mark (a name made of
/// accents alone, or of a zero-width space, is not a name).
pub fn has_letter(text: &str) -> bool {
    text.chars().any(|c| c.is_alphabetic() && !is_combining_mark(c))
}

/// "U+202E", for messages about a character that cannot be shown as itself.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

/// A duration as staff read it, to the unit that matters: "45 s", "12 min", "2 h 5 min", "3 days", "10 years".
pub fn duration(ms: u64) -> String {
    let secs = ms.div_ceil(1000);
    let (min, hours, days) = (secs / 60, secs / 3600, secs / 86_400);
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{min} min"),
        3600..86_400 if min % 60 == 0 => format!("{hours} h"),
        3600..86_400 => format!("{hours} h {} min", min % 60),
        _ if days < 730 => format!("{days} days"),
        _ => format!("{} years", days / 365),
    }
}

/// An amount in cents as staff read it: "49.00" (the club's currency is not named: Faraday records
/// amounts, it never charges).
pub fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The same cases `frontend`'s browser tests hold the browser's normalisation to.
    #[test]
    fn the_tables_normalise_tricky_text_as_unicode_says() {
        for (input, nfc_form, nfd_form) in [
            ("A\u{30A}ngstro\u{308}m", "\u{c5}ngstr\u{f6}m", "A\u{30A}ngstro\u{308}m"),
            ("\u{1100}\u{1161}\u{11A8}", "\u{AC01}", "\u{1100}\u{1161}\u{11A8}"),
            ("a\u{302}\u{323}", "\u{1EAD}", "a\u{323}\u{302}"),
            ("\u{958}", "\u{915}\u{93C}", "\u{915}\u{93C}"),
            ("\u{212B}", "\u{C5}", "A\u{30A}"),
            ("\u{1E9B}\u{323}", "\u{1E9B}\u{323}", "\u{17F}\u{323}\u{307}"),
        ] {
            assert_eq!(nfc(input), nfc_form);
            assert_eq!(nfd(input), nfd_form);
        }
    }

    #[test]
    fn composed_and_decomposed_spellings_become_one() {
        assert_eq!(normalise("Rene\u{301}e"), "Renée");
        assert_eq!(normalise("  Anna \t Peeters\n"), "Anna Peeters");
    }

    #[test]
    fn invisible_and_reordering_characters_are_forbidden() {
        for c in ['\0', '\u{1b}', '\u{202E}', '\u{2066}', '\u{200B}', '\u{FEFF}', '\u{FFFF}', '\u{E000}'] {
            assert!(forbidden(c), "{}", code_point(c));
        }
        for c in ['a', 'Ł', 'ß', '李', '\u{200D}', '-', '\''] {
            assert!(!forbidden(c), "{}", code_point(c));
        }
    }

    #[test]
    fn characters_that_show_as_nothing_or_a_blank_are_forbidden() {
        // Fillers that count as letters, and invisible characters that make "Le\u{AD}na" look like "Lena".
        let invisible = [
            '\u{3164}',
            '\u{115F}',
            '\u{1160}',
            '\u{FFA0}',
            '\u{AD}',
            '\u{180E}',
            '\u{34F}',
            '\u{E0041}',
            '\u{FE0F}',
            '\u{2800}',
            '\u{1D173}',
            '\u{F0000}',
        ];
        for c in invisible {
            assert!(forbidden(c), "{}", code_point(c));
        }
        // Joiners that Persian and Indic names need stay allowed.
        assert!(!forbidden('\u{200C}'));
    }

    #[test]
    fn a_name_needs_a_letter_not_just_marks() {
        assert!(has_letter("Zoë"));
        assert!(has_letter("李"));
        assert!(!has_letter("\u{301}\u{308}"));
        assert!(!has_letter("1234"));
        assert!(!has_letter(""));
    }

    #[test]
    fn durations_read_as_staff_say_them() {
        assert_eq!(duration(45_000), "45 s");
        assert_eq!(duration(12 * 60_000), "12 min");
        assert_eq!(duration(2 * 3_600_000), "2 h");
        assert_eq!(duration(2 * 3_600_000 + 5 * 60_000), "2 h 5 min");
        assert_eq!(duration(10 * 365 * 86_400_000), "10 years");
    }

    proptest! {
        #[test]
        fn normalising_twice_changes_nothing(text in "\\PC{0,40}") {
            let once = normalise(&text);
            prop_assert_eq!(normalise(&once), once.clone());
            prop_assert_eq!(once.trim(), once.as_str());
        }
    }
}
