//! Search: users whose name has words starting with what was typed, or whose email starts with
//! it (`search_terms` says exactly what is found). A page is a read through the index on
//! `search_terms`, in token order like the list, of `page_size + 1` rows, then the typed words
//! matched in full; when that leaves the page short (a typed word longer than the prefix the
//! index knows it by), up to `READS_PER_PAGE` reads fill it. Never a scan, at any table size.
//! Results are not ranked.

use super::error::UserError;
use super::rows::UserRow;
use super::search_terms::SearchWords;
use crate::model::{Cursor, User, UserPage};
use crate::server::cassandra::statements::{plain, use_accord_levels};
use crate::server::config::Keyspace;
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use scylla::statement::prepared::PreparedStatement;
use scylla::value::CqlValue;
use std::sync::Arc;

/// An index read asks for at most this many terms (the longest typed words); the others are
/// checked on the rows it returns.
const TERMS_PER_READ: usize = 3;
/// The most index reads one page takes.
const READS_PER_PAGE: usize = 3;

pub struct Search {
    session: Arc<Session>,
    /// By the number of terms, from 1: the first page, and the pages after a cursor.
    first_page: Vec<PreparedStatement>,
    page_after: Vec<PreparedStatement>,
    page_size: u16,
}

impl Search {
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        accord: bool,
        page_size: u16,
    ) -> Result<Self, ExecutionError> {
        let ks = keyspace.as_str();
        let (mut first_page, mut page_after) = (Vec::new(), Vec::new());
        for terms in 1..=TERMS_PER_READ {
            let contains = vec!["search_terms CONTAINS ?"; terms].join(" AND ");
            let select = format!("SELECT id, name, email FROM {ks}.users WHERE {contains}");
            let mut first = plain(&session, format!("{select} LIMIT ?")).await?;
            let mut after = plain(
                &session,
                format!("{select} AND token(id) > token(?) LIMIT ?"),
            )
            .await?;
            if accord {
                use_accord_levels(&mut first);
                use_accord_levels(&mut after);
            }
            first_page.push(first);
            page_after.push(after);
        }
        Ok(Search {
            session,
            first_page,
            page_after,
            page_size,
        })
    }

    /// The one index read that a page of `words` after `after` is: the statement and its values.
    pub fn read_for(
        &self,
        words: &SearchWords,
        after: Option<Cursor>,
    ) -> (&PreparedStatement, Vec<CqlValue>) {
        let terms = words.index_terms(TERMS_PER_READ);
        let mut values: Vec<CqlValue> = terms.iter().cloned().map(CqlValue::Text).collect();
        let statement = match after {
            None => &self.first_page[terms.len() - 1],
            Some(Cursor(id)) => {
                values.push(CqlValue::Uuid(id));
                &self.page_after[terms.len() - 1]
            }
        };
        values.push(CqlValue::Int(i32::from(self.page_size) + 1));
        (statement, values)
    }

    /// One page of the users `words` finds, after `after` (or from the start).
    pub async fn page(
        &self,
        words: &SearchWords,
        mut after: Option<Cursor>,
    ) -> Result<UserPage, UserError> {
        let page_size = usize::from(self.page_size);
        let mut users = Vec::new();
        for _ in 0..READS_PER_PAGE {
            let (statement, values) = self.read_for(words, after);
            let rows: Vec<User> = self
                .session
                .execute_unpaged(statement, values)
                .await?
                .into_rows_result()?
                .rows::<UserRow>()?
                .map(|row| row.map(User::from))
                .collect::<Result<_, _>>()?;
            // The cursor is the last row read, whether or not it matched every word.
            let more = rows.len() > page_size;
            after = more.then(|| Cursor(rows[page_size - 1].id));
            users.extend(
                rows.into_iter()
                    .take(page_size)
                    .filter(|user| words.match_user(&user.name, &user.email)),
            );
            if !more || users.len() >= page_size {
                break;
            }
        }
        if users.len() > page_size {
            // Two reads found more than a page: the next page starts after the last one shown.
            users.truncate(page_size);
            after = users.last().map(|user| Cursor(user.id));
        }
        Ok(UserPage {
            users,
            next: after.map(|cursor| cursor.to_string()),
            previous: None,
        })
    }
}
