//! The single writer: pushes queue here and are committed in groups, one transaction for every
//! push that arrived while the previous commit was under way (group commit).

use crate::{
    error::ApiError,
    live::LiveHub,
    store::{Commit, EventStore},
};
use shared::{
    acceptance::Refusal,
    protocol::{PushRequest, PushResponse, MAX_EVENTS_PER_PUSH},
};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// At most this many events in one group transaction.
const MAX_GROUP_EVENTS: usize = 8 * MAX_EVENTS_PER_PUSH;

struct Job {
    push: PushRequest,
    reply: oneshot::Sender<Result<Result<PushResponse, Refusal>, Arc<crate::store::StoreError>>>,
}

#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    pub fn spawn(store: Arc<dyn EventStore>, live: LiveHub) -> Self {
        let (jobs, rx) = mpsc::channel(1_024);
        tokio::spawn(run(store, live, rx));
        Self { jobs }
    }

    /// The answer to `push`, or why it was refused (then nothing of it was stored).
    pub async fn push(&self, push: PushRequest) -> Result<Result<PushResponse, Refusal>, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { push, reply }).await.map_err(|_| ApiError::Unavailable)?;
        match answer.await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(store_error)) => Err(ApiError::Internal(store_error.to_string())),
            Err(_) => Err(ApiError::Unavailable),
        }
    }
}

async fn run(store: Arc<dyn EventStore>, live: LiveHub, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let events = |p: &PushRequest| p.batches.iter().map(|b| b.events.len()).sum::<usize>();
        let mut size = events(&first.push);
        let (mut pushes, mut group) = (vec![first.push], vec![first.reply]);
        while size < MAX_GROUP_EVENTS {
            let Ok(job) = rx.try_recv() else { break };
            size += events(&job.push);
            pushes.push(job.push);
            group.push(job.reply);
        }
        match store.push_group(&pushes, now_ms(), Commit::EachPush).await {
            Ok(done) => {
                // Published after the commit and from this one task, so devices see positions in order.
                live.publish(&done.appended());
                let server_ms = now_ms();
                for (reply, outcome) in group.into_iter().zip(done.outcomes) {
                    let answer = outcome.map(|results| PushResponse { results, epoch: done.epoch, server_ms });
                    let _ = reply.send(Ok(answer));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, pushes = group.len(), "group commit failed; nothing of it was stored");
                let e = Arc::new(e);
                for reply in group {
                    let _ = reply.send(Err(e.clone()));
                }
            }
        }
    }
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
