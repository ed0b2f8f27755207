//! The re-check of a device's class bookings at append (DOMAIN.md "Classes": a booking needs a
//! valid membership; PROTOCOL.md "Classes"). The device decided with its copy of each member's
//! stream; the server holds the members as this transaction sees them, so a booking that no longer
//! holds is not dropped: it is stored as refused with the reason, and a spot that went to such a
//! member by promotion goes to the next in line (`shared::class::recheck` says what to correct).
//!
//! Devices' pushes only: an import or the demo stores a log whose bookings were settled when they
//! were first stored.

use super::{
    push::{stream_head, LogTx},
    stream_cache::StreamCache,
    StoreError,
};
use shared::{
    acceptance::{Plan, Refusal, StreamHead},
    class::recheck::{correct, not_counted_holds, recheck_event, visit_checked, visits_to_check, Correction},
    class::{booking_stands, ClassEvent},
    member::{Denial, EntryRules, Member, MemberEvent},
    protocol::{BatchStatus, LogEpoch},
    EventEnvelope, StreamId, StreamKind, StreamState,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Rounds of corrections one batch may take. Each round corrects at least one event for good (a
/// booking refused, or one more member skipped), so a batch settles in fewer rounds than it has
/// events times members waiting; this only bounds a bug (then the batch is stored as corrected
/// so far).
const MAX_ROUNDS: usize = 10_000;

/// One push's planned batches, and what the re-check reads beside them.
pub(super) struct Recheck<'a> {
    tx: &'a mut dyn LogTx,
    cache: &'a StreamCache,
    /// The club's key and its log's epoch.
    club: &'a str,
    epoch: LogEpoch,
    /// Streams as earlier pushes of this group left them.
    earlier: &'a HashMap<StreamId, StreamHead>,
    /// The club's entry rules (its settings as this transaction sees them).
    rules: EntryRules,
    /// Each member a class's bookings are judged on, once read (a push books a few members, often
    /// twice), by (member, class): with the visit that class itself used given back, so a card's
    /// last visit used by the class's own attendance does not refuse its booking. `None`: no such
    /// member in the club.
    judged: HashMap<(Uuid, Uuid), Option<Member>>,
}

impl<'a> Recheck<'a> {
    pub fn new(
        tx: &'a mut dyn LogTx,
        cache: &'a StreamCache,
        (club, epoch): (&'a str, LogEpoch),
        earlier: &'a HashMap<StreamId, StreamHead>,
        rules: EntryRules,
    ) -> Self {
        Self { tx, cache, club, epoch, earlier, rules, judged: HashMap::new() }
    }

    /// Corrects the class batches of one push, planned in `plans` (each with the stream's head it
    /// was planned on, in `before`), until every member they give a spot or a waitlist entry can
    /// attend. A corrected batch is answered `Rebased`, with its events as stored.
    pub async fn classes(
        &mut self,
        plans: &mut [(StreamId, Plan)],
        before: &HashMap<StreamId, StreamHead>,
    ) -> Result<Result<(), Refusal>, StoreError> {
        for i in 0..plans.len() {
            let (stream, Plan::Append { new, after_version, .. }) = &plans[i] else { continue };
            let Some(before) = before.get(stream).filter(|_| stream.kind == StreamKind::Class && !new.is_empty())
            else {
                continue;
            };
            let parent = *after_version;
            let mut corrected: Option<(Vec<EventEnvelope>, StreamHead)> = None;
            for _ in 0..MAX_ROUNDS {
                let events = match (&corrected, &plans[i].1) {
                    (Some((events, _)), _) | (None, Plan::Append { new: events, .. }) => events,
                    (None, Plan::Conflict { .. }) => unreachable!("an appended plan"),
                };
                let wanted = match self.wanted(before, events, plans).await? {
                    Ok(wanted) => wanted,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let Some(rewritten) = apply(events, &wanted) else { break };
                match refold(before, rewritten, parent) {
                    Ok(done) => corrected = Some(done),
                    Err(Refold::Invalid(refusal)) => return Ok(Err(refusal)),
                    // A later event of the batch meets a class the correction changed, and no rule
                    // says what it becomes (a member who left the waitlist got a spot when a
                    // booking ahead of them was refused): the batch goes back to the device's
                    // inbox, as a concurrent one that cannot join does; the rest of the push stands.
                    Err(Refold::Conflict(reason)) => {
                        let Plan::Append { stored, .. } = &plans[i].1 else { unreachable!("an appended plan") };
                        let stored = stored.clone();
                        plans[i].1 =
                            Plan::Conflict { stored, after_version: parent, head_version: before.version, reason };
                        corrected = None;
                        break;
                    }
                }
            }
            if let Some((events, head)) = corrected {
                let Plan::Append { new, head: planned, status, .. } = &mut plans[i].1 else { continue };
                *new = events;
                **planned = head;
                *status = BatchStatus::Rebased;
            }
        }
        Ok(Ok(()))
    }

    /// The corrections `events` (a class batch's new events, numbered after `before`) need: each
    /// event is asked about right after it, so a booking the batch cancels again is still checked
    /// (a late cancel of a booking that could not stand is no late cancel).
    ///
    /// An event naming someone who is no member of the club refuses the push (422 `rule_broken`):
    /// no device books a member it has not registered first, and a class's roster, waitlist and
    /// record of refusals must not fill with made-up people.
    async fn wanted(
        &mut self,
        before: &StreamHead,
        events: &[EventEnvelope],
        plans: &[(StreamId, Plan)],
    ) -> Result<Result<Vec<Correction>, Refusal>, StoreError> {
        loop {
            // `corrections` asks synchronously: the members it asks of that are not read yet are
            // read from the log (a few per push), then it is asked again.
            let mut missing: Vec<(Uuid, Uuid)> = Vec::new();
            let mut unknown: Option<(Uuid, Uuid)> = None;
            let mut wanted = Vec::new();
            let mut state = before.state.clone();
            for e in events {
                let prior = state.clone();
                state.evolve(e).map_err(|err| StoreError::Corrupt { position: -1, reason: err.to_string() })?;
                let (StreamState::Class(prior), StreamState::Class(class)) = (&prior, &state) else { break };
                let Some(day) = class.details.as_ref().map(|d| d.day) else { continue };
                let id = before.stream.id;
                let (rules, event_id) = (&self.rules, e.id);
                let event = e
                    .decode::<ClassEvent>()
                    .map_err(|err| StoreError::Corrupt { position: -1, reason: err.to_string() })?;
                // Whoever the event names (a manager's override booking, a refusal offered back
                // after a restore) is a member of the club, or the push is refused.
                if let Some(member) = event.member() {
                    match self.judged.get(&(member, id)) {
                        Some(None) => {
                            unknown.get_or_insert((member, event_id));
                        }
                        None => missing.push((member, id)),
                        Some(Some(_)) => {}
                    }
                }
                wanted.extend(recheck_event(prior, class, &event, e.version, &mut |member, membership| match self
                    .judged
                    .get(&(member, id))
                {
                    Some(Some(m)) => booking_stands(m, membership, day, rules),
                    Some(None) => {
                        unknown.get_or_insert((member, event_id));
                        Err(Denial::NoMembership)
                    }
                    None => {
                        missing.push((member, id));
                        Ok(())
                    }
                }));
            }
            if missing.is_empty() {
                return Ok(match unknown {
                    Some((member, event)) => Err(Refusal::RuleBroken {
                        stream: before.stream,
                        event,
                        reason: format!("{member} is not a member of this club: register them first"),
                    }),
                    None => Ok(wanted),
                });
            }
            self.read_members(&missing, plans).await?;
        }
    }

    /// Reads each member asked of (by member, class): their stream as this transaction sees it.
    async fn read_members(&mut self, asked: &[(Uuid, Uuid)], plans: &[(StreamId, Plan)]) -> Result<(), StoreError> {
        let streams: Vec<StreamId> = asked.iter().map(|&(member, _)| StreamId::member(member)).collect();
        let heads = self.heads(&streams, plans).await?;
        for &(member, class) in asked {
            let judged = match heads.get(&StreamId::member(member)).map(|h| &h.state) {
                Some(StreamState::Member(m)) if m.registered => Some(m.before_class(class).into_owned()),
                _ => None,
            };
            self.judged.insert((member, class), judged);
        }
        Ok(())
    }

    /// Holds the card visits of the member batches of one push (`before`: the heads they were
    /// planned on) to the classes' streams as this transaction leaves them, once `classes` has
    /// corrected the class batches: a visit the class does not record (its attendance went to the
    /// device's inbox, the booking lost the spot, no such class) is stored as not counted
    /// (`shared::class::recheck::visit_checked`). A corrected batch is answered `Rebased`.
    pub async fn visits(
        &mut self,
        plans: &mut [(StreamId, Plan)],
        before: &HashMap<StreamId, StreamHead>,
    ) -> Result<Result<(), Refusal>, StoreError> {
        for i in 0..plans.len() {
            let (stream, Plan::Append { new, after_version, .. }) = &plans[i] else { continue };
            let Some(before) = before.get(stream).filter(|_| stream.kind == StreamKind::Member) else { continue };
            let decoded: Vec<MemberEvent> = new.iter().filter_map(|e| e.decode::<MemberEvent>().ok()).collect();
            let asked: Vec<StreamId> = visits_to_check(&decoded).into_iter().map(shared::class::stream).collect();
            if asked.is_empty() || decoded.len() != new.len() {
                continue;
            }
            let classes = self.heads(&asked, plans).await?;
            let member = stream.id;
            let mut rewritten = new.clone();
            let mut changed = false;
            for (e, event) in rewritten.iter_mut().zip(&decoded) {
                let (MemberEvent::ClassVisitUsed { class, .. } | MemberEvent::ClassVisitNotCounted { class, .. }) =
                    event
                else {
                    continue;
                };
                let Some(head) = classes.get(&shared::class::stream(*class)) else { continue };
                let class = match &head.state {
                    StreamState::Class(c) if c.is_scheduled() => Some(c),
                    _ => None,
                };
                if !not_counted_holds(event, member, class) {
                    return Ok(Err(Refusal::RuleBroken {
                        stream: *stream,
                        event: e.id,
                        reason: "the class records what this card visit was used for: it counts".into(),
                    }));
                }
                if let Some(stored) = visit_checked(event, member, class) {
                    rewrite(e, &stored);
                    changed = true;
                }
            }
            if !changed {
                continue;
            }
            let parent = *after_version;
            match refold(before, rewritten, parent) {
                Ok((events, head)) => {
                    let Plan::Append { new, head: planned, status, .. } = &mut plans[i].1 else { continue };
                    *new = events;
                    **planned = head;
                    *status = BatchStatus::Rebased;
                }
                Err(Refold::Invalid(refusal)) => return Ok(Err(refusal)),
                Err(Refold::Conflict(reason)) => {
                    let Plan::Append { stored, .. } = &plans[i].1 else { unreachable!("an appended plan") };
                    let stored = stored.clone();
                    plans[i].1 = Plan::Conflict { stored, after_version: parent, head_version: before.version, reason };
                }
            }
        }
        Ok(Ok(()))
    }

    /// `streams` as this transaction sees them: this push's own batch of each, else an earlier
    /// push's of the group, else the log (read once, cached). Another club's stream reads as empty.
    async fn heads(
        &mut self,
        streams: &[StreamId],
        plans: &[(StreamId, Plan)],
    ) -> Result<HashMap<StreamId, StreamHead>, StoreError> {
        let mut heads: HashMap<StreamId, StreamHead> = HashMap::new();
        let mut unread: Vec<StreamId> = Vec::new();
        for &stream in streams {
            let planned = plans.iter().find_map(|(s, p)| match p {
                Plan::Append { head, .. } if *s == stream => Some(&**head),
                _ => None,
            });
            match planned.or_else(|| self.earlier.get(&stream)) {
                Some(head) => {
                    heads.insert(stream, head.clone());
                }
                None if !unread.contains(&stream) => unread.push(stream),
                None => {}
            }
        }
        if !unread.is_empty() {
            let versions = self.tx.stream_versions(&unread).await?;
            let mut read = Vec::with_capacity(unread.len());
            for stream in unread {
                let version = versions.get(&stream).filter(|(owner, _)| owner == self.club).map_or(0, |(_, v)| *v);
                let head = if version == 0 {
                    StreamHead::new(stream)
                } else {
                    stream_head(&mut *self.tx, self.cache, self.epoch, stream, version).await?
                };
                read.push(head);
            }
            // Read under the lock at their stored versions: what the cache may hold.
            self.cache.put(self.epoch, read.iter().filter(|h| h.version > 0).cloned());
            heads.extend(read.into_iter().map(|h| (h.stream, h)));
        }
        Ok(heads)
    }
}

/// `e` stored as `fixed`, what the server made of it: the same event (id, stamp, device, author).
fn rewrite<E: shared::aggregate::DomainEvent>(e: &mut EventEnvelope, fixed: &E) {
    e.event_type = fixed.event_type().to_owned();
    e.schema_version = fixed.schema_version();
    e.data = fixed.encode();
}

/// `events` with `wanted` applied (each correction to the event at its version, in turn), or None
/// when none of them changes anything (then correcting again would not end).
fn apply(events: &[EventEnvelope], wanted: &[Correction]) -> Option<Vec<EventEnvelope>> {
    let mut out = events.to_vec();
    let mut changed = false;
    for correction in wanted {
        let Some(e) = out.iter_mut().find(|e| e.version == correction.version()) else { continue };
        let Ok(event) = e.decode::<ClassEvent>() else { continue };
        let Some(fixed) = correct(&event, correction).filter(|f| *f != event) else { continue };
        rewrite(e, &fixed);
        changed = true;
    }
    changed.then_some(out)
}

/// Why a corrected batch does not fold again.
enum Refold {
    /// An event is wrong whatever the state: the push is refused, as at the head.
    Invalid(Refusal),
    /// An event cannot join the corrected class: a person decides (the batch is rejected).
    Conflict(String),
}

/// Folds `events` (the batch's new events, numbered after `before`) onto `before` again: each as it
/// is when it still holds, else re-decided on the corrected state as a concurrent change is (a
/// cancellation of a booking just refused is recorded as repeated). The events as they are stored
/// and the stream after them.
fn refold(
    before: &StreamHead,
    events: Vec<EventEnvelope>,
    parent: u64,
) -> Result<(Vec<EventEnvelope>, StreamHead), Refold> {
    use shared::acceptance::Unjoinable;
    let stream = before.stream;
    let mut head = before.clone();
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        let version = e.version;
        if head.state.accept(std::slice::from_ref(&e)).is_ok() {
            out.push(e);
        } else {
            let resolved =
                head.state.resolve(std::slice::from_ref(&e), parent, version).map_err(|(event, why)| match why {
                    Unjoinable::Conflict(reason) => Refold::Conflict(reason),
                    Unjoinable::Invalid(reason) => Refold::Invalid(Refusal::RuleBroken { stream, event, reason }),
                })?;
            out.extend(resolved.into_iter().map(|r| r.envelope));
        }
        head.version = version;
    }
    Ok((out, head))
}
