//! The browser's Unicode normalisation (which `shared::text` uses in wasm) against the answers of
//! the tables the server uses, on text where composition and ordering rules bite. The expected
//! strings are the server's (and Python's `unicodedata`) output.

use shared::{search, text};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// (input, NFC, NFD)
const CASES: &[(&str, &str, &str)] = &[
    ("Rene\u{301}e", "Ren\u{e9}e", "Rene\u{301}e"),
    ("A\u{30A}ngstro\u{308}m", "\u{c5}ngstr\u{f6}m", "A\u{30A}ngstro\u{308}m"),
    ("\u{1100}\u{1161}\u{11A8}", "\u{AC01}", "\u{1100}\u{1161}\u{11A8}"),
    ("Nguye\u{302}\u{303}n", "Nguy\u{1EC5}n", "Nguye\u{302}\u{303}n"),
    ("a\u{302}\u{323}", "\u{1EAD}", "a\u{323}\u{302}"),
    ("\u{958}", "\u{915}\u{93C}", "\u{915}\u{93C}"),
    ("\u{9C7}\u{9BE}", "\u{9CB}", "\u{9C7}\u{9BE}"),
    ("\u{FB01}", "\u{FB01}", "\u{FB01}"),
    ("\u{212B}", "\u{C5}", "A\u{30A}"),
    ("e\u{301}\u{301}", "\u{E9}\u{301}", "e\u{301}\u{301}"),
    ("\u{1E9B}\u{323}", "\u{1E9B}\u{323}", "\u{17F}\u{323}\u{307}"),
    ("q\u{307}\u{323}", "q\u{323}\u{307}", "q\u{323}\u{307}"),
];

#[wasm_bindgen_test]
fn the_browser_normalises_as_the_server_does() {
    for (input, nfc, nfd) in CASES {
        assert_eq!(text::nfc(input), *nfc, "NFC of {input:?}");
        assert_eq!(text::nfd(input), *nfd, "NFD of {input:?}");
    }
    assert_eq!(text::normalise("  Rene\u{301}e \t Dubois "), "Ren\u{e9}e Dubois");
    assert_eq!(search::fold("J\u{fc}rgen Ren\u{e9}e"), "jurgen renee");
}
