use clap::Parser;
use leptos::prelude::LeptosOptions;
use server::{
    auth::{self, admin},
    cli::{Cli, Command, ServeArgs, UserCommand},
    limits, store, transfer, AppState,
};
use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::registry()
        .with(EnvFilter::try_from_default_env().unwrap_or_else(|_| "faraday=info,server=info,tower_http=warn".into()))
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .init();
    // The error's own sentence, not its Debug form (what returning it from main would print).
    match run(Cli::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let store = store::connect(&cli.database_url).await?;
    let accounts = auth::accounts::connect(&cli.database_url).await?;
    match cli.command.unwrap_or_else(|| Command::Serve(ServeArgs::from_env())) {
        Command::Serve(args) => serve(store, accounts, args).await?,
        Command::User(command) => user(&*store, &*accounts, command).await?,
        Command::Demo { if_no_accounts, members, days } => {
            let args = server::demo::DemoArgs { members: members as usize, days, if_no_accounts };
            let Some(made) = server::demo::run(&*store, &*accounts, args).await? else { return Ok(()) };
            if made.members > 0 {
                println!(
                    "The demo club ({}) now has {} members and {} events: {days} days of check-ins up to now.",
                    made.club, made.members, made.events
                );
            }
            println!("The demo club ({}) has these accounts:", made.club);
            for (email, role, password) in made.accounts {
                println!("  {:<11} {email:<20} password: {password}", role.label());
            }
        }
        Command::Migrate => tracing::info!("the database schema is up to date"),
        Command::Export { club, output } => transfer::export(&*store, club, output.as_deref()).await?,
        Command::Import { club, input } => drop(transfer::import(&*store, club, &input).await?),
        Command::NewEpoch { club } => {
            let epoch = store.new_epoch(club).await?;
            tracing::info!(%epoch, "the log has a new epoch: every device syncs again from the start and offers back what the server lost");
        }
    }
    Ok(())
}

/// A log kept before clubs existed becomes the first club's (its devices then sync on as before).
async fn adopt(store: &dyn store::EventStore, club: shared::ClubId) -> Result<(), store::StoreError> {
    if let Some(head) = store.adopt_unowned_log(club).await? {
        tracing::info!(%club, events = head.position, "the log kept before clubs existed now belongs to this club");
    }
    Ok(())
}

async fn user(
    store: &dyn store::EventStore,
    accounts: &dyn auth::Accounts,
    command: UserCommand,
) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        UserCommand::Add { email, name, club, role, owner } => {
            let role = if owner { shared::Role::Owner } else { role };
            let password = admin::password_from_environment()?;
            let (club_id, staff) = admin::add_user(accounts, &email, &name, &club, role, &password).await?;
            adopt(store, club_id).await?;
            println!("{name} <{email}> can now sign in as {} of {club} (staff {staff}, club {club_id}).", role.label());
        }
        UserCommand::Revoke { email, disable } => {
            let staff = admin::find(accounts, &email).await?;
            let ended = accounts.revoke_all(staff, server::writer::now_ms()).await?;
            if disable {
                accounts.set_disabled(staff, Some(server::writer::now_ms())).await?;
            }
            println!("{ended} session(s) of {email} ended{}.", if disable { "; the account is disabled" } else { "" });
        }
        UserCommand::Enable { email } => {
            accounts.set_disabled(admin::find(accounts, &email).await?, None).await?;
            println!("{email} can sign in again.");
        }
        UserCommand::Password { email } => {
            admin::set_password(accounts, &email, &admin::password_from_environment()?).await?;
            println!("{email} has a new password; their sessions ended.");
        }
    }
    Ok(())
}

async fn serve(
    store: std::sync::Arc<dyn store::EventStore>,
    accounts: std::sync::Arc<dyn auth::Accounts>,
    args: ServeArgs,
) -> Result<(), Box<dyn std::error::Error>> {
    if accounts.staff_count().await? == 0 {
        tracing::warn!("{}", admin::FIRST_RUN_HINT);
    }
    // Before anything is opened: every connection costs a descriptor, and the caps follow from them.
    let descriptors = limits::raise_descriptor_limit();
    let options = LeptosOptions::builder()
        .output_name("faraday")
        .site_root(args.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .build();
    let mut state = AppState::new(options, store, accounts);
    if let Some(origin) = &args.public_origin {
        state = state.with_public_origin(origin)?;
    } else if !args.addr.ip().is_loopback() {
        tracing::warn!(
            "listening on {} without --public-origin: only requests for localhost are answered; set \
             FARADAY_PUBLIC_ORIGIN to the address staff open",
            args.addr
        );
    }
    state.auth.session_lifetime = std::time::Duration::from_secs(args.session_hours.clamp(1, 24 * 30) * 3600);
    state.limits = args.limits(descriptors);
    state.head_poll = args.head_poll_ms.map(|ms| std::time::Duration::from_millis(ms.max(10)));
    let shutdown = state.shutdown.clone();
    let listener = tokio::net::TcpListener::bind(args.addr).await?;
    tracing::info!("Faraday listening on http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler");
        #[cfg(unix)]
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
        tracing::info!("shutting down");
        shutdown.cancel();
    });
    Ok(server::serve::serve(listener, state).await?)
}
