//! The users and their email claims: the quickstart's `users` table, exactly as it creates it,
//! `users_by_email`, and the name order and search entries (`name_order::schema`).

use crate::server::config::Keyspace;

/// With `accord`, both tables take part in Accord transactions (Cassandra 6); with `constraints`,
/// a new `users` table checks names and emails itself (`constraints`; a table that exists is
/// left as it is).
pub fn tables(keyspace: &Keyspace, accord: bool, constraints: bool) -> Vec<String> {
    let ks = keyspace.as_str();
    let transactional = if accord {
        " WITH transactional_mode = 'full'"
    } else {
        ""
    };
    let columns = if constraints {
        super::constraints::checked_columns()
    } else {
        "name text, email text".to_owned()
    };
    let mut tables = vec![
        format!("CREATE TABLE IF NOT EXISTS {ks}.users (id uuid PRIMARY KEY, {columns}){transactional}"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.users_by_email (email text PRIMARY KEY, id uuid){transactional}"),
    ];
    tables.extend(super::name_order::schema::tables(keyspace));
    tables
}
