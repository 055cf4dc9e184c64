//! The users in name order: `users_by_name`, its directory of buckets, and the pages read from it.

pub mod entries;
pub mod key;
pub mod pages;
pub mod schema;
