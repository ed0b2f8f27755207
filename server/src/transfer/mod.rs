//! Own your data: the event log out to a file, and back in on another server.

mod export;
mod import;
mod reading;

pub use export::export;
pub use import::{import, Checked, Import, ImportReport};

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(
        "{path} is {kind}, not a regular file: an import reads its input twice (it checks the whole \
         export, then stores it), and a pipe or a device can be read only once. Save it to a file first \
         (for example `cat … > export.jsonl`), then import that file"
    )]
    NotAFile { path: String, kind: &'static str },
    #[error("line {line}: {reason}")]
    Invalid { line: usize, reason: String },
    #[error(
        "line {line}: the log holds other events than the file ({reason}); the {stored_before} events \
         before this chunk are stored, nothing after"
    )]
    Refused { line: usize, stored_before: usize, reason: String },
    #[error(
        "line {line}: the file changed after it was checked ({reason}); the import stopped. The \
         {stored_before} events it stored before this chunk are ones it checked, nothing after is stored. \
         Import a copy that nothing writes to: a rerun skips the stored events"
    )]
    Changed { line: usize, stored_before: usize, reason: String },
}

const PROGRESS_EVERY: usize = 20_000;
