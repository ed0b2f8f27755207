//! Small reads of the browser's clock, randomness and connectivity, in one place.

use js_sys::Date;

pub fn now_ms() -> u64 {
    Date::now() as u64
}

/// A monotonic clock (ms since the page loaded): changing the date and time settings does not move it.
pub fn mono_ms() -> u64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0, |p| p.now() as u64)
}

/// Random bytes from `crypto.getRandomValues` (available in every context this app runs in). If it
/// ever is not, `Math.random` still keeps ids unique in practice: they also carry the time.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !filled {
        log::warn!("crypto.getRandomValues is unavailable; falling back to Math.random");
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

pub fn random_u64() -> u64 {
    u64::from_le_bytes(random_bytes())
}

pub fn is_online() -> bool {
    web_sys::window().is_none_or(|w| w.navigator().on_line())
}

/// Loads the page again (from the service worker's shell when offline).
pub fn reload() {
    if let Some(Err(e)) = web_sys::window().map(|w| w.location().reload()) {
        log::error!("the page could not reload itself: {e:?}");
    }
}

/// Leaves this page for `path` (a full load: nothing of this page's state carries over), without
/// keeping this page in the history.
pub fn go_to(path: &str) {
    if let Some(Err(e)) = web_sys::window().map(|w| w.location().replace(path)) {
        log::error!("the page could not go to {path}: {e:?}");
    }
}
