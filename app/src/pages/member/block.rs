//! Blocking a member from entering, with the reason (managers), and unblocking them.

use super::{
    act::{self, Act, Problem},
    fields::TextInput,
};
use crate::client::{ClientState, MemberRow};
use leptos::{either::EitherOf3, prelude::*};
use shared::member::MemberCommand;

#[component]
pub fn Block(state: ClientState, act: Act, member: Memo<Option<MemberRow>>) -> impl IntoView {
    let may_block = act::blocking(state);
    let blocked = Memo::new(move |_| member.with(|m| m.as_ref().and_then(|m| m.member.blocked.clone())));
    let open = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let block = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        act.run(MemberCommand::BlockMember { reason: reason.get_untracked() }, problem, move || {
            open.set(false);
            reason.set(String::new());
        });
    };
    let unblock = move |_| act.run(MemberCommand::UnblockMember, problem, || {});
    move || {
        if !may_block.get() {
            return None;
        }
        Some(view! {
            <section class="block" data-testid="block">
                {move || match (blocked.get(), open.get()) {
                    (Some(_), _) => EitherOf3::A(view! {
                        <button type="button" data-testid="unblock" on:click=unblock>"Unblock member"</button>
                    }),
                    (None, false) => EitherOf3::B(view! {
                        <button type="button" class="danger" data-testid="block-open" on:click=move |_| { open.set(true); problem.set(None); }>
                            "Block member…"
                        </button>
                    }),
                    (None, true) => EitherOf3::C(view! {
                        <form class="card" data-testid="block-form" on:submit=block novalidate>
                            <TextInput name="block-reason" scope="member" label="Why may they not come in? (staff see it at the desk)" value=reason/>
                            <button type="submit" class="danger" data-testid="block-confirm">"Block member"</button>
                            <button type="button" on:click=move |_| { open.set(false); problem.set(None); }>"Back"</button>
                        </form>
                    }),
                }}
                <Problem problem/>
            </section>
        })
    }
}
