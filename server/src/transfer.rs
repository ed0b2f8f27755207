//! Own your data: the event log out to a file, and back in on another server.

use crate::{
    store::{first_refusal, Commit, EventStore, StoreError},
    writer::now_ms,
};
use shared::{
    acceptance::{check_request, StreamHead},
    protocol::{PushBatch, PushRequest, MAX_EVENTS_PER_PUSH},
    EventEnvelope, StreamId,
};
use std::{
    collections::{HashMap, HashSet},
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
    #[error(
        "line {line}: the log holds other events than the file ({reason}); the {stored_before} events \
         before this chunk are stored, nothing after"
    )]
    Refused { line: usize, stored_before: usize, reason: String },
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

/// Reads an export into this log, in bounded memory, in two passes over the file.
///
/// 1. The whole file is checked, line by line, as the server checks a push (shape, canonical data,
///    each stream's versions and rules folded from its first event): a bad file stores nothing.
/// 2. It is stored in chunks of at most 2,000 events, each chunk one short transaction, so a
///    server running on the same database keeps taking pushes meanwhile (they wait for one chunk at
///    most), and its live subscribers get the imported events. Events already stored are skipped, so
///    an import that stopped (a crash, or a conflict with events written since) can simply be run again.
pub async fn import(store: &dyn EventStore, input: &Path) -> Result<ImportReport, TransferError> {
    let checked = check_file(input)?;
    tracing::info!(events = checked, "the export is valid; storing it");
    let mut report = ImportReport::default();
    let mut chunk = Chunk::default();
    for (line, event) in read_events(input)? {
        let (line, event) = (line, event?);
        chunk.add(line, event);
        if chunk.events >= MAX_EVENTS_PER_PUSH {
            store_chunk(store, std::mem::take(&mut chunk), &mut report).await?;
            if report.read % PROGRESS_EVERY < MAX_EVENTS_PER_PUSH {
                tracing::info!(read = report.read, of = checked, stored = report.stored, "importing");
            }
        }
    }
    store_chunk(store, chunk, &mut report).await?;
    tracing::info!(events = report.read, newly_stored = report.stored, "import finished");
    Ok(report)
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Events in the file.
    pub read: usize,
    /// Events stored by this import (the others were already in the log).
    pub stored: usize,
}

/// Events of the file in order, one push per run of one stream's events.
#[derive(Default)]
struct Chunk {
    pushes: Vec<PushRequest>,
    first_lines: Vec<usize>,
    events: usize,
}

impl Chunk {
    fn add(&mut self, line: usize, event: EventEnvelope) {
        self.events += 1;
        if let Some(push) = self.pushes.last_mut() {
            if push.batches[0].stream == event.stream {
                push.batches[0].events.push(event);
                return;
            }
        }
        self.first_lines.push(line);
        let batch = PushBatch { stream: event.stream, parent_version: event.version - 1, events: vec![event] };
        let device = shared::DeviceId::new("import").expect("a valid device id");
        self.pushes.push(PushRequest { device, batches: vec![batch], epoch: None });
    }
}

async fn store_chunk(store: &dyn EventStore, chunk: Chunk, report: &mut ImportReport) -> Result<(), TransferError> {
    if chunk.pushes.is_empty() {
        return Ok(());
    }
    let done = store.push_group(&chunk.pushes, now_ms(), Commit::AllOrNothing).await?;
    if let Some(why) = first_refusal(&done.outcomes) {
        let line = done.outcomes.iter().position(|o| first_refusal(std::slice::from_ref(o)).is_some());
        let line = line.map_or(0, |i| chunk.first_lines[i]);
        return Err(TransferError::Refused { line, stored_before: report.stored, reason: why });
    }
    report.read += chunk.events;
    report.stored += done.appended().len();
    Ok(())
}

/// Pass 1: everything the server would check, per line, with each stream folded from its start.
fn check_file(input: &Path) -> Result<usize, TransferError> {
    let mut heads: HashMap<StreamId, StreamHead> = HashMap::new();
    let mut ids = HashSet::new();
    let mut count = 0;
    let now = now_ms();
    for (line, event) in read_events(input)? {
        let event = event?;
        let invalid = |reason: String| TransferError::Invalid { line, reason };
        if event.version == 0 {
            return Err(invalid("version 0: versions start at 1".into()));
        }
        if !ids.insert(event.id) {
            return Err(invalid(format!("event id {} appears twice in the file", event.id)));
        }
        let head = heads.entry(event.stream).or_insert_with(|| StreamHead::new(event.stream));
        if event.version != head.version + 1 {
            return Err(invalid(format!(
                "{} has version {} after version {}: an export holds every stream whole, in order",
                event.stream, event.version, head.version
            )));
        }
        let single = PushRequest {
            device: event.device.clone(),
            batches: vec![PushBatch { stream: event.stream, parent_version: head.version, events: vec![event] }],
            epoch: None,
        };
        check_request(&single, now).map_err(|e| invalid(e.to_string()))?;
        let event = &single.batches[0].events[0];
        head.state.accept(event).map_err(|reason| invalid(format!("event {} breaks a rule: {reason}", event.id)))?;
        head.version = event.version;
        count += 1;
        if count % PROGRESS_EVERY == 0 {
            tracing::info!(checked = count, "checking the export");
        }
    }
    Ok(count)
}

/// The file's events, one per non-empty line, with their line numbers and without positions (the
/// importing log gives its own).
fn read_events(
    input: &Path,
) -> Result<impl Iterator<Item = (usize, Result<EventEnvelope, TransferError>)>, TransferError> {
    let file = std::io::BufReader::new(std::fs::File::open(input)?);
    Ok(file.lines().enumerate().filter_map(|(i, line)| {
        let line_no = i + 1;
        let parsed = match line {
            Err(e) => Err(TransferError::Io(e)),
            Ok(text) if text.trim().is_empty() => return None,
            Ok(text) => serde_json::from_str::<EventEnvelope>(&text)
                .map(|mut e| {
                    e.position = None;
                    e
                })
                .map_err(|e| TransferError::Invalid { line: line_no, reason: e.to_string() }),
        };
        Some((line_no, parsed))
    }))
}
