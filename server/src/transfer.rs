//! Own your data: the event log out to a file, and back in on another server.

use crate::{
    store::{first_refusal, Commit, EventStore, StoreError},
    writer::now_ms,
};
use shared::{
    acceptance::check_request,
    protocol::{PushBatch, PushRequest},
    EventEnvelope,
};
use std::{
    io::{BufRead, BufWriter, Write},
    path::Path,
};

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("line {line}: {reason}")]
    Invalid { line: usize, reason: String },
    #[error("the import was refused and nothing was stored: {0}")]
    Refused(String),
}

const PAGE: u32 = 5_000;
const PROGRESS_EVERY: usize = 20_000;

pub async fn export(store: &dyn EventStore, output: Option<&Path>) -> Result<(), TransferError> {
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let head = store.head().await?.position;
    let (mut after, mut written) = (0, 0usize);
    loop {
        let page = store.pull(after, PAGE).await?;
        let Some(last) = page.last().and_then(|e| e.position) else { break };
        for e in &page {
            serde_json::to_writer(&mut out, e).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
        }
        written += page.len();
        if written % PROGRESS_EVERY < page.len() {
            tracing::info!(written, of = head, "exporting");
        }
        after = last;
    }
    out.flush()?;
    tracing::info!(events = written, "export finished");
    Ok(())
}

/// Reads a whole export, checks it, then stores it in one transaction: all of it or none of it.
pub async fn import(store: &dyn EventStore, input: &Path) -> Result<(), TransferError> {
    let file = std::io::BufReader::new(std::fs::File::open(input)?);
    let mut events: Vec<(usize, EventEnvelope)> = Vec::new();
    for (i, line) in file.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let event: EventEnvelope =
            serde_json::from_str(&line).map_err(|e| TransferError::Invalid { line: i + 1, reason: e.to_string() })?;
        events.push((i + 1, event));
        if events.len().is_multiple_of(PROGRESS_EVERY) {
            tracing::info!(read = events.len(), "reading the export");
        }
    }
    events.sort_by_key(|(_, e)| e.position);
    let line_of: std::collections::HashMap<uuid::Uuid, usize> = events.iter().map(|(line, e)| (e.id, *line)).collect();
    // Consecutive events of one stream from one device make one push; the log's own order is kept.
    let mut pushes: Vec<(usize, PushRequest)> = Vec::new();
    for (line, mut e) in events {
        e.position = None;
        match pushes.last_mut() {
            Some((_, p)) if p.device == e.device && p.batches[0].stream == e.stream => p.batches[0].events.push(e),
            _ => pushes.push((
                line,
                PushRequest {
                    device: e.device.clone(),
                    batches: vec![PushBatch { stream: e.stream, parent_version: e.version - 1, events: vec![e] }],
                },
            )),
        }
    }
    let total: usize = pushes.iter().map(|(_, p)| p.batches[0].events.len()).sum();
    let mut requests = Vec::with_capacity(pushes.len());
    for (line, push) in pushes {
        // Long runs are split to the push limit, each part continuing from the one before.
        let batch = &push.batches[0];
        for (k, chunk) in batch.events.chunks(shared::protocol::MAX_EVENTS_PER_PUSH).enumerate() {
            let request = PushRequest {
                device: push.device.clone(),
                batches: vec![PushBatch {
                    stream: batch.stream,
                    parent_version: batch.parent_version + (k * shared::protocol::MAX_EVENTS_PER_PUSH) as u64,
                    events: chunk.to_vec(),
                }],
            };
            check_request(&request).map_err(|e| TransferError::Invalid {
                line: e.event().and_then(|id| line_of.get(&id).copied()).unwrap_or(line),
                reason: e.to_string(),
            })?;
            requests.push(request);
        }
    }
    tracing::info!(events = total, "storing");
    let (outcomes, stored) = store.push_group(&requests, now_ms(), Commit::AllOrNothing).await?;
    if let Some(why) = first_refusal(&outcomes) {
        return Err(TransferError::Refused(why));
    }
    let stored = stored.len();
    tracing::info!(events = total, newly_stored = stored, "import finished");
    Ok(())
}
