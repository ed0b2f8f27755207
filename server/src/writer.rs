//! The single writer: pushes queue here and are committed in groups, one transaction per club for
//! every push that arrived while the previous commit was under way (group commit).

use crate::{
    error::ApiError,
    live::LiveHub,
    store::{Commit, EventStore, PushRefusal, StoreError},
};
use shared::{
    protocol::{PushRequest, PushResponse, MAX_EVENTS_PER_PUSH},
    ClubId,
};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// At most this many events in one round of group transactions.
const MAX_GROUP_EVENTS: usize = 8 * MAX_EVENTS_PER_PUSH;

type Reply = oneshot::Sender<Result<Result<PushResponse, PushRefusal>, Arc<StoreError>>>;

struct Job {
    club: ClubId,
    push: PushRequest,
    reply: Reply,
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

    /// The answer to `push` into `club`'s log, or why it was refused (then nothing of it was stored).
    pub async fn push(&self, club: ClubId, push: PushRequest) -> Result<Result<PushResponse, PushRefusal>, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.jobs.send(Job { club, push, reply }).await.map_err(|_| ApiError::Unavailable)?;
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
        let mut jobs = vec![first];
        while size < MAX_GROUP_EVENTS {
            let Ok(job) = rx.try_recv() else { break };
            size += events(&job.push);
            jobs.push(job);
        }
        // One transaction per club (each club's log has its own lock and positions), in the
        // order the clubs' first pushes came; each club's pushes in the order they came.
        let mut clubs: Vec<(ClubId, Vec<PushRequest>, Vec<Reply>)> = Vec::new();
        for job in jobs {
            let at = match clubs.iter().position(|(club, ..)| *club == job.club) {
                Some(at) => at,
                None => {
                    clubs.push((job.club, vec![], vec![]));
                    clubs.len() - 1
                }
            };
            clubs[at].1.push(job.push);
            clubs[at].2.push(job.reply);
        }
        for (club, pushes, replies) in clubs {
            commit(&*store, &live, club, &pushes, replies).await;
        }
    }
}

/// Commits one club's group and answers each of its pushes.
async fn commit(store: &dyn EventStore, live: &LiveHub, club: ClubId, pushes: &[PushRequest], replies: Vec<Reply>) {
    match store.push_group(club, pushes, now_ms(), Commit::EachPush).await {
        Ok(done) => {
            // Published after the commit and from this one task, so devices see positions in order.
            live.publish(club, &done.appended());
            let server_ms = now_ms();
            for (reply, outcome) in replies.into_iter().zip(done.outcomes) {
                let answer = outcome.map(|results| PushResponse { results, epoch: done.epoch, server_ms });
                let _ = reply.send(Ok(answer));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, %club, pushes = replies.len(), "group commit failed; nothing of it was stored");
            let e = Arc::new(e);
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
