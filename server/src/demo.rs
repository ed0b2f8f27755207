//! `faraday demo`: the demo club's staff accounts, and its empty log filled with a living club
//! (`shared::demo`: members, plans, memberships in every status, weeks of check-ins, a timetable of
//! classes taught by the demo's coaches), decided by the domain on the demo's desks and stored
//! through the path a device's push takes: the push's shape and clock checks, its authors' roles,
//! then the store's push (every event validated again against its stream by the shared
//! aggregates, the read models written in the same transaction).

use crate::{
    auth::{
        accounts::AccountError,
        admin::{self, AdminError},
        password, token, Accounts,
    },
    store::{first_refusal, Commit, EventStore, StoreError},
    writer::now_ms,
};
use shared::{
    acceptance::check_request,
    access,
    demo::{self, DemoCommand, Desks, Spec},
    protocol::{PushBatch, PushRequest, MAX_EVENTS_PER_PUSH},
    ClubId, DeviceId, EventEnvelope, Role, StaffId, StreamId,
};
use std::collections::HashMap;

/// The coaches who teach the demo's classes with the demo's coach account (Colin Coach of
/// `admin::DEMO_ACCOUNTS`): a studio's timetable has more than one. Made, or given new passwords,
/// with the demo's accounts, and printed with them.
pub const DEMO_COACHES: [(&str, &str); 2] = [("coach2@demo.club", "Carla Coach"), ("coach3@demo.club", "Kenji Coach")];

/// What `faraday demo` was asked for.
#[derive(Clone, Copy, Debug)]
pub struct DemoArgs {
    /// Members to invent (0: the accounts only).
    pub members: usize,
    /// Days of check-ins, ending now.
    pub days: u32,
    /// Only when the database has no staff account yet (a first start).
    pub if_no_accounts: bool,
}

/// What `faraday demo` made.
#[derive(Debug)]
pub struct DemoClub {
    pub club: ClubId,
    /// (e-mail, role, password) of each demo account, to print.
    pub accounts: Vec<(String, Role, String)>,
    /// Events stored in the club's log (0 when it was not filled).
    pub events: u64,
    pub members: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "the demo club's log already holds {events} events: `faraday demo` fills only an empty club, and \
         nothing was changed. `faraday demo --members 0` gives the demo accounts new passwords without \
         adding anything"
    )]
    NotEmpty { events: u64 },
    /// The generator made something the rules refuse: a bug of `shared::demo`.
    #[error("the demo club's {what} was refused: {reason} (a bug of the demo's generator)")]
    Refused { what: String, reason: String },
}

/// Runs `faraday demo`: `None` when `if_no_accounts` was given and accounts exist.
///
/// A log that is not empty is never filled: that is an error, except on a first start
/// (`--if-no-accounts`), where the accounts are still made (a log kept before clubs existed
/// becomes the demo club's) and the log is left as it is.
pub async fn run(
    store: &dyn EventStore,
    accounts: &dyn Accounts,
    args: DemoArgs,
) -> Result<Option<DemoClub>, DemoError> {
    if args.if_no_accounts && accounts.staff_count().await? > 0 {
        return Ok(None);
    }
    let club = accounts.club(admin::DEMO_CLUB, now_ms()).await?;
    if let Some(head) = store.adopt_unowned_log(club).await? {
        tracing::info!(%club, events = head.position, "the log kept before clubs existed now belongs to the demo club");
    }
    let events = store.head(club).await?.position;
    let mut fill = args.members > 0;
    if fill && events > 0 {
        if !args.if_no_accounts {
            return Err(DemoError::NotEmpty { events });
        }
        tracing::warn!(events, "the demo club's log already holds events: it is not filled");
        fill = false;
    }
    let (club, mut printed) = admin::demo(accounts).await?;
    for (email, name) in DEMO_COACHES {
        printed.push(coach(accounts, club, email, name).await?);
    }
    let mut staff = vec![];
    for (email, _, role) in admin::DEMO_ACCOUNTS {
        staff.push((role, admin::find(accounts, email).await?));
    }
    for (email, _) in DEMO_COACHES {
        staff.push((Role::Coach, admin::find(accounts, email).await?));
    }
    let spec = Spec { days: args.days.max(1), ..Spec::new(club, args.members, now_ms()) };
    let events = if fill { self::fill(store, &spec, staff).await? } else { 0 };
    Ok(Some(DemoClub { club, accounts: printed, events, members: if fill { args.members } else { 0 } }))
}

/// Makes (or resets) one of [`DEMO_COACHES`], as `admin::demo` makes the demo's accounts: its
/// (e-mail, role, password) to print.
async fn coach(
    accounts: &dyn Accounts,
    club: ClubId,
    email: &str,
    name: &str,
) -> Result<(String, Role, String), DemoError> {
    // Random unless asked for: a demo server reachable on a network has no known password.
    let password = std::env::var("FARADAY_DEMO_PASSWORD").unwrap_or_else(|_| token::new_token()[..20].to_owned());
    password::check_new(&password).map_err(AdminError::from)?;
    match admin::add_user(accounts, email, name, admin::DEMO_CLUB, Role::Coach, &password).await {
        Ok(_) => {}
        Err(AdminError::Account(AccountError::EmailTaken(_))) => {
            let staff = admin::find(accounts, email).await?;
            accounts.grant(staff, club, Role::Coach).await.map_err(AdminError::from)?;
            admin::set_password(accounts, email, &password).await?;
        }
        Err(e) => return Err(e.into()),
    }
    Ok((email.to_owned(), Role::Coach, password))
}

/// Events per transaction (as an import stores them).
const GROUP_EVENTS: usize = MAX_EVENTS_PER_PUSH;
/// Progress is logged every this many events.
const PROGRESS_EVERY: u64 = 20_000;

/// Fills `spec.club`'s empty log with the demo club, its events made by `staff`. How many events.
pub async fn fill(store: &dyn EventStore, spec: &Spec, staff: Vec<(Role, StaffId)>) -> Result<u64, DemoError> {
    let events = store.head(spec.club).await?.position;
    if events > 0 {
        return Err(DemoError::NotEmpty { events });
    }
    let commands = demo::generate(spec, &staff);
    tracing::info!(members = spec.members, commands = commands.len(), "the demo club is invented; storing it");
    let roles: HashMap<StaffId, Role> = staff.iter().map(|(r, s)| (*s, *r)).collect();
    let mut desks = Desks::new(spec.seed, staff);
    let mut group = Group::default();
    let (mut stored, mut report_at) = (0, PROGRESS_EVERY);
    for (i, command) in commands.iter().enumerate() {
        let events = desks.decide(command).map_err(|e| refused(command, e.to_string()))?;
        if group.events + events.len() > GROUP_EVENTS {
            stored += group.store(store, spec.club, &roles).await?;
            group = Group::default();
            if stored >= report_at {
                tracing::info!(stored, commands = i, of = commands.len(), "filling the demo club");
                report_at += PROGRESS_EVERY;
            }
        }
        group.add(command, events);
    }
    stored += group.store(store, spec.club, &roles).await?;
    tracing::info!(events = stored, members = spec.members, "the demo club is filled");
    Ok(stored)
}

fn refused(command: &DemoCommand, reason: String) -> DemoError {
    DemoError::Refused {
        what: format!("command {:?} on {} at {}", command.command, command.stream, command.at_ms),
        reason,
    }
}

/// The pushes of one transaction, stored in order: a batch per stream in each. A command's events
/// join the last push of its desk that is not before its stream's last push (or a new push at the
/// end), so that every stream's events are stored in the order they were decided while a stream
/// whose events come from two desks (a class booked at the front desk, its attendance taken on the
/// coach's phone) does not end the group.
#[derive(Default)]
struct Group {
    pushes: Vec<PushRequest>,
    /// The push (its index) holding each stream's last events in this group.
    streams: HashMap<StreamId, usize>,
    events: usize,
}

impl Group {
    fn add(&mut self, command: &DemoCommand, events: Vec<EventEnvelope>) {
        let Some(first) = events.first() else { return };
        let device: DeviceId = command.desk.device();
        let after = self.streams.get(&command.stream).copied().unwrap_or(0);
        let i = match self.pushes.iter().rposition(|p| p.device == device).filter(|i| *i >= after) {
            Some(i) => i,
            None => {
                self.pushes.push(PushRequest { device, batches: vec![], epoch: None });
                self.pushes.len() - 1
            }
        };
        self.streams.insert(command.stream, i);
        self.events += events.len();
        let push = &mut self.pushes[i];
        match push.batches.iter_mut().find(|b| b.stream == command.stream) {
            Some(batch) => batch.events.extend(events),
            None => {
                let parent_version = first.version - 1;
                push.batches.push(PushBatch { stream: command.stream, parent_version, events });
            }
        }
    }

    /// Checks the group as the push API checks a device's push, and stores it in one transaction.
    async fn store(
        &self,
        store: &dyn EventStore,
        club: ClubId,
        roles: &HashMap<StaffId, Role>,
    ) -> Result<u64, DemoError> {
        if self.pushes.is_empty() {
            return Ok(0);
        }
        let now = now_ms();
        for push in &self.pushes {
            check_request(push, now).map_err(|e| DemoError::Refused { what: "push".into(), reason: e.to_string() })?;
            for e in push.batches.iter().flat_map(|b| &b.events) {
                let role = e.staff.and_then(|s| roles.get(&s)).copied().unwrap_or(Role::Coach);
                access::permitted(e, role)
                    .map_err(|r| DemoError::Refused { what: format!("event {}", e.id), reason: r.to_string() })?;
            }
        }
        let done = store.push_group(club, &self.pushes, now, Commit::AllOrNothing).await?;
        if let Some(reason) = first_refusal(&done.outcomes) {
            return Err(DemoError::Refused { what: "push".into(), reason });
        }
        Ok(done.appended().len() as u64)
    }
}
