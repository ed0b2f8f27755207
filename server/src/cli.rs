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
    /// Write one club's whole event log as JSON lines (one envelope per line, in position order).
    Export {
        /// The club whose log is written (its UUID).
        #[arg(long)]
        club: shared::ClubId,
        /// File to write; standard output when absent.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Read an export into this log: the whole file is checked first (a bad file stores nothing), then
    /// stored in chunks, so a server running on the same database keeps serving. Events already
    /// stored are skipped: an import that stopped can be run again. Only what was checked is stored:
    /// if the file changes meanwhile, the import stops.
    Import {
        /// The club whose log it goes into (its UUID).
        #[arg(long)]
        club: shared::ClubId,
        /// A file written by `faraday export`: a regular file, read twice (not a pipe such as
        /// /dev/stdin).
        input: PathBuf,
    },
    /// Staff accounts: `faraday user add …`.
    #[command(subcommand)]
    User(UserCommand),
    /// Make a demo club with one account per role, fill its empty log with a living club (members,
    /// plans, memberships in every status, weeks of check-ins), and print the accounts' e-mail
    /// addresses and passwords (the password is `FARADAY_DEMO_PASSWORD` when set, else a fresh
    /// random one each). A club whose log is not empty is not filled (an error, but with
    /// `--if-no-accounts`); `--members 0` only makes (or resets) the accounts.
    Demo {
        /// Only when the database has no account yet (what `scripts/run.sh` does on first start).
        #[arg(long)]
        if_no_accounts: bool,
        /// Members to invent (20,000 for the benchmarks; 0: the accounts only).
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(0..=200_000))]
        members: u32,
        /// Days of check-ins, ending now.
        #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..=365))]
        days: u32,
    },
    /// Give the log a new identity. Run it after putting back a file-level backup of the database
    /// (not needed after `import` into a new database, which has its own): every device then syncs
    /// again from the start and offers back the events the backup lacks.
    NewEpoch {
        /// The club whose log gets a new identity (its UUID).
        #[arg(long)]
        club: shared::ClubId,
    },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Make a staff account with a role in a club (the club is made if it does not exist). The
    /// password is read from `FARADAY_PASSWORD`, or asked for when a terminal is attached.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The club's name.
        #[arg(long)]
        club: String,
        /// owner, manager, front_desk or coach.
        #[arg(long, default_value = "front_desk")]
        role: shared::Role,
        /// Short for `--role owner`: the first account of a new club.
        #[arg(long)]
        owner: bool,
    },
    /// End every session of an account on every device (a lost phone, a person who left); with
    /// `--disable`, the account cannot sign in again until `enable`.
    Revoke {
        #[arg(long)]
        email: String,
        #[arg(long)]
        disable: bool,
    },
    /// Let a disabled account sign in again.
    Enable {
        #[arg(long)]
        email: String,
    },
    /// Give an account a new password (from `FARADAY_PASSWORD` or asked for); its sessions end.
    Password {
        #[arg(long)]
        email: String,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// The address staff open, `https://club.example.com`: the only `Host` this server answers to
    /// (no DNS rebinding), and https makes the session cookie Secure. Without it, only loopback
    /// names (localhost, 127.0.0.1) are answered.
    #[arg(long, env = "FARADAY_PUBLIC_ORIGIN")]
    pub public_origin: Option<String>,
    /// Milliseconds between reads of every club's head, to find commits of other processes (an
    /// import, another server) [default: 500; 5000 on PostgreSQL, where commits are announced].
    #[arg(long, env = "FARADAY_HEAD_POLL_MS")]
    pub head_poll_ms: Option<u64>,
    /// Hours a sign-in lasts, online and offline on the device [default: 12].
    #[arg(long, env = "FARADAY_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: u64,
    /// Address to listen on.
    #[arg(long, env = "LEPTOS_SITE_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// The built site (cargo leptos build): pkg/, the service worker, the manifest, icons.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: String,
    /// Connections served at once [default: the file-descriptor limit − 128, at most 10,000].
    #[arg(long, env = "FARADAY_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Live streams at once, below --max-connections [default: ¾ of it].
    #[arg(long, env = "FARADAY_MAX_LIVE_CONNECTIONS")]
    pub max_live_connections: Option<usize>,
    /// Seconds to wait for a request's headers; also closes idle kept-alive connections [default: 10].
    #[arg(long, env = "FARADAY_HEADER_READ_TIMEOUT")]
    pub header_read_timeout: Option<u64>,
    /// Seconds an API request's body may go without a byte [default: 30].
    #[arg(long, env = "FARADAY_BODY_READ_TIMEOUT")]
    pub body_read_timeout: Option<u64>,
    /// Seconds a write to a client may make no progress before its connection is closed [default: 30].
    #[arg(long, env = "FARADAY_WRITE_STALL_TIMEOUT")]
    pub write_stall_timeout: Option<u64>,
    /// Bytes that may wait for one live stream's socket [default: 262144].
    #[arg(long, env = "FARADAY_LIVE_BUFFER_BYTES")]
    pub live_buffer_bytes: Option<usize>,
    /// Connections one client address may hold at once [default: an eighth of --max-connections,
    /// at least 16]; loopback addresses (a reverse proxy on this machine) are not counted.
    #[arg(long, env = "FARADAY_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<usize>,
    /// Seconds a live stream's buffer may stay full before it is dropped (it resumes) [default: 15].
    #[arg(long, env = "FARADAY_LIVE_SEND_TIMEOUT")]
    pub live_send_timeout: Option<u64>,
}

impl ServeArgs {
    /// The limits to serve with, given the file-descriptor limit in force.
    pub fn limits(&self, descriptors: u64) -> crate::limits::Limits {
        use std::time::Duration;
        let mut limits = match self.max_connections {
            Some(n) => crate::limits::Limits::for_connections(n),
            None => crate::limits::Limits::for_descriptors(descriptors),
        };
        let secs = Duration::from_secs;
        limits.max_live_connections = self.max_live_connections.unwrap_or(limits.max_live_connections);
        limits.header_read_timeout = self.header_read_timeout.map_or(limits.header_read_timeout, secs);
        limits.body_read_timeout = self.body_read_timeout.map_or(limits.body_read_timeout, secs);
        limits.write_stall_timeout = self.write_stall_timeout.map_or(limits.write_stall_timeout, secs);
        limits.live_buffer_bytes = self.live_buffer_bytes.unwrap_or(limits.live_buffer_bytes);
        limits.max_connections_per_address =
            self.max_connections_per_address.unwrap_or(limits.max_connections_per_address);
        limits.live_send_timeout = self.live_send_timeout.map_or(limits.live_send_timeout, secs);
        limits
    }

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
