//! The push algorithm, shared by every backend: plan each batch against the stream's head (the
//! rules live in `shared::acceptance`), then append everything a push adds in one statement.

use super::{
    read_models::ReadWrites, recheck::Recheck, stream_cache::StreamCache, ClubRefusal, Commit, GroupOutcome, LogHead,
    PushOutcome, PushRefusal, StoreError,
};
use async_trait::async_trait;
use shared::{
    acceptance::{check_after_parent, check_epoch, plan_batch, Plan, StreamHead},
    protocol::{BatchResult, BatchStatus, LogEpoch, PushRequest, MAX_SERVER_EVENTS},
    EventEnvelope, StreamId,
};
use std::collections::HashMap;
use uuid::Uuid;

/// Stored events folded per query when a stream's head is brought up to date.
const FOLD_PAGE: u32 = 1_000;

/// What the algorithm needs from an open write transaction. Clubs are named by their key in the
/// `club` columns ([`super::club_key`]; '' for the log kept before clubs existed).
#[async_trait]
pub(super) trait LogTx: Send {
    /// The stored copies of those of `ids` that any club's log holds, each with its club's key.
    async fn events_by_id(&mut self, ids: &[Uuid]) -> Result<Vec<(String, EventEnvelope)>, StoreError>;
    /// The head versions of those of `streams` that have events, each with the key of the club
    /// whose log holds it (one query for a whole push).
    async fn stream_versions(&mut self, streams: &[StreamId]) -> Result<HashMap<StreamId, (String, u64)>, StoreError>;
    /// The stream's events above version `after`, in version order, at most `limit`.
    async fn stream_events(
        &mut self,
        stream: StreamId,
        after: u64,
        limit: u32,
    ) -> Result<Vec<EventEnvelope>, StoreError>;
    /// Stores positioned events in `club`'s log (one statement per 1,000) and moves its head to
    /// the last one.
    async fn append(&mut self, club: &str, events: &[EventEnvelope], now_ms: u64) -> Result<(), StoreError>;
    /// Upserts `club`'s read-model rows (one statement per 1,000 rows and table kind).
    async fn write_read_models(&mut self, club: &str, writes: &ReadWrites) -> Result<(), StoreError>;
    /// Every club's events after (`club`, `position`) = `after`, in (club, position) order, at
    /// most `limit`, each with its club's key: for a rebuild. (`("", 0)` starts at the beginning.)
    async fn events_after(
        &mut self,
        after: (&str, u64),
        limit: u32,
    ) -> Result<Vec<(String, EventEnvelope)>, StoreError>;
    /// The projections the read models were built with (`shared::projection::signature`).
    async fn read_models_signature(&mut self) -> Result<String, StoreError>;
    async fn set_read_models_signature(&mut self, signature: &str) -> Result<(), StoreError>;
    /// Empties every read model.
    async fn clear_read_models(&mut self) -> Result<(), StoreError>;
    /// Indexes the read-model rows stored events derive (their `read_tbl`, `read_sort`), as an
    /// append does for new ones: for a rebuild.
    async fn index_event_rows(&mut self, events: &[EventEnvelope]) -> Result<(), StoreError>;
}

/// Plans and appends `pushes` to the log of `club` (its key) in the open transaction `tx`, which
/// holds that log's write lock and read its head under it.
pub(super) async fn push_all(
    tx: &mut dyn LogTx,
    cache: &StreamCache,
    club: &str,
    pushes: &[PushRequest],
    now_ms: u64,
    log: LogHead,
    from_devices: bool,
) -> Result<Planned, StoreError> {
    let epoch = log.epoch;
    // Positions are dense and given here, under the lock: nobody else appends until commit.
    let mut position = log.position;
    let mut outcomes: Vec<PushOutcome> = Vec::with_capacity(pushes.len());
    // Heads as this transaction leaves them: a later push of the group builds on an earlier one's.
    let mut heads: HashMap<StreamId, StreamHead> = HashMap::new();
    // The read models move with the log, in this transaction.
    let mut read = ReadWrites::default();
    let mut appended_to: Vec<StreamId> = Vec::new();
    for push in pushes {
        // Read under the lock: a `faraday new-epoch` commits before or after this whole group.
        if let Err(r) = check_epoch(push, epoch) {
            outcomes.push(Err(r.into()));
            continue;
        }
        // Plan every batch before writing any, so a refused push leaves no trace.
        let ids: Vec<Uuid> = push.batches.iter().flat_map(|b| b.events.iter().map(|e| e.id)).collect();
        let stored = tx.events_by_id(&ids).await?;
        // (Streams in `heads` were this club's earlier in the group: the group is one club's.)
        let mut unseen: Vec<StreamId> =
            push.batches.iter().map(|b| b.stream).filter(|s| !heads.contains_key(s)).collect();
        // A device's events are held to the club's settings: read in the same query.
        let settings_stream = club.parse::<Uuid>().ok().map(|id| shared::club::stream(shared::ClubId(id)));
        if let Some(s) = settings_stream.filter(|s| from_devices && !heads.contains_key(s) && !unseen.contains(s)) {
            unseen.push(s);
        }
        let versions = if unseen.is_empty() { HashMap::new() } else { tx.stream_versions(&unseen).await? };
        if let Some(refusal) = other_club(push, club, &stored, &versions) {
            outcomes.push(Err(refusal.into()));
            continue;
        }
        // The club's settings as this transaction sees them, for a device's push.
        let mut settings = None;
        if let Some(stream) = settings_stream.filter(|_| from_devices) {
            let head = match heads.get(&stream) {
                Some(head) => head.clone(),
                None => {
                    let version = versions.get(&stream).map_or(0, |(_, v)| *v);
                    let head = stream_head(tx, cache, epoch, stream, version).await?;
                    // Read under the lock at its stored version: what the cache may hold, so
                    // the next push does not fold the settings again.
                    cache.put(epoch, [head.clone()]);
                    head
                }
            };
            if let Some(refusal) = against_settings(push, &head, &stored) {
                outcomes.push(Err(refusal.into()));
                continue;
            }
            settings = Some(head);
        }
        let stored: Vec<EventEnvelope> = stored.into_iter().map(|(_, e)| e).collect();
        let versions: HashMap<StreamId, u64> = versions.into_iter().map(|(s, (_, v))| (s, v)).collect();
        let mut plans = Vec::with_capacity(push.batches.len());
        // The heads a device's class and member batches were planned on, for the re-check of its
        // bookings and card visits.
        let mut rechecked: HashMap<StreamId, StreamHead> = HashMap::new();
        let mut refusal = None;
        for batch in &push.batches {
            let head = match heads.get(&batch.stream) {
                Some(head) => head.clone(),
                None => {
                    let version = versions.get(&batch.stream).copied().unwrap_or(0);
                    stream_head(tx, cache, epoch, batch.stream, version).await?
                }
            };
            // A device's events are held to what it had seen (an import keeps what was stored).
            if from_devices && batch.parent_version > 0 {
                let parent = tx.stream_events(batch.stream, batch.parent_version - 1, 1).await?;
                if let Err(r) = check_after_parent(parent.first(), batch) {
                    refusal = Some(PushRefusal::from(r));
                    break;
                }
            }
            match plan_batch(&head, &stored, batch) {
                Ok(plan) => plans.push((batch.stream, plan)),
                Err(r) => {
                    refusal = Some(PushRefusal::from(r));
                    break;
                }
            }
            if from_devices && matches!(batch.stream.kind, shared::StreamKind::Class | shared::StreamKind::Member) {
                rechecked.insert(batch.stream, head);
            }
        }
        if refusal.is_none() && !rechecked.is_empty() {
            // Every batch of the push is planned first: a member's sale pushed beside (or after)
            // their booking counts, as the device that made both saw it. Classes first: a card
            // visit is held to its class as this push leaves it.
            let rules = club_rules(&plans, settings_stream, settings.as_ref());
            let mut recheck = Recheck::new(tx, cache, (club, epoch), &heads, rules);
            if let Err(r) = recheck.classes(&mut plans, &rechecked).await? {
                refusal = Some(PushRefusal::from(r));
            } else if let Err(r) = recheck.visits(&mut plans, &rechecked).await? {
                refusal = Some(PushRefusal::from(r));
            }
        }
        if let Some(r) = refusal {
            outcomes.push(Err(r));
            continue;
        }
        // All of a push's new events in one insert; each batch takes its own back afterwards.
        let mut new = Vec::new();
        let mut counts = Vec::with_capacity(plans.len());
        for (_, plan) in &mut plans {
            match plan {
                Plan::Append { new: batch_new, .. } => {
                    counts.push(batch_new.len());
                    new.append(batch_new);
                }
                Plan::Conflict { .. } => counts.push(0),
            }
        }
        if !new.is_empty() {
            for e in &mut new {
                position += 1;
                e.position = Some(position);
            }
            tx.append(club, &new, now_ms).await?;
            appended_to.extend(new.iter().map(|e| e.stream));
        }
        let mut stored_new = new.into_iter();
        let mut results = Vec::with_capacity(plans.len());
        for ((stream, plan), count) in plans.into_iter().zip(counts) {
            results.push(match plan {
                Plan::Append { mut stored, head, status, after_version, .. } => {
                    stored.extend(stored_new.by_ref().take(count));
                    let version = head.version;
                    heads.insert(stream, *head);
                    let server_events = if status == BatchStatus::Accepted {
                        vec![]
                    } else {
                        // The other side the batch met, without the batch's own events.
                        let mut others = tx.stream_events(stream, after_version, MAX_SERVER_EVENTS as u32).await?;
                        others.retain(|e| !stored.iter().any(|s| s.id == e.id));
                        others
                    };
                    BatchResult { stream, status, events: stored, server_events, head: version, reason: None }
                }
                Plan::Conflict { stored, after_version, head_version, reason } => {
                    // Bounded: a long stream's other side comes by pull, not in one huge answer.
                    let mut server_events = tx.stream_events(stream, after_version, MAX_SERVER_EVENTS as u32).await?;
                    server_events.retain(|e| !stored.iter().any(|s| s.id == e.id));
                    BatchResult {
                        stream,
                        status: BatchStatus::Rejected,
                        events: stored,
                        server_events,
                        head: head_version,
                        reason: Some(reason),
                    }
                }
            });
        }
        outcomes.push(Ok(results));
    }
    appended_to.sort();
    appended_to.dedup();
    for stream in appended_to {
        read.set_stream(&heads[&stream]);
    }
    if !read.is_empty() {
        tx.write_read_models(club, &read).await?;
    }
    let outcome = GroupOutcome { outcomes, epoch, stored_after: Some(log.position) };
    Ok(Planned { outcome, heads: heads.into_values().collect() })
}

/// The club's entry rules as this transaction sees its settings: the push's own batch of them if it
/// has one, else `settings` (read before planning), else the defaults (the log kept before clubs).
fn club_rules(
    plans: &[(StreamId, Plan)],
    settings_stream: Option<StreamId>,
    settings: Option<&StreamHead>,
) -> shared::member::EntryRules {
    let planned = plans.iter().find_map(|(s, p)| match p {
        Plan::Append { head, .. } if Some(*s) == settings_stream => Some(&**head),
        _ => None,
    });
    match planned.or(settings).map(|h| &h.state) {
        Some(shared::StreamState::Club(club)) => club.entry_rules(),
        _ => shared::club::ClubSettings::default().entry_rules(),
    }
}

/// The first event of `push` a device decided that does not hold against the club's settings
/// (`shared::club::admission`), as a rule broken. Events already stored (a retry) are not judged again.
fn against_settings(
    push: &PushRequest,
    settings: &StreamHead,
    stored: &[(String, EventEnvelope)],
) -> Option<shared::acceptance::Refusal> {
    let shared::StreamState::Club(settings) = &settings.state else { return None };
    let zone = super::zone::ClubZone::named(&settings.time_zone);
    for batch in &push.batches {
        for e in &batch.events {
            if stored.iter().any(|(_, s)| s.id == e.id) {
                continue;
            }
            if let Err(why) = shared::club::admission::check(e, settings, &zone, &super::zone::exists) {
                return Some(shared::acceptance::Refusal::RuleBroken {
                    stream: batch.stream,
                    event: e.id,
                    reason: why.to_string(),
                });
            }
        }
    }
    None
}

/// Whether `push` names a stream or an event id that another club's log holds (`stored`: the
/// stored copies of its ids; `versions`: the streams it names that have events), and which.
fn other_club(
    push: &PushRequest,
    club: &str,
    stored: &[(String, EventEnvelope)],
    versions: &HashMap<StreamId, (String, u64)>,
) -> Option<ClubRefusal> {
    for batch in &push.batches {
        // A club's settings stream is named by its club: no other club's device may start it.
        let settings_of_another = batch.stream.kind == shared::StreamKind::Club && batch.stream.id.to_string() != club;
        if settings_of_another || versions.get(&batch.stream).is_some_and(|(owner, _)| owner != club) {
            return Some(ClubRefusal::OtherClub { stream: batch.stream, event: None });
        }
    }
    let (_, e) = stored.iter().find(|(owner, _)| owner != club)?;
    // Named by the batch that carries it: the other club's stream is not this device's to learn.
    let batch = push.batches.iter().find(|b| b.events.iter().any(|p| p.id == e.id));
    Some(ClubRefusal::OtherClub { stream: batch.map_or(e.stream, |b| b.stream), event: Some(e.id) })
}

/// The stream's head at `version` (as stored): the cached one brought up to it, or the whole
/// history folded once.
pub(super) async fn stream_head(
    tx: &mut dyn LogTx,
    cache: &StreamCache,
    epoch: LogEpoch,
    stream: StreamId,
    version: u64,
) -> Result<StreamHead, StoreError> {
    let mut head = cache.get(epoch, stream, version).unwrap_or_else(|| StreamHead::new(stream));
    while head.version < version {
        let events = tx.stream_events(stream, head.version, FOLD_PAGE).await?;
        if events.is_empty() {
            return Err(StoreError::Corrupt {
                position: -1,
                reason: format!("{stream} has version {version} but no event after {}", head.version),
            });
        }
        head.fold(&events).map_err(|r| StoreError::Corrupt { position: -1, reason: r.to_string() })?;
    }
    Ok(head)
}

/// What a group did inside its (still open) transaction.
pub(super) struct Planned {
    outcome: GroupOutcome,
    /// The heads of the streams this group appended to, for the cache once committed.
    heads: Vec<StreamHead>,
}

impl Planned {
    /// Whether the group stored anything (so other processes must hear of the club's new head).
    pub(super) fn appended_any(&self) -> bool {
        !self.outcome.appended().is_empty()
    }

    /// Commits, or rolls back when `AllOrNothing` and anything was not accepted.
    pub(super) async fn finish<DB: sqlx::Database>(
        self,
        tx: sqlx::Transaction<'static, DB>,
        commit: Commit,
        cache: &StreamCache,
    ) -> Result<GroupOutcome, StoreError> {
        let mut outcome = self.outcome;
        if commit == Commit::AllOrNothing && first_refusal(&outcome.outcomes).is_some() {
            tx.rollback().await?;
            outcome.stored_after = None;
            return Ok(outcome);
        }
        tx.commit().await?;
        cache.put(outcome.epoch, self.heads);
        Ok(outcome)
    }
}

/// Why a group is not accepted whole, if it is not.
pub fn first_refusal(outcomes: &[PushOutcome]) -> Option<String> {
    outcomes.iter().find_map(|o| match o {
        Err(refusal) => Some(refusal.to_string()),
        Ok(results) => results.iter().find(|r| r.status != BatchStatus::Accepted).map(|r| {
            format!(
                "stream {} already holds other events after version {}{}",
                r.stream,
                r.server_events.first().map_or(0, |e| e.version - 1),
                r.reason.as_deref().map(|why| format!(": {why}")).unwrap_or_default()
            )
        }),
    })
}
