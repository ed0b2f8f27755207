pub mod check_ins;
pub mod inbox;
pub mod login;
pub mod member;
pub mod members;
pub mod not_found;
pub mod register;
