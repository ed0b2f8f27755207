//! Names in the order people expect in their language: the browser's `Intl.Collator` ("Łukasz"
//! before "Zoë", which code point order gets wrong).
//!
//! Collating 20,000 names costs tens of milliseconds, so it runs only when the set of names
//! changes, never per keystroke and not when a check-in changes a row: pages rank the distinct
//! names once ([`ranks`]) and sort rows by rank.

/// The collation rank of each of `names`, which must be sorted (code point order) and distinct,
/// so that a row's rank is found with a binary search on its name.
pub fn ranks(names: &[String]) -> Vec<u32> {
    let collated = collated(names);
    let mut ranks = vec![0; names.len()];
    for (rank, name) in collated.iter().enumerate() {
        if let Ok(i) = names.binary_search(name) {
            ranks[i] = rank as u32;
        }
    }
    ranks
}

/// The rank of `name` among `names` (as given to [`ranks`]); unknown names go last.
pub fn rank_of(names: &[String], ranks: &[u32], name: &str) -> u32 {
    names.binary_search_by(|n| n.as_str().cmp(name)).ok().and_then(|i| ranks.get(i).copied()).unwrap_or(u32::MAX)
}

/// Sorted by the browser's collator for the user's language, in JavaScript (one call, not one
/// wasm round trip per comparison).
#[cfg(feature = "hydrate")]
fn collated(names: &[String]) -> Vec<String> {
    use js_sys::{Array, Function, Intl::Collator, Object, Reflect};
    use wasm_bindgen::{JsCast, JsValue};

    let array = Array::new();
    for name in names {
        array.push(&JsValue::from_str(name));
    }
    let options = Object::new();
    // "Anna 2" before "Anna 10".
    let _ = Reflect::set(&options, &"numeric".into(), &JsValue::TRUE);
    let compare = Collator::new(&Array::new(), &options).compare();
    let sorted = Reflect::get(&array, &"sort".into())
        .ok()
        .and_then(|sort| sort.dyn_into::<Function>().ok())
        .is_some_and(|sort| sort.call1(&array, &compare).is_ok());
    if !sorted {
        leptos::logging::warn!("Intl.Collator is unavailable: names are sorted without the language's rules");
        return fallback(names);
    }
    array.iter().filter_map(|v| v.as_string()).collect()
}

#[cfg(not(feature = "hydrate"))]
fn collated(names: &[String]) -> Vec<String> {
    fallback(names)
}

/// What a letter that Unicode does not decompose stands for when searching, by the browser's
/// collator at base strength ("ł" → "l", "ø" → "o", "ß" → "ss", "æ" → "ae"): the hook
/// `shared::search` takes ([`shared::search::BaseLetters`]). Asked once per distinct letter: the
/// answers are kept for the page's lifetime (a club's names use a few dozen letters).
pub fn base_letter(c: char) -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        use std::{cell::RefCell, collections::HashMap};
        thread_local! {
            static KNOWN: RefCell<HashMap<char, Option<String>>> = RefCell::new(HashMap::new());
        }
        if let Some(known) = KNOWN.with(|k| k.borrow().get(&c).cloned()) {
            return known;
        }
        let found = ask_collator(c);
        KNOWN.with(|k| k.borrow_mut().insert(c, found.clone()));
        found
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = c;
        None
    }
}

/// The plain letters, or pairs of letters, that `c` equals at base strength, if any.
#[cfg(feature = "hydrate")]
fn ask_collator(c: char) -> Option<String> {
    use js_sys::{Array, Intl::Collator, Object, Reflect};
    use wasm_bindgen::JsValue;

    // Letters that stand for two (German ß, Danish and Icelandic æ, French œ), then single ones.
    const CANDIDATES: [&str; 30] = [
        "ss", "ae", "oe", "th", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q",
        "r", "s", "t", "u", "v", "w", "x", "y", "z",
    ];
    thread_local! {
        static BASE: Option<Collator> = {
            let options = Object::new();
            Reflect::set(&options, &"sensitivity".into(), &"base".into()).ok().map(|_| Collator::new(&Array::new(), &options))
        };
    }
    let letter: String = c.to_lowercase().collect();
    BASE.with(|collator| {
        let compare = collator.as_ref()?.compare();
        let letter = JsValue::from_str(&letter);
        let same = |candidate: &&'static str| {
            compare.call2(&JsValue::NULL, &letter, &JsValue::from_str(candidate)).ok().and_then(|v| v.as_f64())
                == Some(0.0)
        };
        CANDIDATES.into_iter().find(same).map(str::to_owned)
    })
}

/// Without a collator: accents and case folded, which is right for most Latin names.
fn fallback(names: &[String]) -> Vec<String> {
    let mut sorted = names.to_vec();
    sorted.sort_by_cached_key(|n| (shared::search::fold(n), n.clone()));
    sorted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_gets_its_rank_and_unknown_names_go_last() {
        let mut names: Vec<String> = ["Zoë", "anna", "Émile"].map(String::from).to_vec();
        names.sort();
        let ranks = ranks(&names);
        assert_eq!(rank_of(&names, &ranks, "anna"), 0);
        assert_eq!(rank_of(&names, &ranks, "Émile"), 1);
        assert_eq!(rank_of(&names, &ranks, "Zoë"), 2);
        assert_eq!(rank_of(&names, &ranks, "Nobody"), u32::MAX);
    }
}
