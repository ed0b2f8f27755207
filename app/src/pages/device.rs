//! This desk's own settings: its name (shown in the top bar) and the page it opens on. They belong
//! to the device, not to the club: kept in the browser's localStorage (gloo-storage), never in the
//! event log, and kept when staff sign out.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Where the key is kept in localStorage.
const KEY: &str = "faraday.device";
/// The longest desk name (it has to fit in the top bar of a phone).
pub const MAX_DESK_NAME: usize = 40;

/// The page `/` shows on this desk.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartPage {
    #[default]
    Dashboard,
    Members,
    Today,
    /// The week's timetable.
    Classes,
    /// A coach's own classes.
    MyClasses,
}

impl StartPage {
    pub const ALL: [StartPage; 5] =
        [StartPage::Dashboard, StartPage::Members, StartPage::Today, StartPage::Classes, StartPage::MyClasses];

    pub fn label(self) -> &'static str {
        match self {
            StartPage::Dashboard => "Dashboard",
            StartPage::Members => "Members",
            StartPage::Today => "Today's check-ins",
            StartPage::Classes => "Classes (the week's timetable)",
            StartPage::MyClasses => "My classes (a coach's phone)",
        }
    }

    fn key(self) -> &'static str {
        match self {
            StartPage::Dashboard => "dashboard",
            StartPage::Members => "members",
            StartPage::Today => "today",
            StartPage::Classes => "classes",
            StartPage::MyClasses => "my_classes",
        }
    }

    fn from_key(key: &str) -> Option<StartPage> {
        StartPage::ALL.into_iter().find(|p| p.key() == key)
    }
}

/// What this device keeps about itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSettings {
    /// What staff call this desk ("Front desk", "Upstairs"); empty until named.
    #[serde(default)]
    pub desk_name: String,
    #[serde(default)]
    pub start_page: StartPage,
}

impl DeviceSettings {
    /// As kept: the name trimmed and cut to [`MAX_DESK_NAME`] characters, without control characters.
    pub fn normalised(mut self) -> Self {
        let name: String = self.desk_name.chars().filter(|c| !c.is_control()).collect();
        self.desk_name = name.trim().chars().take(MAX_DESK_NAME).collect::<String>().trim_end().to_owned();
        self
    }
}

/// This device's settings as the pages see them: filled from localStorage once the page is
/// hydrated (the server renders the same shell for every device).
#[derive(Clone, Copy)]
pub struct Device(pub RwSignal<DeviceSettings>);

/// Makes the device's settings available to every page (called once, by `App`).
pub fn provide_device() -> Device {
    let device = Device(RwSignal::new(DeviceSettings::default()));
    provide_context(device);
    device
}

pub fn use_device() -> Device {
    use_context::<Device>().unwrap_or_else(provide_device)
}

/// Reads the device's settings from localStorage (the defaults if none are kept, or on the server).
pub fn load() -> DeviceSettings {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        gloo_storage::LocalStorage::get::<DeviceSettings>(KEY).unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        DeviceSettings::default()
    }
}

/// Keeps `settings` on this device.
pub fn save(settings: &DeviceSettings) -> Result<(), String> {
    #[cfg(feature = "hydrate")]
    {
        use gloo_storage::Storage;
        gloo_storage::LocalStorage::set(KEY, settings).map_err(|e| e.to_string())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (settings, KEY);
        Ok(())
    }
}

/// Loads the settings into `device`, now and whenever another tab of this device changes them.
pub fn follow(device: Device) {
    device.0.set(load());
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::storage, move |ev| {
            if ev.key().is_none_or(|k| k == KEY) {
                device.0.set(load());
            }
        });
        on_cleanup(move || handle.remove());
    }
}

/// `/device`: this desk's name and start page.
#[component]
pub fn DevicePage() -> impl IntoView {
    let device = use_device();
    let kept = device.0.get_untracked();
    let name = RwSignal::new(kept.desk_name.clone());
    let start = RwSignal::new(kept.start_page);
    let message = RwSignal::new(None::<(bool, String)>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let settings =
            DeviceSettings { desk_name: name.get_untracked(), start_page: start.get_untracked() }.normalised();
        match save(&settings) {
            Ok(()) => {
                name.set(settings.desk_name.clone());
                device.0.set(settings);
                message.set(Some((true, "Saved on this device.".into())));
            }
            Err(e) => message.set(Some((false, format!("This device could not keep it: {e}")))),
        }
    };
    view! {
        <h1>"This device"</h1>
        <p class="hint">
            "These settings belong to this device only: other desks keep their own, and they are not part of the club's records."
        </p>
        <form class="card device-settings" on:submit=submit data-testid="device-form">
            <label for="desk-name">"Desk name"</label>
            <input
                id="desk-name"
                type="text"
                maxlength=MAX_DESK_NAME.to_string()
                placeholder="Front desk"
                prop:value=name
                on:input=move |ev| {
                    message.set(None);
                    name.set(event_target_value(&ev));
                }
            />
            <label for="start-page">"Start page"</label>
            <select
                id="start-page"
                on:change=move |ev| {
                    message.set(None);
                    if let Some(page) = StartPage::from_key(&event_target_value(&ev)) {
                        start.set(page);
                    }
                }
            >
                {StartPage::ALL
                    .into_iter()
                    .map(|p| view! { <option value=p.key() selected=move || start.get() == p>{p.label()}</option> })
                    .collect_view()}
            </select>
            <button type="submit" class="primary">"Save"</button>
            {move || message.get().map(|(ok, text)| view! {
                <p class={if ok { "notice ok" } else { "notice error" }} role="status" data-testid="device-message">{text}</p>
            })}
        </form>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desk_name_is_kept_trimmed_short_and_printable() {
        let s = DeviceSettings { desk_name: "  Front\u{7} desk  ".into(), start_page: StartPage::Today }.normalised();
        assert_eq!(s.desk_name, "Front desk");
        let long = DeviceSettings { desk_name: "x".repeat(100), ..Default::default() }.normalised();
        assert_eq!(long.desk_name.chars().count(), MAX_DESK_NAME);
    }

    #[test]
    fn settings_kept_by_an_older_version_read_with_defaults() {
        let s: DeviceSettings = serde_json::from_str(r#"{"desk_name":"Upstairs"}"#).unwrap();
        assert_eq!(s, DeviceSettings { desk_name: "Upstairs".into(), start_page: StartPage::Dashboard });
        assert_eq!(serde_json::to_string(&StartPage::Today).unwrap(), r#""today""#);
    }
}
