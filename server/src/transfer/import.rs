//! `faraday import`: an export into this log, in bounded memory, in two readings of the file.
//!
//! 1. The whole file is checked, line by line, as the server checks a push (shape, canonical data,
//!    each stream's versions and rules folded from its first event): a bad file stores nothing.
//! 2. It is read again and stored in chunks of at most 2,000 events, each chunk one short
//!    transaction, so a server running on the same database keeps taking pushes meanwhile (they
//!    wait for one chunk at most), and its live subscribers get the imported events. Events already
//!    stored are skipped, so an import that stopped (a crash, or a conflict with events written
//!    since) can simply be run again.
//!
//! The second reading runs every check again and stores a chunk only when the bytes read up to its
//! end hash the same as they did in the first: a file that changes in between (one still being
//! copied, edited) stops the import, and never gets an unchecked event stored. Only a regular file
//! can be read twice: a pipe is refused, rather than spooled somewhere, because its copy could fill
//! a disk the server needs, and saving it first is one command the user sees.

use super::{reading::ExportFile, TransferError, PROGRESS_EVERY};
use crate::{
    store::{first_refusal, Commit, EventStore},
    writer::now_ms,
};
use shared::{
    protocol::{PushBatch, PushRequest, MAX_EVENTS_PER_PUSH},
    ClubId, EventEnvelope,
};
use std::path::Path;

/// Checks `input` whole, then stores it in `club`'s log; see the module's documentation.
pub async fn import(store: &dyn EventStore, club: ClubId, input: &Path) -> Result<ImportReport, TransferError> {
    Import::open(input)?.check()?.store(store, club).await
}

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Events in the file.
    pub read: usize,
    /// Events stored by this import (the others were already in the log).
    pub stored: usize,
}

/// An export to import, opened.
pub struct Import {
    file: ExportFile,
}

impl Import {
    /// Opens `input`, which must be a regular file: a pipe, a device or a directory is refused.
    pub fn open(input: &Path) -> Result<Self, TransferError> {
        Ok(Self { file: ExportFile::open(input, now_ms())? })
    }

    /// The first reading: checks every event; stores nothing.
    pub fn check(mut self) -> Result<Checked, TransferError> {
        let mut reading = self.file.read()?;
        let mut chunk_ends = vec![];
        while reading.next_event()?.is_some() {
            if reading.events() % MAX_EVENTS_PER_PUSH == 0 {
                chunk_ends.push(reading.digest());
            }
            if reading.events() % PROGRESS_EVERY == 0 {
                tracing::info!(checked = reading.events(), "checking the export");
            }
        }
        let (events, digest) = (reading.events(), reading.digest());
        tracing::info!(events, "the export is valid; storing it");
        Ok(Checked { file: self.file, events, chunk_ends, digest })
    }
}

/// An export checked whole, and what its first reading saw: the digest at the end of every chunk
/// and of the file.
pub struct Checked {
    file: ExportFile,
    events: usize,
    chunk_ends: Vec<u64>,
    digest: u64,
}

impl Checked {
    /// Events in the file when it was checked.
    pub fn events(&self) -> usize {
        self.events
    }

    /// The second reading: stores the file in `club`'s log chunk by chunk, each chunk checked
    /// again and only if it reads as it did when checked. A stream or an event id that another
    /// club's log holds stops it (as a conflict does).
    pub async fn store(mut self, store: &dyn EventStore, club: ClubId) -> Result<ImportReport, TransferError> {
        let (checked, chunk_ends, digest) = (self.events, std::mem::take(&mut self.chunk_ends), self.digest);
        let mut reading = self.file.read()?;
        let mut report = ImportReport::default();
        let mut chunk = Chunk::default();
        let changed = |line, report: &ImportReport, reason: String| TransferError::Changed {
            line,
            stored_before: report.stored,
            reason,
        };
        loop {
            let next = reading.next_event().map_err(|e| match e {
                TransferError::Invalid { line, reason } => changed(line, &report, reason),
                other => other,
            })?;
            let Some((line, event)) = next else { break };
            if reading.events() > checked {
                return Err(changed(line, &report, format!("it holds more than the {checked} events checked")));
            }
            chunk.add(line, event);
            if chunk.events < MAX_EVENTS_PER_PUSH {
                continue;
            }
            if chunk_ends.get(reading.events() / MAX_EVENTS_PER_PUSH - 1) != Some(&reading.digest()) {
                return Err(changed(line, &report, "its lines up to here differ from the ones checked".into()));
            }
            store_chunk(store, club, std::mem::take(&mut chunk), &mut report).await?;
            if report.read % PROGRESS_EVERY < MAX_EVENTS_PER_PUSH {
                tracing::info!(read = report.read, of = checked, stored = report.stored, "importing");
            }
        }
        let line = reading.line();
        if reading.events() != checked {
            let reason = format!("it ends after {} events; {checked} were checked", reading.events());
            return Err(changed(line, &report, reason));
        }
        if reading.digest() != digest {
            return Err(changed(line, &report, "its lines differ from the ones checked".into()));
        }
        store_chunk(store, club, chunk, &mut report).await?;
        tracing::info!(events = report.read, newly_stored = report.stored, "import finished");
        Ok(report)
    }
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

async fn store_chunk(
    store: &dyn EventStore,
    club: ClubId,
    chunk: Chunk,
    report: &mut ImportReport,
) -> Result<(), TransferError> {
    if chunk.pushes.is_empty() {
        return Ok(());
    }
    let done = store.push_group(club, &chunk.pushes, now_ms(), Commit::AllOrNothing).await?;
    if let Some(why) = first_refusal(&done.outcomes) {
        let line = done.outcomes.iter().position(|o| first_refusal(std::slice::from_ref(o)).is_some());
        let line = line.map_or(0, |i| chunk.first_lines[i]);
        return Err(TransferError::Refused { line, stored_before: report.stored, reason: why });
    }
    report.read += chunk.events;
    report.stored += done.appended().len();
    Ok(())
}
