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
    calendar::Date,
    class::recheck::{correct, corrections, Correction},
    class::{can_attend, ClassEvent},
    member::{Denial, EntryRules},
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
    /// Whether a member can attend a class (on its day), once read (a push books a few members,
    /// often twice). Per class: a member is judged with the visit that class itself used given
    /// back, so a card's last visit used by the class's own attendance does not refuse its booking.
    verdicts: HashMap<(Uuid, Date, Uuid), Result<(), Denial>>,
}

impl<'a> Recheck<'a> {
    pub fn new(
        tx: &'a mut dyn LogTx,
        cache: &'a StreamCache,
        (club, epoch): (&'a str, LogEpoch),
        earlier: &'a HashMap<StreamId, StreamHead>,
        rules: EntryRules,
    ) -> Self {
        Self { tx, cache, club, epoch, earlier, rules, verdicts: HashMap::new() }
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
                let wanted = self.wanted(before, events, plans).await?;
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
    async fn wanted(
        &mut self,
        before: &StreamHead,
        events: &[EventEnvelope],
        plans: &[(StreamId, Plan)],
    ) -> Result<Vec<Correction>, StoreError> {
        loop {
            // `corrections` asks synchronously: the members it asks of that are not read yet are
            // read from the log (a few per push), then it is asked again.
            let mut missing: Vec<(Uuid, Date, Uuid)> = Vec::new();
            let mut wanted = Vec::new();
            let mut state = before.state.clone();
            for e in events {
                state.evolve(e).map_err(|err| StoreError::Corrupt { position: -1, reason: err.to_string() })?;
                let StreamState::Class(class) = &state else { break };
                let Some(day) = class.details.as_ref().map(|d| d.day) else { continue };
                let id = before.stream.id;
                wanted.extend(corrections(class, e.version..=e.version, &mut |member| {
                    self.verdicts.get(&(member, day, id)).copied().unwrap_or_else(|| {
                        missing.push((member, day, id));
                        Ok(())
                    })
                }));
            }
            if missing.is_empty() {
                return Ok(wanted);
            }
            self.read_verdicts(&missing, plans).await?;
        }
    }

    /// Reads whether each member can attend on the day asked: their stream as this transaction
    /// sees it (this push's own batch of it, else an earlier push's of the group, else the log).
    async fn read_verdicts(
        &mut self,
        asked: &[(Uuid, Date, Uuid)],
        plans: &[(StreamId, Plan)],
    ) -> Result<(), StoreError> {
        let mut heads: HashMap<Uuid, StreamHead> = HashMap::new();
        let mut unread: Vec<StreamId> = Vec::new();
        for &(member, ..) in asked {
            let stream = StreamId::member(member);
            let planned = plans.iter().find_map(|(s, p)| match p {
                Plan::Append { head, .. } if *s == stream => Some(&**head),
                _ => None,
            });
            match planned.or_else(|| self.earlier.get(&stream)) {
                Some(head) => {
                    heads.insert(member, head.clone());
                }
                None if !unread.contains(&stream) => unread.push(stream),
                None => {}
            }
        }
        if !unread.is_empty() {
            let versions = self.tx.stream_versions(&unread).await?;
            let mut read = Vec::with_capacity(unread.len());
            for stream in unread {
                // Another club's member is no member of this one: their stream reads as empty here.
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
            heads.extend(read.into_iter().map(|h| (h.stream.id, h)));
        }
        for &(member, day, class) in asked {
            let verdict = match heads.get(&member).map(|h| &h.state) {
                Some(StreamState::Member(m)) => can_attend(&m.before_class(class), day, &self.rules).map(|_| ()),
                _ => Err(Denial::NoMembership),
            };
            self.verdicts.insert((member, day, class), verdict);
        }
        Ok(())
    }
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
        // The same event (id, stamp, device, author) stored as what the server made of it.
        e.event_type = shared::aggregate::DomainEvent::event_type(&fixed).to_owned();
        e.schema_version = shared::aggregate::DomainEvent::schema_version(&fixed);
        e.data = shared::aggregate::DomainEvent::encode(&fixed);
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
