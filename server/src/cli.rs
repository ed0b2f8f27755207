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
    /// Read an export into this server's log, all or nothing. Events already stored are skipped.
    Import {
        /// A file written by `faraday export`.
        input: PathBuf,
    },
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
