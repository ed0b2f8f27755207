//! Faraday's UI: rendered on the server (the shell every route shares) and hydrated in the browser.

pub mod account;
pub mod client;
mod collate;
mod components;
pub mod format;
mod pages;
pub mod sentences;

use components::{
    clock_warning::ClockWarning, log_restored::LogRestored, sign_in_again::SignInAgain, staff_menu::StaffMenu,
    store_notice::StoreNotice, sync_badge::SyncBadge,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes, A},
    path,
};
use pages::device::StartPage;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#0f172a"/>
                <meta name="description" content="Offline-first club management"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="icon" href="/favicon.ico" sizes="any"/>
                <link rel="apple-touch-icon" href="/icons/icon-192.png"/>
                <link rel="stylesheet" href="/pkg/faraday.css"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The page frame. Everything that depends on the URL or on the local store renders only after
/// hydration (`mounted`): the service worker answers every route offline with the one cached `/`
/// document, and hydrating route-specific server markup at another URL would panic. So the server
/// renders the same neutral shell for every URL, and the client fills it in.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let device = pages::device::provide_device();
    let mounted = RwSignal::new(false);
    // After hydration: this device's own settings (localStorage) first, so the first page shown
    // is already this desk's start page.
    Effect::new(move |_| {
        pages::device::follow(device);
        mounted.set(true);
    });
    view! {
        <Title text="Faraday"/>
        <Router>
            <header class="topbar">
                <a class="brand" href="/">"⚡ Faraday"</a>
                <Show when=move || mounted.get() fallback=|| view! { <span class="sync-badge">"…"</span> }>
                    <DeskName/>
                    <StaffMenu/>
                    <SyncBadge/>
                </Show>
            </header>
            // Notices for every page, about this device's data and clock: client-only like the badge.
            <Show when=move || mounted.get() fallback=|| view! { <div class="banners"></div> }>
                <div class="banners">
                    <StoreNotice/>
                    <SignInAgain/>
                    <ClockWarning/>
                    <LogRestored/>
                    <pages::settings::ZoneNotice/>
                </div>
            </Show>
            <Show
                when=move || mounted.get()
                fallback=|| {
                    view! {
                        <nav class="tabs">
                            <a href="/dashboard">"Dashboard"</a>
                            <a href="/members">"Members"</a>
                            <a href="/check-ins">"Today"</a>
                            <a href="/classes">"Classes"</a>
                        </nav>
                        <main>
                            <p class="loading">"Loading…"</p>
                        </main>
                    }
                }
            >
                <Tabs/>
                <main>
                    <AppRoutes/>
                </main>
            </Show>
        </Router>
    }
}

/// This desk's name (its own setting, see `/device`), in the top bar: staff know which desk they
/// are at, and one tap changes it.
#[component]
fn DeskName() -> impl IntoView {
    let device = pages::device::use_device();
    let name = Memo::new(move |_| device.0.with(|d| d.desk_name.clone()));
    view! {
        <a class="desk" href="/device" data-testid="desk-name" class:unnamed=move || name.with(String::is_empty)>
            {move || {
                let name = name.get();
                if name.is_empty() { "Name this desk".to_owned() } else { name }
            }}
        </a>
    }
}

/// The pages staff move between: only for someone signed in, and only those their role can use.
#[component]
fn Tabs() -> impl IntoView {
    let client = client::use_client();
    let register = shared::Command::Member(pages::register::blank_registration());
    let settings = shared::Command::Club(shared::club::ClubCommand::ChangeSetting(
        shared::club::Setting::DuplicateWindowMinutes(shared::club::DEFAULT_DUPLICATE_WINDOW_MIN),
    ));
    let state = client.map(|c| c.state);
    let signed_in = state.map(|s| Memo::new(move |_| s.active().is_some()));
    let may_register = state.map(|s| s.permits(register));
    let may_change_settings = state.map(|s| s.permits(settings));
    let coach = state.map(|s| {
        let role = s.role();
        Memo::new(move |_| role.get() == Some(shared::access::Role::Coach))
    });
    move || {
        if !signed_in?.get() {
            return None;
        }
        let may_register = may_register.is_some_and(|m| m.get());
        let may_change_settings = may_change_settings.is_some_and(|m| m.get());
        let coach = coach.is_some_and(|c| c.get());
        Some(view! {
            <nav class="tabs">
                <A href="/dashboard">"Dashboard"</A>
                <A href="/members" exact=true>"Members"</A>
                <A href="/check-ins">"Today"</A>
                <A href="/classes" exact=true>"Classes"</A>
                {coach.then(|| view! { <A href="/my-classes">"My classes"</A> })}
                {may_register.then(|| view! { <A href="/members/new">"Register"</A> })}
                <A href="/inbox">"Inbox"</A>
                {may_change_settings.then(|| view! { <A href="/settings">"Settings"</A> })}
            </nav>
        })
    }
}

/// `/`: this desk's start page (the dashboard unless the desk chose another, see `/device`).
#[component]
fn Home() -> impl IntoView {
    let device = pages::device::use_device();
    let start = Memo::new(move |_| device.0.with(|d| d.start_page));
    move || match start.get() {
        StartPage::Dashboard => view! { <pages::dashboard::DashboardPage/> }.into_any(),
        StartPage::Members => view! { <pages::members::MembersPage/> }.into_any(),
        StartPage::Today => view! { <pages::check_ins::CheckInsPage/> }.into_any(),
        StartPage::Classes => view! { <pages::classes::ClassesPage/> }.into_any(),
        StartPage::MyClasses => view! { <pages::classes::MyClassesPage/> }.into_any(),
    }
}

/// The route table, on its own so that the server can list every route (see `server::app`). The
/// service worker answers each of them offline with the one cached shell.
#[component]
pub fn AppRoutes() -> impl IntoView {
    view! {
        <Routes fallback=pages::not_found::NotFound>
            <Route path=path!("/") view=Home/>
            <Route path=path!("/dashboard") view=pages::dashboard::DashboardPage/>
            <Route path=path!("/members") view=pages::members::MembersPage/>
            <Route path=path!("/login") view=pages::login::LoginPage/>
            <Route path=path!("/members/new") view=pages::register::RegisterPage/>
            <Route path=path!("/members/:id") view=pages::member::MemberPage/>
            <Route path=path!("/check-ins") view=pages::check_ins::CheckInsPage/>
            <Route path=path!("/classes") view=pages::classes::ClassesPage/>
            <Route path=path!("/classes/:id") view=pages::classes::ClassPage/>
            <Route path=path!("/my-classes") view=pages::classes::MyClassesPage/>
            <Route path=path!("/inbox") view=pages::inbox::InboxPage/>
            <Route path=path!("/settings") view=pages::settings::SettingsPage/>
            <Route path=path!("/device") view=pages::device::DevicePage/>
        </Routes>
    }
}

/// What `leptos_axum::generate_route_list` walks on the server: the full table, not gated.
pub fn route_table() -> impl IntoView {
    view! {
        <Router>
            <AppRoutes/>
        </Router>
    }
}
