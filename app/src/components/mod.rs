pub mod clock_warning;
pub mod field;
pub mod log_restored;
pub mod store_notice;
pub mod sync_badge;
pub mod with_client;
