use crate::{
    account::{LocalSession, SignOutCheck},
    client::{use_client, ClientApi},
    format,
};
use leptos::{either::EitherOf3, prelude::*, task::spawn_local};
use shared::access::StaffId;
use std::rc::Rc;

/// Where signing out stands: it sends what waits first, and asks before anything is lost.
#[derive(Clone, Debug, PartialEq)]
enum Leaving {
    Idle,
    Sending,
    /// Some changes could not be sent: staff confirm (or not).
    Confirm(StaffId, SignOutCheck),
    Failed(String),
}

/// Who is at the desk (name, role, club), handing the desk to another staff member signed in
/// here (offline too, at once), signing in another, and signing out.
#[component]
pub fn StaffMenu() -> impl IntoView {
    let client = use_client()?;
    let state = client.state;
    let open = RwSignal::new(false);
    let leaving = RwSignal::new(Leaving::Idle);
    let api = StoredValue::new_local(client.api());
    let sign_out = move |staff: StaffId, confirmed: bool| {
        let api: Rc<dyn ClientApi> = api.get_value();
        open.set(false);
        leaving.set(Leaving::Sending);
        spawn_local(async move {
            if !confirmed {
                let check = api.check_sign_out(staff).await;
                if check.unsent > 0 {
                    leaving.set(Leaving::Confirm(staff, check));
                    return;
                }
            }
            match api.sign_out(staff).await {
                Ok(()) => leaving.set(Leaving::Idle),
                Err(e) => leaving.set(Leaving::Failed(e.0)),
            }
        });
    };
    let switch = move |staff: StaffId| {
        api.with_value(|api| api.switch_staff(staff));
        open.set(false);
    };
    Some(move || {
        let active = state.active()?;
        let others: Vec<LocalSession> = state.sessions.with(|s| {
            let now = format::now_ms();
            s.staff.iter().filter(|o| o.staff() != active.staff() && o.valid_at(now)).cloned().collect()
        });
        let club = state.club.with(|c| c.as_ref().map(|c| c.name.clone())).unwrap_or_default();
        let staff = active.staff();
        Some(view! {
            <div class="staff" data-testid="staff" data-staff=staff.to_string()>
                <span class="who-at-desk">
                    <strong data-testid="staff-name">{active.info.name.clone()}</strong>
                    <span class="role" data-testid="staff-role">{active.info.role.label()}</span>
                    <span class="club" data-testid="staff-club">{club}</span>
                </span>
                <button type="button" class="switch" data-testid="switch-staff" aria-expanded=move || open.get().to_string()
                    on:click=move |_| open.update(|o| *o = !*o)>
                    "Switch staff"
                </button>
                <button type="button" class="sign-out" data-testid="sign-out" disabled=move || leaving.get() == Leaving::Sending
                    on:click=move |_| sign_out(staff, false)>
                    "Sign out"
                </button>
                {move || open.get().then(|| switch_menu(others.clone(), switch))}
                {move || leaving_view(leaving, &active, sign_out)}
            </div>
        })
    })
}

/// The other staff signed in here (one tap hands them the desk), and signing in someone new.
fn switch_menu(others: Vec<LocalSession>, switch: impl Fn(StaffId) + Copy + 'static) -> impl IntoView {
    view! {
        <div class="staff-menu" data-testid="staff-menu">
            {others.is_empty().then(|| view! { <p class="hint">"Nobody else is signed in on this device."</p> })}
            <ul>
                {others.into_iter().map(|o| {
                    let staff = o.staff();
                    view! {
                        <li>
                            <button type="button" data-testid="switch-to" data-staff=staff.to_string() on:click=move |_| switch(staff)>
                                {format!("{} ({})", o.info.name, o.info.role.label())}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <a href="/login" data-testid="sign-in-another">"Sign in another staff member"</a>
        </div>
    }
}

/// What signing out says while it sends, when it needs a yes, or when it failed.
fn leaving_view(
    leaving: RwSignal<Leaving>,
    active: &LocalSession,
    sign_out: impl Fn(StaffId, bool) + Copy + 'static,
) -> Option<impl IntoView> {
    let name = active.info.name.clone();
    let view = match leaving.get() {
        Leaving::Idle => return None,
        Leaving::Sending => EitherOf3::A(view! {
            <p class="staff-notice" role="status">"Sending this device's changes before signing out…"</p>
        }),
        Leaving::Failed(why) => EitherOf3::B(view! {
            <p class="staff-notice error" role="alert">{format!("Signing out failed: {why}")}</p>
        }),
        Leaving::Confirm(staff, check) => {
            let changes = format::changes(check.unsent.into());
            let why = check.why.map(|w| format!(" ({w})")).unwrap_or_default();
            let text = if check.last {
                format!(
                    "{changes} could not be sent to the server{why}. You are the last one signed in here, so \
                     signing out deletes this device's data: they would be lost."
                )
            } else {
                format!(
                    "{changes} by {name} could not be sent to the server{why}. They stay on this device and are \
                     sent when {name} signs in here again."
                )
            };
            EitherOf3::C(view! {
                <div class="staff-notice confirm" role="alertdialog" data-testid="sign-out-confirm"
                    data-unsent=check.unsent.to_string()>
                    <p>{text}</p>
                    <button type="button" class="danger" data-testid="sign-out-anyway" on:click=move |_| sign_out(staff, true)>
                        {if check.last { "Sign out and lose them" } else { "Sign out" }}
                    </button>
                    <button type="button" on:click=move |_| leaving.set(Leaving::Idle)>"Stay signed in"</button>
                </div>
            })
        }
    };
    Some(view)
}
