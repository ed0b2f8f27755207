//! The member's upcoming classes (bookings and waitlist places, each a link to the class) and the
//! way to book them into one (`shared::timetable::upcoming_of`).

use crate::{client::ClientState, format, pages::classes::act, sentences};
use leptos::prelude::*;
use shared::{
    class::can_attend,
    timetable::{self, Place},
};
use uuid::Uuid;

#[component]
pub fn MemberClasses(state: ClientState, id: Uuid) -> impl IntoView {
    let now = super::day::ticking_now();
    let may_book = act::booking(state);
    let upcoming = Memo::new(move |_| {
        let now = now.get();
        state.classes.with(|all| timetable::upcoming_of(all.iter().map(|c| (c.id, &*c.class)), id, now))
    });
    // Why the member cannot attend a class they hold a spot in (frozen, or the membership ended,
    // after they booked): the booking stands until staff cancel it, and the page says so.
    let unable = move |class: Uuid| -> Option<String> {
        let rules = state.settings.with(|s| s.entry_rules());
        let member = state.members.with(|all| all.iter().find(|r| r.id == id).map(|r| r.member.clone()))?;
        state.classes.with(|all| {
            let c = &all.iter().find(|c| c.id == class)?.class;
            let day = c.details.as_ref()?.day;
            let why = c.released_by_move(|m| (m == id).then(|| can_attend(&member, day, &rules).err()).flatten());
            why.first().map(|s| sentences::denial(&s.denial, &rules))
        })
    };
    view! {
        <section class="member-classes" data-testid="member-classes">
            <h2>"Classes"</h2>
            <ul class="short-list">
                {move || upcoming.with(Vec::is_empty).then(|| view! { <li class="empty">"No upcoming class booked."</li> })}
                {move || upcoming.get().into_iter().map(|u| {
                    let (place, said) = match u.place {
                        Place::Booked { .. } => ("booked", "booked".to_owned()),
                        Place::Waiting { position } => ("waiting", format!("on the waitlist, place {position}")),
                    };
                    view! {
                        <li data-testid="member-class" data-class=u.slot.class.to_string() data-place=place>
                            <a href=format!("/classes/{}", u.slot.class)>
                                {format!("{} ({} {})", u.slot.title, format::day_label(u.slot.day), format::clock_of(u.slot.start_ms))}
                            </a>
                            <span class="when">{said}</span>
                            {matches!(u.place, Place::Booked { .. }).then(|| unable(u.slot.class)).flatten().map(|why| view! {
                                <span class="tag warn" data-testid="cannot-attend">{format!("cannot attend that day: {why}")}</span>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {move || may_book.get().then(|| view! {
                <a class="button" data-testid="book-a-class" href=format!("/classes?member={id}")>"Book a class…"</a>
            })}
        </section>
    }
}
