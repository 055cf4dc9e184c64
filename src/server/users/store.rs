//! The users of the app, in Cassandra: what the rest of the server asks of them. Reads are
//! here; each change checks what the person saw, then writes through the `UserWrites` of the
//! node: `writes::cassandra5_steps` (ordered steps) or `writes::cassandra6_accord` (one Accord
//! transaction).
//!
//! Edits and deletes are conditional on the values the person saw, so a change made since they
//! opened the user is never overwritten silently (`UserError::Conflict`).

use super::claims::{Claims, RowReconciled};
use super::conflicts::refuse;
use super::error::UserError;
use super::name_order::key::NameKey;
use super::name_order::pages::{NameFrom, NamePages};
use super::name_order::search_pages::SearchPages;
use super::name_order::user_entries::UserEntries;
use super::rows::{Rows, UserRow};
use super::search_terms::SearchWords;
use super::statements::Statements;
use super::writes::cassandra5_steps::ordered_steps::OrderedSteps;
use super::writes::cassandra6_accord::accord_transactions::AccordTransactions;
use super::writes::cassandra6_accord::statements::AccordStatements;
use super::writes::user_writes::UserWrites;
use crate::model::{BulkDeleteResult, Cursor, DeleteOutcome, User, UserCount, UserPage};
use crate::server::audit::{Actor, AuditLog};
use crate::server::cassandra::estimates::Estimates;
use crate::server::config::Keyspace;
use crate::validate::{Email, Name, SearchQuery, ValidUser};
use futures_util::{stream, Stream, StreamExt};
use scylla::client::session::Session;
use scylla::errors::ExecutionError;
use std::sync::Arc;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

/// A bulk delete runs this many deletes at once.
const DELETES_AT_ONCE: usize = 32;

/// What reconciling one row did (see `reconcile`).
pub struct Reconciled {
    pub claim: RowReconciled,
    /// Whether the row lacked its entry in name order (and so, most likely, in search) and was
    /// given its entries.
    pub made_searchable: bool,
}

pub struct UserStore {
    claims: Claims,
    /// Ordered steps, or on Cassandra 6 with Accord one transaction per create, email change and
    /// delete.
    writes: Box<dyn UserWrites>,
    names: Arc<UserEntries>,
    search_pages: SearchPages,
    name_pages: NamePages,
    estimates: Estimates,
    keyspace: Keyspace,
    page_size: u16,
}

impl UserStore {
    /// Prepares every statement against the tables in `keyspace`. With `accord`, the tables take
    /// part in Accord transactions (see `AccordStatements::if_tables_are_transactional`).
    pub async fn new(
        session: Arc<Session>,
        keyspace: &Keyspace,
        audit: Arc<AuditLog>,
        accord: Option<AccordStatements>,
        page_size: u16,
        entries_per_range: u32,
    ) -> Result<Self, ExecutionError> {
        let statements = Statements::prepare(&session, keyspace, accord.is_some()).await?;
        let names = Arc::new(UserEntries::new(session.clone(), keyspace, entries_per_range).await?);
        let mut insert_user_audited = audit.batch_with(&statements.insert_user);
        insert_user_audited.append_statement(names.names.statements.insert_entry.clone());
        let estimates = Estimates::new(&session).await?;
        let rows = Rows {
            session,
            statements: Arc::new(statements),
        };
        let name_pages = NamePages::new(rows.clone(), names.clone(), keyspace, page_size).await?;
        let search_pages =
            SearchPages::new(rows.clone(), names.clone(), keyspace, page_size).await?;
        let claims = Claims { rows, audit };
        let steps = OrderedSteps {
            claims: claims.clone(),
            insert_user_audited,
            names: names.clone(),
        };
        let writes: Box<dyn UserWrites> = match accord {
            Some(statements) => Box::new(AccordTransactions {
                claims: claims.clone(),
                statements,
                steps,
            }),
            None => Box::new(steps),
        };
        Ok(UserStore {
            writes,
            claims,
            names,
            search_pages,
            name_pages,
            estimates,
            keyspace: keyspace.clone(),
            page_size,
        })
    }

    pub fn session(&self) -> &Arc<Session> {
        &self.claims.rows.session
    }

    /// Whether creates, email changes and deletes run as Accord transactions (Cassandra 6).
    pub fn uses_transactions(&self) -> bool {
        self.writes.runs_transactions()
    }

    /// One page of users in token order, starting after `after` (or at the start).
    /// Reads `page_size + 1` rows to know whether another page follows: O(page size).
    pub async fn list(&self, after: Option<Cursor>) -> Result<UserPage, UserError> {
        let (session, statements) = (self.session(), &self.claims.rows.statements);
        let limit = i32::from(self.page_size) + 1;
        let result = match after {
            None => {
                session
                    .execute_unpaged(&statements.first_page, (limit,))
                    .await?
            }
            Some(Cursor(id)) => {
                session
                    .execute_unpaged(&statements.page_after, (id, limit))
                    .await?
            }
        };
        let mut users: Vec<User> = result
            .into_rows_result()?
            .rows::<UserRow>()?
            .map(|row| row.map(User::from))
            .collect::<Result<_, _>>()?;
        let next = if users.len() > usize::from(self.page_size) {
            users.truncate(usize::from(self.page_size));
            users.last().map(|last| Cursor(last.id).to_string())
        } else {
            None
        };
        Ok(UserPage {
            users,
            next,
            previous: None,
            partial: false,
        })
    }

    /// One page of users in name order (`name_order::pages`): a few bounded reads, whatever the
    /// number of users. Rows other clients wrote are in it once they have their entry.
    pub async fn list_by_name(&self, from: NameFrom) -> Result<UserPage, UserError> {
        let page = self.name_pages.page(from).await?;
        Ok(UserPage {
            users: page.users,
            next: page.next.map(|key| key.cursor()),
            previous: page.previous.map(|key| key.cursor()),
            partial: false,
        })
    }

    pub async fn get(&self, id: Uuid) -> Result<User, UserError> {
        self.claims.rows.get(id).await
    }

    /// The user with this email, however another client wrote it.
    pub async fn find_by_email(&self, email: &Email) -> Result<User, UserError> {
        self.claims.find_by_email(email).await
    }

    pub async fn create(&self, user: &ValidUser, actor: &Actor) -> Result<User, UserError> {
        let created = user.user(Uuid::new_v4());
        self.create_as_written(&created, &user.email, actor).await?;
        Ok(created)
    }

    /// Creates `user` with its id and values exactly as given (an import keeps a file's ids and
    /// the case of its emails); `email` is its address as validated, the key of its claim.
    /// Creating the same user again (a retry) changes nothing.
    pub async fn create_as_written(
        &self,
        user: &User,
        email: &Email,
        actor: &Actor,
    ) -> Result<(), UserError> {
        self.claims
            .refuse_if_rows_elsewhere_have(email, user.id, actor)
            .await?;
        self.writes.create_user(user, email, actor).await
    }

    /// Gives the user a new name if it still has the values the person saw (`shown`), keeping
    /// its email exactly as stored.
    pub async fn rename(
        &self,
        shown: &User,
        name: &Name,
        actor: &Actor,
    ) -> Result<User, UserError> {
        let stored = self.claims.rows.stored(shown.id).await?;
        let current = User::from(stored.clone());
        let renamed = User {
            name: name.as_str().to_owned(),
            ..shown.clone()
        };
        if *shown != current {
            let audit = &self.claims.audit;
            return Err(refuse(audit, shown, Some(&renamed), current.clone(), actor).await);
        }
        if renamed == current {
            return Ok(renamed);
        }
        let email = Email::parse(&current.email).map_err(|_| UserError::StoredEmailInvalid)?;
        self.writes
            .update_user(&stored, shown, &renamed, &email, actor)
            .await
    }

    /// Every user, in token order, read page by page (`ROWS_PER_EXPORT_PAGE` rows in memory at
    /// a time).
    pub async fn all(
        &self,
    ) -> Result<impl Stream<Item = Result<User, UserError>> + Send + 'static, UserError> {
        let statement = self.claims.rows.statements.all_users.clone();
        let rows = self
            .session()
            .execute_iter(statement, ())
            .await?
            .rows_stream::<UserRow>()?;
        Ok(rows.map(|row| row.map(User::from).map_err(UserError::from)))
    }

    /// Saves a new name and email if the user still has the values the person saw (`shown`;
    /// `None` takes the values read just before). Saving what is stored changes nothing and
    /// records no event.
    pub async fn update(
        &self,
        id: Uuid,
        shown: Option<&User>,
        user: &ValidUser,
        actor: &Actor,
    ) -> Result<User, UserError> {
        let stored = self.claims.rows.stored(id).await?;
        let current = User::from(stored.clone());
        let updated = user.user(id);
        let shown = shown.unwrap_or(&current);
        if *shown != current {
            let audit = &self.claims.audit;
            return Err(refuse(audit, shown, Some(&updated), current.clone(), actor).await);
        }
        if updated == current {
            return Ok(updated);
        }
        self.writes
            .update_user(&stored, shown, &updated, &user.email, actor)
            .await
    }

    /// Deletes the user if it still has the values the person saw (`shown`; `None` takes the
    /// values read just before).
    pub async fn delete(
        &self,
        id: Uuid,
        shown: Option<&User>,
        actor: &Actor,
    ) -> Result<(), UserError> {
        let stored = self.claims.rows.stored(id).await?;
        let current = User::from(stored.clone());
        let shown = shown.unwrap_or(&current);
        if *shown != current {
            let audit = &self.claims.audit;
            return Err(refuse(audit, shown, None, current.clone(), actor).await);
        }
        self.writes.delete_user(&stored, shown, actor).await
    }

    /// One page of the users a search finds, after `after` (or from the start): `search_from`.
    pub async fn search(
        &self,
        query: &SearchQuery,
        after: Option<NameKey>,
    ) -> Result<UserPage, UserError> {
        let from = after.map_or(NameFrom::Start, NameFrom::After);
        self.search_from(query, from).await
    }

    /// One page of the users a search finds, by the word that matched, then by name
    /// (`name_order::search_pages`), from the start, after a page's `next` or before a page's
    /// `previous`. An email that a user has finds exactly that user, as `find_by_email` does
    /// (rows written elsewhere included).
    pub async fn search_from(
        &self,
        query: &SearchQuery,
        from: NameFrom,
    ) -> Result<UserPage, UserError> {
        let nothing = UserPage {
            users: Vec::new(),
            next: None,
            previous: None,
            partial: false,
        };
        if let Ok(email) = Email::parse(query.as_str()) {
            match self.find_by_email(&email).await {
                Ok(user) if from == NameFrom::Start => {
                    return Ok(UserPage {
                        users: vec![user],
                        ..nothing
                    })
                }
                Ok(_) => return Ok(nothing),
                // Still on the way to someone's address (`bob@example.co`…m): its start.
                Err(UserError::NotFound) => {}
                Err(other) => return Err(other),
            }
        }
        let Some(words) = SearchWords::of(query.as_str()) else {
            return Ok(nothing);
        };
        let page = self.search_pages.page(&words, from).await?;
        Ok(UserPage {
            users: page.users,
            next: page.next.map(|key| key.cursor()),
            previous: page.previous.map(|key| key.cursor()),
            partial: page.partial,
        })
    }

    /// The entries in name order and search (the bench loads them as the app writes them).
    pub fn entries(&self) -> &UserEntries {
        &self.names
    }

    /// Search's pages, to see what one of their reads costs (tests trace it).
    pub fn searcher(&self) -> &SearchPages {
        &self.search_pages
    }

    /// About how many users there are: Cassandra's estimate of the partitions of `users`.
    pub async fn approximate_count(&self) -> Result<UserCount, UserError> {
        let estimate = self
            .estimates
            .of(self.session(), self.keyspace.as_str(), "users")
            .await?;
        Ok(UserCount {
            approximate: estimate.partitions,
            as_of: estimate.as_of.and_then(|at| at.format(&Rfc3339).ok()),
        })
    }

    /// Deletes each user if it still has the values the person saw, several at once, and says
    /// what became of each, in the order asked. A user the database could not be asked about
    /// is `Unavailable`, and nothing was changed for it.
    pub async fn delete_many(&self, shown: Vec<User>, actor: &Actor) -> Vec<BulkDeleteResult> {
        stream::iter(shown)
            .map(|user| async move {
                let outcome = match self.delete(user.id, Some(&user), actor).await {
                    Ok(()) => DeleteOutcome::Deleted,
                    Err(UserError::Conflict(_)) => DeleteOutcome::Conflict,
                    Err(UserError::NotFound) => DeleteOutcome::NotFound,
                    Err(error) => {
                        let error = crate::server::cassandra::error::describe(&error);
                        tracing::warn!(id = %user.id, %error, "a user of a bulk delete was not deleted");
                        DeleteOutcome::Unavailable
                    }
                };
                BulkDeleteResult {
                    id: user.id,
                    outcome,
                }
            })
            .buffered(DELETES_AT_ONCE)
            .collect()
            .await
    }

    /// Reconciles one row as stored (see `reconcile`): the claim on its email, and its entries
    /// in name order and search.
    pub async fn reconcile_row(
        &self,
        row: UserRow,
        actor: &Actor,
    ) -> Result<Reconciled, UserError> {
        let user = User::from(row);
        let claim = self.claims.reconcile_row(&user, actor).await?;
        let made_searchable = self.names.give(&user).await?;
        Ok(Reconciled {
            claim,
            made_searchable,
        })
    }
}
