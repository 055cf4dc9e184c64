//! The users in name order (`ordered_names`) and by the words of their names and emails
//! (`ordered_terms`, what search reads), the ranges their keys are cut into, and the pages read
//! from them.

pub mod entries;
pub mod key;
pub mod pages;
pub mod ranges;
pub mod read_entries;
pub mod schema;
pub mod search_pages;
pub mod splits;
pub mod user_entries;
