pub mod sync_badge;
pub mod with_client;
