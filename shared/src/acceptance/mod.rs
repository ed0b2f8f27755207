//! How the server accepts a push: the checks of a request's shape, and the decision for one batch
//! given the stream's head. Pure, so the server's stores, the import and the simulations share it.

mod causality;
#[cfg(test)]
mod fuzz_tests;
mod plan;
mod shape;
#[cfg(test)]
mod shape_tests;
mod stream_state;

pub use causality::{check_after_parent, MAX_BEFORE_PARENT_MS};
pub use plan::{check_epoch, plan_batch, Plan, Refusal, StreamHead};
pub use shape::{check_request, ShapeError, EARLIEST_EVENT_MS};
pub use stream_state::{canonical, is_known_type, stored_form_of, Canonical, Resolved, StreamState, Unjoinable};
