//! The push algorithm, shared by every backend: plan each batch against the stream as stored
//! (the rules live in `shared::acceptance`), then append everything a push adds in one statement.

use super::{Commit, PushOutcome, StoreError};
use async_trait::async_trait;
use shared::{
    acceptance::{plan_batch, KnownId, Plan},
    protocol::{BatchResult, BatchStatus, PushRequest},
    EventEnvelope, StreamId,
};
use uuid::Uuid;

/// What the algorithm needs from an open write transaction.
#[async_trait]
pub(super) trait LogTx: Send {
    async fn stream_events(&mut self, stream: StreamId) -> Result<Vec<EventEnvelope>, StoreError>;
    async fn known_ids(&mut self, ids: &[Uuid]) -> Result<Vec<KnownId>, StoreError>;
    /// Appends the events with one multi-row insert, giving each its position.
    async fn append(&mut self, events: &mut [EventEnvelope], now_ms: u64) -> Result<(), StoreError>;
}

pub(super) async fn push_all(tx: &mut dyn LogTx, pushes: &[PushRequest], now_ms: u64) -> Result<Planned, StoreError> {
    let mut outcomes = Vec::with_capacity(pushes.len());
    let mut appended = Vec::new();
    for push in pushes {
        // Plan every batch before writing any, so a refused push leaves no trace.
        let mut plans = Vec::with_capacity(push.batches.len());
        let mut refusal = None;
        for batch in &push.batches {
            let history = tx.stream_events(batch.stream).await?;
            let ids: Vec<Uuid> = batch.events.iter().map(|e| e.id).collect();
            let known = tx.known_ids(&ids).await?;
            match plan_batch(&history, &known, batch) {
                Ok(plan) => plans.push((batch.stream, plan)),
                Err(r) => {
                    refusal = Some(r);
                    break;
                }
            }
        }
        if let Some(r) = refusal {
            outcomes.push(Err(r));
            continue;
        }
        let mut new: Vec<EventEnvelope> = plans
            .iter()
            .flat_map(|(_, plan)| match plan {
                Plan::Append { new, .. } => new.clone(),
                Plan::Conflict { .. } => vec![],
            })
            .collect();
        if !new.is_empty() {
            tx.append(&mut new, now_ms).await?;
            appended.extend(new.iter().cloned());
        }
        let mut stored_new = new.into_iter();
        let results = plans
            .into_iter()
            .map(|(stream, plan)| match plan {
                Plan::Append { mut stored, new } => {
                    stored.extend(stored_new.by_ref().take(new.len()));
                    BatchResult { stream, status: BatchStatus::Accepted, events: stored, server_events: vec![], head: 0 }
                }
                Plan::Conflict { server_events } => {
                    BatchResult { stream, status: BatchStatus::Rejected, events: vec![], server_events, head: 0 }
                }
            })
            .collect::<Vec<_>>();
        outcomes.push(Ok(results));
    }
    Ok(Planned { outcomes, appended })
}

/// What a group did inside its (still open) transaction.
pub(super) struct Planned {
    outcomes: Vec<PushOutcome>,
    appended: Vec<EventEnvelope>,
}

impl Planned {
    /// Commits, or rolls back when `AllOrNothing` and anything was not accepted.
    pub(super) async fn finish<DB: sqlx::Database>(
        self,
        tx: sqlx::Transaction<'static, DB>,
        commit: Commit,
    ) -> Result<(Vec<PushOutcome>, Vec<EventEnvelope>), StoreError> {
        if commit == Commit::AllOrNothing && first_refusal(&self.outcomes).is_some() {
            tx.rollback().await?;
            return Ok((self.outcomes, vec![]));
        }
        tx.commit().await?;
        Ok((self.outcomes, self.appended))
    }
}

/// Why a group is not accepted whole, if it is not.
pub fn first_refusal(outcomes: &[PushOutcome]) -> Option<String> {
    outcomes.iter().find_map(|o| match o {
        Err(refusal) => Some(refusal.to_string()),
        Ok(results) => results.iter().find(|r| r.status != BatchStatus::Accepted).map(|r| {
            format!(
                "stream {} already holds other events after version {}",
                r.stream,
                r.server_events.first().map_or(0, |e| e.version - 1)
            )
        }),
    })
}
