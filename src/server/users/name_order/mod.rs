//! The users in name order (`users_by_name`) and by the words of their names and emails
//! (`users_by_term`, what search reads), the directory of their buckets, and the pages read from
//! them.

pub mod directory;
pub mod entries;
pub mod key;
pub mod pages;
pub mod read_entries;
pub mod schema;
pub mod search_pages;
pub mod user_entries;
