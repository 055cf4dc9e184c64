//! Users as CSV files: the cells (formula guard), reading an uploaded file, and the export.

pub mod cells;
pub mod export;
pub mod reading;
