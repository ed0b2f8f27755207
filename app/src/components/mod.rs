pub mod with_client;
pub mod sync_badge;
