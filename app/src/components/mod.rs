pub mod clock_warning;
pub mod field;
pub mod log_restored;
pub mod sign_in_again;
pub mod staff_menu;
pub mod store_notice;
pub mod sync_badge;
pub mod with_client;
