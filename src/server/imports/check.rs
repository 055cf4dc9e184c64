//! The check that makes the preview: each row of a chunk compared with the users there are,
//! without writing a user. A row is new, or its email belongs to a user already ("existing"), or
//! its id is there already: with the same values it counts as existing, with others it is
//! refused (a restore never overwrites a user).

use super::chunks::ChunkRow;
use super::job_row::Checked;
use crate::model::{ImportProblem, User};
use crate::server::users::{UserError, UserStore};
use crate::validate::Email;
use futures_util::{stream, StreamExt, TryStreamExt};
use std::collections::BTreeSet;

/// Rows of a chunk checked (and imported) at once.
pub const ROWS_AT_ONCE: usize = 32;

/// What the check of one chunk found.
#[derive(Debug, Default)]
pub struct ChunkCheck {
    pub checked: Checked,
    pub present: BTreeSet<i32>,
    pub refused: BTreeSet<i32>,
    pub problems: Vec<ImportProblem>,
}

enum Verdict {
    New,
    Existing,
    Present,
    Refused(String),
}

pub async fn check_chunk(users: &UserStore, rows: &[ChunkRow]) -> Result<ChunkCheck, UserError> {
    // By index: a closure over `&ChunkRow` would not be general enough for a spawned task.
    let verdicts: Vec<(&ChunkRow, Verdict)> = stream::iter(0..rows.len())
        .map(|i| async move { Ok::<_, UserError>((&rows[i], verdict(users, &rows[i]).await?)) })
        .buffered(ROWS_AT_ONCE)
        .try_collect()
        .await?;
    let mut check = ChunkCheck::default();
    for (row, verdict) in verdicts {
        check.checked.rows += 1;
        match verdict {
            Verdict::New => check.checked.new_rows += 1,
            Verdict::Existing => check.checked.existing_rows += 1,
            Verdict::Present => {
                check.checked.existing_rows += 1;
                check.present.insert(row.line);
            }
            Verdict::Refused(message) => {
                check.checked.refused += 1;
                check.refused.insert(row.line);
                check.problems.push(ImportProblem {
                    line: u64::try_from(row.line).unwrap_or(0),
                    email: row.email.clone(),
                    message,
                });
            }
        }
    }
    Ok(check)
}

async fn verdict(users: &UserStore, row: &ChunkRow) -> Result<Verdict, UserError> {
    if row.id_given {
        match users.get(row.id).await {
            Ok(user) if is_the_same(&user, row) => return Ok(Verdict::Present),
            Ok(user) => return Ok(Verdict::Refused(id_taken(&user))),
            Err(UserError::NotFound) => {}
            Err(other) => return Err(other),
        }
    }
    let Ok(email) = Email::parse(&row.email) else {
        // Checked on upload; a row only gets here if the rules changed since.
        return Ok(Verdict::Refused(
            "That is not a valid email address.".into(),
        ));
    };
    match users.find_by_email(&email).await {
        Ok(_) => Ok(Verdict::Existing),
        Err(UserError::NotFound) => Ok(Verdict::New),
        Err(other) => Err(other),
    }
}

/// Whether the stored user is the row, byte for byte.
pub fn is_the_same(user: &User, row: &ChunkRow) -> bool {
    user.name == row.name && user.email == row.email
}

/// Why a row whose id belongs to a user with other values is not imported.
pub fn id_taken(user: &User) -> String {
    format!(
        "A user with this id is there already, as {} <{}>; it is left as it is.",
        user.display_name(),
        user.email
    )
}
