use clap::Parser;
use leptos::prelude::LeptosOptions;
use server::{
    cli::{Cli, Command, ServeArgs},
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
    match cli.command.unwrap_or_else(|| Command::Serve(ServeArgs::from_env())) {
        Command::Serve(args) => serve(store, args).await?,
        Command::Migrate => tracing::info!("the database schema is up to date"),
        Command::Export { output } => transfer::export(&*store, output.as_deref()).await?,
        Command::Import { input } => drop(transfer::import(&*store, &input).await?),
        Command::NewEpoch => {
            let epoch = store.new_epoch().await?;
            tracing::info!(%epoch, "the log has a new epoch: every device syncs again from the start and offers back what the server lost");
        }
    }
    Ok(())
}

async fn serve(store: std::sync::Arc<dyn store::EventStore>, args: ServeArgs) -> std::io::Result<()> {
    // Before anything is opened: every connection costs a descriptor, and the caps follow from them.
    let descriptors = limits::raise_descriptor_limit();
    let options = LeptosOptions::builder()
        .output_name("faraday")
        .site_root(args.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(args.addr)
        .build();
    let mut state = AppState::new(options, store);
    state.limits = args.limits(descriptors);
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
    server::serve::serve(listener, state).await
}
