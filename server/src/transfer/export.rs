use super::{TransferError, PROGRESS_EVERY};
use crate::store::EventStore;
use shared::ClubId;
use std::{
    io::{BufWriter, Write},
    path::Path,
};

const PAGE: u32 = 5_000;

/// Writes `club`'s whole log (nothing of another club's) as JSON lines, in position order, to
/// `output` or standard output.
pub async fn export(store: &dyn EventStore, club: ClubId, output: Option<&Path>) -> Result<(), TransferError> {
    let mut out: Box<dyn Write> = match output {
        Some(path) => Box::new(BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let head = store.head(club).await?.position;
    let (mut after, mut written) = (0, 0usize);
    loop {
        let page = store.pull(club, after, PAGE).await?;
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
