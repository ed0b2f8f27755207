//! Many tabs of the app on one device share one IndexedDB store. Exactly one of them replicates at
//! a time: the holder of the Web Lock `faraday-sync` (the browser gives it to the next tab waiting
//! when the holder closes or crashes). Every tab tells the others what it changed in the store over
//! a BroadcastChannel, so all of them show new events at once; a tab that is not the leader asks it
//! to push what it wrote, and shows the leader's sync status.

use crate::store::ChangesWire;
use app::client::SyncView;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use wasm_bindgen::{prelude::Closure, JsCast, JsValue};

const LOCK: &str = "faraday-sync";
const CHANNEL: &str = "faraday-store";

/// What tabs tell each other.
#[derive(Serialize, Deserialize)]
pub enum Message {
    /// This tab changed the store: the others show the same rows.
    Changed(ChangesWire),
    /// A tab that does not replicate wrote events: the leader has something to push.
    LocalChange,
    /// The leader's sync status, for the other tabs' badges.
    Sync(SyncView),
    /// A tab opened: the leader tells it where sync stands.
    Hello,
}

thread_local! {
    /// This page's end of the channel, once opened (the page is one thread).
    static OPEN: RefCell<Option<Tabs>> = const { RefCell::new(None) };
}

/// Tells the device's other tabs, if the channel is open.
pub fn tell(message: &Message) {
    OPEN.with_borrow(|tabs| {
        if let Some(tabs) = tabs {
            tabs.send(message);
        }
    });
}

/// This tab's end of the channel (None where the browser has no BroadcastChannel: then there is
/// only ever one tab that matters).
#[derive(Clone)]
pub struct Tabs {
    channel: Option<send_wrapper::SendWrapper<web_sys::BroadcastChannel>>,
}

impl Tabs {
    /// Opens the channel; `receive` gets every message another tab sends.
    pub fn open(receive: impl Fn(Message) + 'static) -> Self {
        let Ok(channel) = web_sys::BroadcastChannel::new(CHANNEL) else {
            return Self { channel: None };
        };
        let on_message = Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let Some(text) = event.data().as_string() else { return };
            match serde_json::from_str(&text) {
                Ok(message) => receive(message),
                Err(e) => log::warn!("a message from another tab could not be read: {e}"),
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The page keeps listening for its whole life.
        on_message.forget();
        let tabs = Self { channel: Some(send_wrapper::SendWrapper::new(channel)) };
        OPEN.with_borrow_mut(|open| *open = Some(tabs.clone()));
        tabs
    }

    pub fn send(&self, message: &Message) {
        let Some(channel) = &self.channel else { return };
        match serde_json::to_string(message) {
            Ok(text) => {
                if let Err(e) = channel.post_message(&JsValue::from_str(&text)) {
                    log::warn!("the other tabs could not be told: {e:?}");
                }
            }
            Err(e) => log::error!("a message for the other tabs could not be written: {e}"),
        }
    }
}

/// Runs `lead` once this tab holds the replication lock, which it then keeps until it closes.
/// Without Web Locks (an old browser, an insecure context) every tab leads, as before.
pub fn when_leading(lead: impl FnOnce() + 'static) {
    let lead = move || {
        mark_leading();
        lead();
    };
    let Some(request) = lock_request() else {
        lead();
        return;
    };
    let (locks, request) = request;
    let granted = Closure::once(move |_lock: JsValue| -> js_sys::Promise {
        lead();
        // Never settles: the lock is held for as long as the page lives.
        js_sys::Promise::new(&mut |_, _| {})
    });
    if let Err(e) = request.call2(&locks, &JsValue::from_str(LOCK), granted.as_ref()) {
        log::error!("the replication lock could not be asked for: {e:?}");
    }
    granted.forget();
}

/// `<html data-sync="leading">`: which tab replicates, for people and tests looking at the page.
fn mark_leading() {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-sync", "leading");
    }
}

/// `navigator.locks` and its `request` (Web Locks are behind web-sys's unstable APIs, so they are
/// reached by name).
fn lock_request() -> Option<(JsValue, js_sys::Function)> {
    let navigator = web_sys::window()?.navigator();
    let locks = js_sys::Reflect::get(&navigator, &JsValue::from_str("locks")).ok().filter(|l| !l.is_undefined())?;
    let request = js_sys::Reflect::get(&locks, &JsValue::from_str("request")).ok()?.dyn_into().ok()?;
    Some((locks, request))
}
