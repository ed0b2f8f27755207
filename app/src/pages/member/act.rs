//! Running a command on the member's stream from a form or a button: the outcome is a sentence
//! (a refusal names the rule, and nothing was stored) or whatever the form does on success.

use crate::{
    client::{Client, ClientApi, ClientError, ClientState},
    sentences,
};
use leptos::{prelude::*, task::spawn_local};
use shared::{
    calendar::Date,
    member::{EntryRules, MemberCommand, PaymentMethod},
    Command, StreamId,
};
use std::rc::Rc;
use uuid::Uuid;

/// The member's stream and this device's runtime, copyable into every handler.
#[derive(Clone, Copy)]
pub struct Act {
    api: StoredValue<Rc<dyn ClientApi>, LocalStorage>,
    pub id: Uuid,
}

impl Act {
    pub fn new(client: &Client, id: Uuid) -> Self {
        Self { api: StoredValue::new_local(client.api()), id }
    }

    /// Decides and stores `command`; `done` runs when it was stored, else the refusal goes to
    /// `problem` (cleared when a command starts).
    pub fn run(self, command: MemberCommand, problem: RwSignal<Option<String>>, done: impl FnOnce() + 'static) {
        problem.set(None);
        self.execute(command, move |outcome| match outcome {
            Ok(()) => done(),
            Err(e) => problem.set(Some(sentences::refusal(&e))),
        });
    }

    /// Decides and stores `command`, then hands `then` the outcome.
    pub fn execute(self, command: MemberCommand, then: impl FnOnce(Result<(), ClientError>) + 'static) {
        let api = self.api.get_value();
        spawn_local(async move { then(api.execute(StreamId::member(self.id), Command::Member(command)).await) });
    }

    /// A fresh id for something new on this member (a membership).
    pub fn new_id(self) -> Uuid {
        self.api.with_value(|api| api.new_member_id())
    }
}

/// Whether the role at the desk may give a command of this shape (followed as staff switch).
pub fn permits(state: ClientState, command: MemberCommand) -> Memo<bool> {
    state.permits(Command::Member(command))
}

/// A date for commands that stand for a permission only (their dates do not matter unless said).
fn any_day() -> Date {
    Date::from_ymd(2000, 1, 1).expect("a valid date")
}

/// Sales, payments, freezes and cancellations (front desk and up).
pub fn sales(state: ClientState) -> Memo<bool> {
    permits(
        state,
        MemberCommand::RecordPayment {
            membership: Uuid::nil(),
            amount_cents: 0,
            method: PaymentMethod::Cash,
            on: any_day(),
        },
    )
}

/// Recording things as having happened before today (managers).
pub fn back_dating(state: ClientState) -> Memo<bool> {
    permits(
        state,
        MemberCommand::RecordPastCheckIn {
            at_ms: 0,
            on: any_day(),
            membership: Uuid::nil(),
            reason: String::new(),
            rules: EntryRules::default(),
        },
    )
}

/// Letting someone in although the entry decision denies it (managers).
pub fn overriding(state: ClientState) -> Memo<bool> {
    permits(state, MemberCommand::OverrideEntry { on: any_day(), reason: String::new(), rules: EntryRules::default() })
}

/// Voiding a mistaken check-in (managers).
pub fn voiding(state: ClientState) -> Memo<bool> {
    permits(state, MemberCommand::VoidCheckIn { at_ms: 0, reason: String::new() })
}

/// Blocking and unblocking a member (managers).
pub fn blocking(state: ClientState) -> Memo<bool> {
    permits(state, MemberCommand::BlockMember { reason: String::new() })
}

/// Checking in (front desk and up).
pub fn checking_in(state: ClientState) -> Memo<bool> {
    permits(state, MemberCommand::CheckIn { on: any_day(), membership: Uuid::nil(), rules: EntryRules::default() })
}

/// The outcome of a form, shown beside it.
#[component]
pub fn Problem(problem: RwSignal<Option<String>>, #[prop(optional)] testid: Option<&'static str>) -> impl IntoView {
    move || {
        problem.get().map(|text| {
            view! { <p class="notice error" role="alert" data-testid=testid.unwrap_or("form-problem")>{text}</p> }
        })
    }
}
