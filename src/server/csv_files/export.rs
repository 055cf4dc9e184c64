//! The export: every user as CSV (`id,name,email`, token order), or what a search finds (in its
//! order), streamed page by page from Cassandra, so memory holds one page and one buffer whatever
//! the size of the table. The audit trail records who exported how many rows, also when the
//! download broke off.

use super::cells::{protect, HEADER};
use crate::model::User;
use crate::server::audit::{Action, Actor, AuditLog, Event};
use crate::server::users::name_order::key::NameKey;
use crate::server::users::{UserError, UserStore};
use crate::validate::SearchQuery;
use futures_util::{stream, Stream, StreamExt};
use std::pin::Pin;
use std::sync::Arc;

/// A piece of the file is sent once it holds this much.
const PIECE_BYTES: usize = 64 * 1024;

type Users = Pin<Box<dyn Stream<Item = Result<User, UserError>> + Send>>;

/// The export as pieces of the file. A read that fails midway ends the stream with the error,
/// so the download fails instead of looking complete.
/// `searched`: only what this search finds.
pub async fn users_as_csv(
    users: &Arc<UserStore>,
    searched: Option<SearchQuery>,
    audit: Arc<AuditLog>,
    actor: Actor,
) -> Result<impl Stream<Item = Result<Vec<u8>, UserError>> + Send + 'static, UserError> {
    let rows: Users = match searched {
        None => Box::pin(users.all().await?),
        Some(query) => search_results(users.clone(), query),
    };
    let export = Export {
        rows,
        exported: 0,
        header_sent: false,
        record: Some(Record { audit, actor }),
    };
    Ok(stream::unfold(Some(export), |export| async move {
        let mut export = export?;
        match export.next_piece().await {
            Ok(Some(piece)) => Some((Ok(piece), Some(export))),
            Ok(None) => {
                export.finish(true).await;
                None
            }
            Err(error) => Some((Err(error), None)),
        }
    })
    // The HTTP body may ask again after the end; a fused stream keeps answering `None`.
    .fuse())
}

/// Every page of a search, one user at a time.
fn search_results(users: Arc<UserStore>, query: SearchQuery) -> Users {
    // `None` once the last page was read; otherwise where the next page starts.
    let pages = stream::unfold(Some(None::<NameKey>), move |position| {
        let (users, query) = (users.clone(), query.clone());
        async move {
            let after = position?;
            let page = match users.search(&query, after).await {
                Ok(page) => page,
                Err(error) => return Some((vec![Err(error)], None)),
            };
            let next = page
                .next
                .and_then(|cursor| NameKey::from_cursor(&cursor).ok())
                .map(Some);
            Some((page.users.into_iter().map(Ok).collect::<Vec<_>>(), next))
        }
    });
    // Fused: the export may ask again after the end.
    Box::pin(pages.flat_map(stream::iter).fuse())
}

/// One line of the file (with its line break), for a user.
pub fn csv_line(user: &User) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::with_capacity(96));
    write_user(&mut writer, user);
    writer.into_inner().unwrap_or_default()
}

/// The header line.
pub fn header_line() -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let _ = writer.write_record(HEADER);
    writer.into_inner().unwrap_or_default()
}

fn write_user(writer: &mut csv::Writer<Vec<u8>>, user: &User) {
    let id = user.id.to_string();
    // Writing to memory cannot fail.
    let _ = writer.write_record([id.as_str(), &protect(&user.name), &protect(&user.email)]);
}

struct Record {
    audit: Arc<AuditLog>,
    actor: Actor,
}

struct Export {
    rows: Users,
    exported: u64,
    header_sent: bool,
    /// Taken once the event is recorded.
    record: Option<Record>,
}

impl Export {
    /// The next piece of the file; `None` after the last user.
    async fn next_piece(&mut self) -> Result<Option<Vec<u8>>, UserError> {
        if !self.header_sent {
            self.header_sent = true;
            return Ok(Some(header_line()));
        }
        let mut writer = csv::Writer::from_writer(Vec::with_capacity(PIECE_BYTES + 1024));
        let mut written = 0usize;
        while written < PIECE_BYTES {
            match self.rows.next().await {
                Some(Ok(user)) => {
                    write_user(&mut writer, &user);
                    self.exported += 1;
                    written += user.name.len() + user.email.len() + 40;
                }
                Some(Err(error)) => {
                    let cause = crate::server::cassandra::error::describe(&error);
                    tracing::warn!(exported = self.exported, error = %cause, "an export broke off");
                    self.finish(false).await;
                    return Err(error);
                }
                None => break,
            }
        }
        let piece = writer.into_inner().unwrap_or_default();
        Ok((!piece.is_empty()).then_some(piece))
    }

    async fn finish(&mut self, complete: bool) {
        if let Some(record) = self.record.take() {
            record
                .audit
                .record_applied(&record.actor, exported(self.exported, complete))
                .await;
        }
    }
}

/// A download that the client stopped (or that broke off) is recorded with the rows sent.
impl Drop for Export {
    fn drop(&mut self) {
        if let Some(record) = self.record.take() {
            let event = exported(self.exported, false);
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime
                    .spawn(async move { record.audit.record_applied(&record.actor, event).await });
            }
        }
    }
}

fn exported(rows: u64, complete: bool) -> Event {
    let details = if complete {
        format!("exported {rows} users as CSV")
    } else {
        format!("an export of users as CSV stopped after {rows} users")
    };
    Event::new(Action::Export, details)
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn lines_are_quoted_as_rfc_4180_says_and_formulas_are_defused() {
        let id = Uuid::nil();
        let line = |name: &str, email: &str| {
            String::from_utf8(csv_line(&User {
                id,
                name: name.into(),
                email: email.into(),
            }))
            .unwrap()
        };
        assert_eq!(header_line(), b"id,name,email\n");
        assert_eq!(
            line("Ann", "ann@example.com"),
            format!("{id},Ann,ann@example.com\n")
        );
        assert_eq!(
            line("Lovelace, \"Ada\"", "a@example.com"),
            format!("{id},\"Lovelace, \"\"Ada\"\"\",a@example.com\n")
        );
        assert_eq!(
            line("=HYPERLINK(\"x\")", "@x.com"),
            format!("{id},\"'=HYPERLINK(\"\"x\"\")\",'@x.com\n")
        );
    }
}
