pub mod needs_client;
pub mod sync_badge;
