use crate::{
    client::{Client, EventState, StoreError, TimelineRow},
    format, sentences,
};
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use uuid::Uuid;

/// The member's events, newest first, read again after every change to the local store.
pub type Rows = LocalResource<Result<Vec<TimelineRow>, StoreError>>;

/// The most classes whose events about the member the member's timeline shows (the latest ones).
const CLASS_TIMELINES: usize = 20;

/// Reads the member's timeline (one read serves the page: the timeline, and why a member is absent),
/// with the events of their latest classes that concern them (booked, moved to the waitlist,
/// refused, the class cancelled or moved), each in its place by time.
pub fn rows(client: &Client, id: Uuid) -> Rows {
    let revision = client.state.revision;
    let classes = client.state.classes;
    let api = client.api();
    LocalResource::new(move || {
        revision.track();
        let api = api.clone();
        let mut concerning: Vec<(u64, Uuid)> = classes.with_untracked(|all| {
            all.iter()
                .filter(|c| {
                    let c = &c.class;
                    c.booking(id).is_some()
                        || c.waiting(id).is_some()
                        || c.charges.iter().any(|x| x.member == id)
                        || c.refused.iter().any(|(m, _)| *m == id)
                })
                .map(|c| (c.class.details.as_ref().map_or(0, |d| d.start_ms), c.id))
                .collect()
        });
        concerning.sort_unstable_by(|a, b| b.cmp(a));
        concerning.truncate(CLASS_TIMELINES);
        async move {
            let mut rows = api.timeline(shared::StreamId::member(id)).await?;
            for (_, class) in concerning {
                let about: Vec<TimelineRow> = api
                    .timeline(shared::class::stream(class))
                    .await?
                    .into_iter()
                    .filter(|r| {
                        r.about == Some(id) || matches!(r.event_type.as_str(), "ClassCancelled" | "ClassRescheduled")
                    })
                    .collect();
                rows = merged(rows, about);
            }
            Ok(rows)
        }
    })
}

/// Two timelines (newest first) as one: `own` keeps its order, each of `other` goes before the
/// first of `own` that happened before it.
fn merged(own: Vec<TimelineRow>, other: Vec<TimelineRow>) -> Vec<TimelineRow> {
    let mut out = Vec::with_capacity(own.len() + other.len());
    let mut other = other.into_iter().peekable();
    for row in own {
        while other.peek().is_some_and(|o| o.at_ms >= row.at_ms) {
            out.extend(other.next());
        }
        out.push(row);
    }
    out.extend(other);
    out
}

/// Everything that happened to the member, newest first, each with where it stands with the server
/// (a refused change says why, in the server's words).
#[component]
pub fn Timeline(
    rows: Rows,
    client: Client,
    /// On the class's own page (its events need no link to it).
    #[prop(optional)]
    on_class: bool,
) -> impl IntoView {
    let state = client.state;
    view! {
        <h2>"Timeline"</h2>
        {move || match rows.get() {
            None => EitherOf3::A(view! { <p class="loading">"Loading…"</p> }),
            Some(Err(e)) => EitherOf3::B(view! { <p class="notice error" role="alert">{sentences::store_failed(&e)}</p> }),
            Some(Ok(rows)) => EitherOf3::C(view! {
                <ol class="timeline" data-testid="timeline">
                    {rows.into_iter().map(|r| {
                        let (class, label) = match &r.state {
                            EventState::Pending => ("pending", "pending".to_owned()),
                            EventState::Confirmed => ("confirmed", "synced".to_owned()),
                            EventState::Unconfirmed => ("unconfirmed", "checking with the server".to_owned()),
                            EventState::Rejected(why) => ("rejected", format!("not accepted: {why}")),
                            EventState::Settled(why) => ("settled", format!("not accepted ({why}); settled in the inbox")),
                        };
                        // Who made it, by name where this device knows it.
                        let by = r.staff.map(|staff| {
                            let name = state.staff_name(staff);
                            let name = if name.is_empty() { "a staff member".to_owned() } else { name };
                            view! { <span class="by" data-staff=staff.to_string()>{format!("by {name}")}</span> }
                        });
                        // A voided check-in stays, struck through, with who voided it and why.
                        let voided = r.voided.clone();
                        let what = match voided {
                            None => Either::Left(view! { <span class="what">{r.summary}</span> }),
                            Some(v) => {
                                let who = v.staff.map(|s| state.staff_name(s)).filter(|n| !n.is_empty()).unwrap_or_else(|| "a manager".into());
                                Either::Right(view! {
                                    <span class="what">
                                        <s data-testid="voided-check-in">{r.summary}</s>
                                        <span class="voided-note" data-testid="voided-note">
                                            {format!(" — voided by {who} at {}: {}", format::time_of(v.at_ms), v.reason)}
                                        </span>
                                    </span>
                                })
                            }
                        };
                        // A class's event on a member's timeline leads to the class.
                        let class_link = (r.stream.kind == shared::StreamKind::Class && !on_class)
                            .then(|| view! { <a class="who" href=format!("/classes/{}", r.stream.id)>"class"</a> });
                        view! {
                            <li class=class class:voided=r.voided.is_some() data-type=r.event_type.clone() data-staff=r.staff.map(|s| s.to_string())>
                                {what}
                                {class_link}
                                <time>{format::time_of(r.at_ms)}</time>
                                {by}
                                <span class="who" title=r.device.clone()>{device_label(&r.device, r.this_device)}</span>
                                <span class=format!("tag {class}")>{label}</span>
                            </li>
                        }
                    }).collect_view()}
                </ol>
            }),
        }}
    }
}

/// "on this device", or another device by the start of its id (devices get names of their own
/// with the club's settings; the whole id is in the tooltip).
fn device_label(device: &str, this_device: bool) -> String {
    if this_device {
        "on this device".into()
    } else {
        format!("on device {}", device.chars().take(8).collect::<String>())
    }
}
