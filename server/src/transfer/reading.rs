//! One reading of an export: every line parsed and checked as the server checks a push, and every
//! byte read hashed. An import reads the file twice (checks, then stores); the hash lets the second
//! reading prove that it reads what the first one checked, and the checks run again on every
//! event it stores, so that nothing unchecked is stored even if the file changes in between.

use super::TransferError;
use shared::{
    acceptance::{check_request, StreamHead},
    protocol::{PushBatch, PushRequest},
    EventEnvelope, StreamId,
};
use std::{
    collections::{HashMap, HashSet},
    fs::{File, Metadata},
    hash::{BuildHasher, DefaultHasher, Hasher, RandomState},
    io::{BufRead, BufReader, Seek, SeekFrom},
    path::Path,
};

/// An export opened for import: a regular file, read from the start as often as needed through the
/// one handle opened (so a file renamed over the path meanwhile is not read instead).
pub(super) struct ExportFile {
    file: File,
    /// The clock the checks compare stamps with, read once: both readings apply the same bound.
    now: u64,
    /// The hash's key, secret to this process: a file cannot be made to collide on purpose.
    key: RandomState,
}

impl ExportFile {
    pub fn open(path: &Path, now: u64) -> Result<Self, TransferError> {
        // Looked at before opening: opening a FIFO that no one writes to would wait for ever.
        refuse_unless_regular(path, &std::fs::metadata(path)?)?;
        let file = File::open(path)?;
        refuse_unless_regular(path, &file.metadata()?)?;
        Ok(Self { file, now, key: RandomState::new() })
    }

    /// A new reading from the first line, with checks that know nothing yet.
    pub fn read(&mut self) -> Result<Reading<'_>, TransferError> {
        (&self.file).seek(SeekFrom::Start(0))?;
        Ok(Reading {
            lines: BufReader::new(&self.file),
            buf: Vec::new(),
            line: 0,
            events: 0,
            hash: self.key.build_hasher(),
            checks: Checks::new(self.now),
        })
    }
}

fn refuse_unless_regular(path: &Path, metadata: &Metadata) -> Result<(), TransferError> {
    if metadata.is_file() {
        return Ok(());
    }
    Err(TransferError::NotAFile { path: path.display().to_string(), kind: kind_of(metadata) })
}

#[cfg(unix)]
fn kind_of(metadata: &Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let kind = metadata.file_type();
    match () {
        _ if kind.is_dir() => "a directory",
        _ if kind.is_fifo() => "a pipe",
        _ if kind.is_socket() => "a socket",
        _ if kind.is_char_device() => "a character device",
        _ if kind.is_block_device() => "a block device",
        _ => "something else",
    }
}

#[cfg(not(unix))]
fn kind_of(metadata: &Metadata) -> &'static str {
    if metadata.is_dir() {
        "a directory"
    } else {
        "something else"
    }
}

/// The file's events in order, each checked, with the line it is on; positions dropped (the
/// importing log gives its own).
pub(super) struct Reading<'f> {
    lines: BufReader<&'f File>,
    buf: Vec<u8>,
    line: usize,
    events: usize,
    hash: DefaultHasher,
    checks: Checks,
}

impl Reading<'_> {
    /// The next event and its line number; None at the end of the file.
    pub fn next_event(&mut self) -> Result<Option<(usize, EventEnvelope)>, TransferError> {
        loop {
            self.buf.clear();
            if self.lines.read_until(b'\n', &mut self.buf)? == 0 {
                self.checks.finish()?;
                return Ok(None);
            }
            self.line += 1;
            self.hash.write(&self.buf);
            if self.buf.trim_ascii().is_empty() {
                continue;
            }
            let line = self.line;
            // Read as strictly as a push (a field the server does not know is refused), and whole.
            let mut json = serde_json::Deserializer::from_slice(&self.buf);
            let mut event = shared::envelope::strict_envelope(&mut json)
                .and_then(|event| json.end().map(|()| event))
                .map_err(|e| TransferError::Invalid { line, reason: e.to_string() })?;
            event.position = None;
            let event = self.checks.check(line, event)?;
            self.events += 1;
            return Ok(Some((line, event)));
        }
    }

    /// Lines read so far.
    pub fn line(&self) -> usize {
        self.line
    }

    /// Events read so far.
    pub fn events(&self) -> usize {
        self.events
    }

    /// A hash of every byte read so far.
    pub fn digest(&self) -> u64 {
        self.hash.finish()
    }
}

/// Everything the server checks of a push (shape, canonical data, clock bound), per event, and
/// what an export promises: each id once, each stream whole and in order, its rules folded from
/// its first event, decision by decision.
struct Checks {
    heads: HashMap<StreamId, StreamHead>,
    /// Per stream, the events of a decision read so far that do not make a whole decision yet
    /// (a decision of several events is re-decided as a whole), with the line of its first.
    undecided: HashMap<StreamId, (usize, Vec<EventEnvelope>)>,
    ids: HashSet<uuid::Uuid>,
    now: u64,
}

/// More events than any decision makes: a run this long that still does not re-decide is wrong.
const MAX_DECISION_EVENTS: usize = 64;

impl Checks {
    fn new(now: u64) -> Self {
        Self { heads: HashMap::new(), undecided: HashMap::new(), ids: HashSet::new(), now }
    }

    /// The end of the file: a decision still incomplete breaks its stream's rules.
    fn finish(&mut self) -> Result<(), TransferError> {
        let mut left: Vec<_> = self.undecided.drain().collect();
        left.sort_by_key(|(_, (line, _))| *line);
        let Some((stream, (line, events))) = left.into_iter().next() else { return Ok(()) };
        let head = self.heads.get(&stream).expect("every undecided stream has a head");
        let reason =
            head.state.clone().accept(&events).err().map(|(id, why)| format!("event {id} breaks a rule: {why}"));
        Err(TransferError::Invalid { line, reason: reason.unwrap_or_else(|| "an incomplete decision".into()) })
    }

    fn check(&mut self, line: usize, event: EventEnvelope) -> Result<EventEnvelope, TransferError> {
        let invalid = |reason: String| TransferError::Invalid { line, reason };
        if event.version == 0 {
            return Err(invalid("version 0: versions start at 1".into()));
        }
        if !self.ids.insert(event.id) {
            return Err(invalid(format!("event id {} appears twice in the file", event.id)));
        }
        let head = self.heads.entry(event.stream).or_insert_with(|| StreamHead::new(event.stream));
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
        check_request(&single, self.now).map_err(|e| invalid(e.to_string()))?;
        let event = single.batches.into_iter().next().and_then(|b| b.events.into_iter().next());
        let event = event.expect("the event just put in");
        head.version = event.version;
        // Checked when its decision is whole: until then, the stream's state stays before it.
        let Some((first_line, undecided)) = self.undecided.get_mut(&event.stream) else {
            // Nothing waits on this stream (the usual case: most decisions are one event). A
            // decision is checked before anything of it is folded in, so a refusal of this one
            // event leaves the state as it was, and no copy of it is needed.
            if head.state.accept(std::slice::from_ref(&event)).is_err() {
                self.undecided.insert(event.stream, (line, vec![event.clone()]));
            }
            return Ok(event);
        };
        undecided.push(event.clone());
        let mut tried = head.state.clone();
        match tried.accept(undecided) {
            Ok(()) => {
                head.state = tried;
                self.undecided.remove(&event.stream);
            }
            Err((id, why)) if undecided.len() >= MAX_DECISION_EVENTS => {
                return Err(TransferError::Invalid {
                    line: *first_line,
                    reason: format!("event {id} breaks a rule: {why}"),
                });
            }
            Err(_) => {}
        }
        Ok(event)
    }
}
