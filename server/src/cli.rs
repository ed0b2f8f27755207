//! `faraday [serve|migrate|export|import]`; configuration from flags or the environment.

use clap::{Args, Parser, Subcommand};
use std::{net::SocketAddr, path::PathBuf};

#[derive(Parser, Debug)]
#[command(name = "faraday", version, about = "Faraday: offline-first club management — the server")]
pub struct Cli {
    /// Where the event log lives: sqlite://FILE (created if absent) or postgres://…
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://faraday.db", global = true)]
    pub database_url: String,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the app and the sync API (the default when no command is given).
    Serve(ServeArgs),
    /// Create or update the database schema, then exit.
    Migrate,
    /// Write the whole event log as JSON lines (one envelope per line, in position order).
    Export {
        /// File to write; standard output when absent.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Read an export into this log: the whole file is checked first (a bad file stores nothing), then
    /// stored in chunks, so a server running on the same database keeps serving. Events already
    /// stored are skipped: an import that stopped can be run again.
    Import {
        /// A file written by `faraday export`.
        input: PathBuf,
    },
    /// Give the log a new identity. Run it after putting back a file-level backup of the database
    /// (not needed after `import` into a new database, which has its own): every device then syncs
    /// again from the start and offers back the events the backup lacks.
    NewEpoch,
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// The built site (cargo leptos build): pkg/, the service worker, the manifest, icons.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
}

impl ServeArgs {
    /// The serve settings when `faraday` runs with no command (as `cargo leptos` starts it).
    pub fn from_env() -> Self {
        #[derive(Parser)]
        struct Only {
            #[command(flatten)]
            args: ServeArgs,
        }
        Only::parse_from(["faraday"]).args
    }
}
