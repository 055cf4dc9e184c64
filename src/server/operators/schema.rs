//! The tables of operators, their API tokens, sign-in sessions and sign-in throttling.

use crate::server::config::Keyspace;

pub fn tables(keyspace: &Keyspace) -> Vec<String> {
    let ks = keyspace.as_str();
    vec![
        // Operators, their API tokens (by id for the admin page, by hash for requests), and the
        // one-row claim that makes "the first administrator" happen once.
        format!("CREATE TABLE IF NOT EXISTS {ks}.operators (username text PRIMARY KEY, password_hash text, role text, disabled boolean, created_at timestamp)"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.first_admin (claim int PRIMARY KEY, username text)"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.api_tokens (id uuid PRIMARY KEY, token_hash text, label text, username text, created_at timestamp)"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.api_tokens_by_hash (token_hash text PRIMARY KEY, id uuid, username text)"),
        // The operators of single sign-on, by the provider's issuer and subject (never by a name).
        format!("CREATE TABLE IF NOT EXISTS {ks}.sso_identities (issuer text, subject text, username text, PRIMARY KEY ((issuer, subject)))"),
        // Sign-in sessions (keyed by a hash of the cookie's id) and throttling; rows carry TTLs.
        format!("CREATE TABLE IF NOT EXISTS {ks}.sessions (id_hash text PRIMARY KEY, data text, expires_at timestamp)"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.sign_in_failures (username text, at timeuuid, PRIMARY KEY (username, at))"),
        format!("CREATE TABLE IF NOT EXISTS {ks}.sign_in_locks (username text PRIMARY KEY, until timestamp)"),
    ]
}
