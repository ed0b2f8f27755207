pub mod check_ins;
pub mod member;
pub mod members;
pub mod not_found;
pub mod register;
