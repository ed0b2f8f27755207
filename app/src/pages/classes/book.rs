//! Booking a member into the class (front desk and up): find them by name; this device decides
//! from their stream whether they can attend on the class's day (`shared::class::can_attend`) and
//! on which membership. One who cannot is told why; a manager may book them anyway with a reason.
//! A full class puts the booking on the waitlist (the page says so); staff may book beyond the
//! capacity with a reason.

use super::{act, class::Ctx};
use crate::{client::MemberRow, collate, pages::member::act::Problem, pages::member::fields::TextInput, sentences};
use leptos::prelude::*;
use shared::{
    class::{can_attend, ClassCommand},
    search::SearchQuery,
};
use uuid::Uuid;

/// Members offered for a search.
const SHOWN: usize = 8;

#[component]
pub fn Book(ctx: Ctx, preset: Option<Uuid>) -> impl IntoView {
    let state = ctx.state;
    let may = act::booking(state);
    let may_override = act::overriding(state);
    let query = RwSignal::new(String::new());
    let selected = RwSignal::new(preset);
    let problem = RwSignal::new(None::<String>);
    // What the booking did: (member, booked rather than waiting, the sentence).
    let outcome = RwSignal::new(None::<(Uuid, bool, String)>);
    let override_reason = RwSignal::new(String::new());
    let over_reason = RwSignal::new(String::new());
    let found = Memo::new(move |_| {
        let q = query.get();
        if q.trim().is_empty() {
            return vec![];
        }
        let q = SearchQuery::new_with(&q, &mut collate::base_letter);
        let mut hits: Vec<(String, Uuid)> = state.members.with(|all| {
            all.iter()
                .filter(|m| !m.archived && q.matches(&m.search))
                .take(200)
                .map(|m| (m.name.clone(), m.id))
                .collect()
        });
        hits.sort();
        hits.truncate(SHOWN);
        hits
    });
    let chosen = Memo::new(move |_| {
        let id = selected.get()?;
        state.members.with(|all| all.iter().find(|m| m.id == id).cloned())
    });
    let book = move |m: MemberRow,
                     membership: Option<Uuid>,
                     override_reason: Option<String>,
                     over_capacity: Option<String>| {
        let name = m.name.clone();
        let member = m.id;
        outcome.set(None);
        let command = ClassCommand::Book { member, membership, override_reason, over_capacity };
        ctx.act.run(command, vec![], problem, move || {
            let said = ctx.class.with_untracked(|c| {
                let c = c.as_ref()?;
                if c.booking(member).is_some() {
                    return Some((member, true, format!("{name} is booked.")));
                }
                let place = c.waitlist.iter().position(|w| w.member == member)? + 1;
                Some((member, false, format!("{name} put on the waitlist (place {place}): the class was full.")))
            });
            outcome.set(said);
            query.set(String::new());
            selected.set(None);
        });
    };
    // Bookable: not cancelled, not started (a memo: the form is not made again on every tick).
    let open = Memo::new(move |_| {
        ctx.class.with(|c| {
            c.as_ref().is_some_and(|c| {
                c.cancelled.is_none() && c.details.as_ref().is_some_and(|d| ctx.now.get() < d.start_ms)
            })
        })
    });
    // Why there is no booking form on a class that is not cancelled (the cancellation says itself).
    let closed = Memo::new(move |_| {
        ctx.class.with(|c| {
            let c = c.as_ref()?;
            let d = c.details.as_ref()?;
            let now = ctx.now.get();
            (c.cancelled.is_none() && now >= d.start_ms).then_some(if now >= d.end_ms() {
                "This class is over: it can no longer be booked."
            } else {
                "This class has started: it can no longer be booked."
            })
        })
    });
    move || {
        if may.get() && !open.get() {
            return closed.get().map(|why| view! { <p class="hint" data-testid="book-closed">{why}</p> }.into_any());
        }
        (may.get() && open.get()).then(|| {
            view! {
                <section class="card book" data-testid="book">
                    <h2>"Book a member"</h2>
                    {move || ctx.class.with(|c| c.as_ref().and_then(|c| {
                        let said = if c.free() == 0 {
                            "The class is full: a booking goes to the waitlist."
                        } else if c.free() <= c.held() {
                            "The free spots wait for the members already on the waitlist: a booking goes to the end of it (move someone up in the waitlist below)."
                        } else {
                            return None;
                        };
                        Some(view! { <p class="hint" data-testid="book-full">{said}</p> })
                    }))}
                    <label for="book-search">"Find a member"</label>
                    <input id="book-search" type="search" autocomplete="off" data-testid="book-search" prop:value=query
                        on:input=move |ev| { outcome.set(None); query.set(event_target_value(&ev)); }/>
                    <ul class="short-list" data-testid="book-candidates">
                        {move || found.get().into_iter().map(|(name, id)| view! {
                            <li>
                                <button type="button" class="link" data-testid="book-candidate" data-member=id.to_string()
                                    on:click=move |_| { problem.set(None); outcome.set(None); selected.set(Some(id)); }>
                                    {name}
                                </button>
                            </li>
                        }).collect_view()}
                    </ul>
                    {move || chosen.get().map(|m| {
                        let c = ctx.class.get()?;
                        let d = c.details.clone()?;
                        let rules = state.settings.with(|s| s.entry_rules());
                        let full = c.free() <= c.held();
                        let already = if c.booking(m.id).is_some() {
                            Some("already booked".to_owned())
                        } else {
                            c.waitlist.iter().position(|w| w.member == m.id).map(|i| format!("already on the waitlist (place {})", i + 1))
                        };
                        let verdict = can_attend(&m.member, d.day, &rules);
                        let said = match (&already, &verdict) {
                            (Some(a), _) => a.clone(),
                            (None, Ok(id)) => format!(
                                "Can attend on {}: {}.",
                                sentences::date(d.day),
                                m.member.membership(*id).map(|x| x.terms.name.clone()).unwrap_or_default()
                            ),
                            (None, Err(denial)) => format!("Cannot attend: {}.", sentences::denial(denial, &rules)),
                        };
                        let (m1, m2, m3) = (m.clone(), m.clone(), m.clone());
                        let membership = verdict.ok();
                        Some(view! {
                            <div class="book-selected" data-testid="book-selected" data-member=m.id.to_string()>
                                <p>
                                    <strong>{m.name.clone()}</strong>
                                    " "
                                    <span data-testid="book-verdict" data-can=membership.is_some().to_string()>{said}</span>
                                </p>
                                {(already.is_none() && membership.is_some()).then(|| view! {
                                    <button type="button" class="primary" data-testid="book-member"
                                        on:click=move |_| book(m1.clone(), membership, None, None)>
                                        {if full { "Put on the waitlist" } else { "Book" }}
                                    </button>
                                })}
                                {(already.is_none() && membership.is_none() && may_override.get()).then(|| view! {
                                    <form class="confirm" data-testid="book-override-form" novalidate
                                        on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); book(m2.clone(), None, Some(override_reason.get_untracked()), None); }>
                                        <TextInput name="book-override-reason" scope="book" label="Book anyway (manager): why?" value=override_reason/>
                                        <button type="submit" data-testid="book-override">"Book with override"</button>
                                    </form>
                                })}
                                {(already.is_none() && full && (membership.is_some() || may_override.get())).then(|| view! {
                                    <form class="confirm" data-testid="book-over-form" novalidate
                                        on:submit=move |ev: leptos::ev::SubmitEvent| {
                                            ev.prevent_default();
                                            // Two overrides, two reasons: the one above is asked for first.
                                            if membership.is_none() && override_reason.get_untracked().trim().is_empty() {
                                                problem.set(Some("This member cannot attend by the rules: write above why they are booked anyway, as well as why beyond the capacity.".into()));
                                                return;
                                            }
                                            let over = Some(over_reason.get_untracked());
                                            let overridden = membership.is_none().then(|| override_reason.get_untracked());
                                            book(m3.clone(), membership, overridden, over);
                                        }>
                                        <TextInput name="book-over-reason" scope="book"
                                            label=if membership.is_none() { "And beyond the capacity (with the reason above): why?" } else { "Or book beyond the capacity: why?" }
                                            value=over_reason/>
                                        <button type="submit" data-testid="book-over">"Book beyond the capacity"</button>
                                    </form>
                                })}
                            </div>
                        })
                    })}
                    <Problem problem testid="book-problem"/>
                    // Said while it holds: a booking another desk's change undid (the last spot
                    // taken first) is no longer "booked"; the correction notice says what became of it.
                    {move || {
                        let (member, booked, said) = outcome.get()?;
                        let holds = ctx.class.with(|c| c.as_ref().is_some_and(|c| {
                            if booked { c.booking(member).is_some() } else { c.waiting(member).is_some() }
                        }));
                        holds.then(|| view! { <p class="notice ok" role="status" data-testid="book-outcome">{said}</p> })
                    }}
                </section>
            }
            .into_any()
        })
    }
}
