//! Classes (DOMAIN.md "Classes"): the week's timetable, one class's page (roster, waitlist,
//! attendance, charges), a coach's own classes, and today's classes on the dashboard. Every
//! decision is taken on this device from its projections, offline too.

pub(crate) mod act;
mod book;
mod class;
mod schedule;
pub(crate) mod timetable;

pub use class::ClassPage;
pub use timetable::{ClassesPage, MyClassesPage, TodayClasses};
