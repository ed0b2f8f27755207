//! The API's whole numbers (positions, page sizes), in a query or a header, read one way: plain
//! ASCII digits, as the server writes them. `u64::from_str` also takes a leading `+`, which only a
//! client that builds its own requests sends; taking it in one place and not another would let the
//! same position be written two ways.

use serde::{de, Deserialize, Deserializer};

/// `text` as a whole number when it is nothing but ASCII digits (and fits in 64 bits).
pub fn parse_digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A query parameter that is a whole number, read by [`parse_digits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digits(pub u64);

impl<'de> Deserialize<'de> for Digits {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_digits(&text).map(Digits).ok_or_else(|| {
            de::Error::invalid_value(de::Unexpected::Str(&text), &"a whole number written in ASCII digits")
        })
    }
}
