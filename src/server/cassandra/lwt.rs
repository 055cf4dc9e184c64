//! Reading the answer of a lightweight transaction.

use super::error::StorageError;
use scylla::response::query_result::QueryResult;
use scylla::value::{CqlValue, Row};
use uuid::Uuid;

/// Reads an LWT answer: `[applied]`, and when not applied, the current value of `column`.
/// The columns differ between the two outcomes, so the row is read dynamically.
pub fn lwt_outcome(
    result: QueryResult,
    column: &str,
) -> Result<(bool, Option<Uuid>), StorageError> {
    let rows = result.into_rows_result()?;
    let position = rows
        .column_specs()
        .iter()
        .position(|spec| spec.name() == column);
    let row = rows.first_row::<Row>()?;
    let applied = matches!(row.columns.first(), Some(Some(CqlValue::Boolean(true))));
    let current = position
        .and_then(|i| row.columns.get(i).cloned().flatten())
        .and_then(|value| value.as_uuid());
    Ok((applied, current))
}

/// Whether an LWT applied (when its other columns are not needed).
pub fn lwt_applied(result: QueryResult) -> Result<bool, StorageError> {
    lwt_outcome(result, "").map(|(applied, _)| applied)
}
