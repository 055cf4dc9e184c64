//! The Apache Cassandra Python quickstart, step for step, in Rust with the scylla driver:
//! connect, create the keyspace and table, insert Alice and Bob with a prepared statement, read
//! every row page by page, update Alice's email, delete Alice, shut down.
//!
//!     cargo run --features ssr --example quickstart
//!
//! Contact point and keyspace come from CASSANDRA_CONTACT_POINTS (first entry) and
//! CASSANDRA_KEYSPACE, defaulting to 127.0.0.1:9042 and `quickstart` as in the original.

use futures_util::TryStreamExt;
use scylla::client::session_builder::SessionBuilder;
use scylla::DeserializeRow;
use uuid::Uuid;

#[derive(DeserializeRow)]
struct UserRow {
    name: Option<String>,
    email: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let node =
        std::env::var("CASSANDRA_CONTACT_POINTS").unwrap_or_else(|_| "127.0.0.1:9042".into());
    let node = node
        .split(',')
        .next()
        .unwrap_or("127.0.0.1:9042")
        .trim()
        .to_owned();
    let keyspace = std::env::var("CASSANDRA_KEYSPACE").unwrap_or_else(|_| "quickstart".into());
    if !keyspace
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(format!("CASSANDRA_KEYSPACE: '{keyspace}' is not a plain identifier").into());
    }

    let session = SessionBuilder::new().known_node(&node).build().await?;
    println!("Connected to Cassandra!");

    // DDL cannot take bind markers; the keyspace name was checked above.
    session
        .query_unpaged(
            format!("CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': 1}}"),
            (),
        )
        .await?;
    session.use_keyspace(&keyspace, false).await?;
    session
        .query_unpaged(
            "CREATE TABLE IF NOT EXISTS users (id uuid PRIMARY KEY, name text, email text)",
            (),
        )
        .await?;
    println!("Keyspace and table ready.");

    let insert = session
        .prepare("INSERT INTO users (id, name, email) VALUES (?, ?, ?)")
        .await?;
    let alice = Uuid::new_v4();
    session
        .execute_unpaged(&insert, (alice, "Alice", "alice@example.com"))
        .await?;
    session
        .execute_unpaged(&insert, (Uuid::new_v4(), "Bob", "bob@example.com"))
        .await?;
    println!("Inserted 2 users.");

    let mut select_all = session.prepare("SELECT name, email FROM users").await?;
    select_all.set_page_size(100);
    let mut rows = session
        .execute_iter(select_all, ())
        .await?
        .rows_stream::<UserRow>()?;
    while let Some(row) = rows.try_next().await? {
        println!(
            "User: {} ({})",
            row.name.unwrap_or_default(),
            row.email.unwrap_or_default()
        );
    }

    let update = session
        .prepare("UPDATE users SET email = ? WHERE id = ?")
        .await?;
    session
        .execute_unpaged(&update, ("alice@newdomain.com", alice))
        .await?;
    println!("Updated Alice's email.");

    let delete = session.prepare("DELETE FROM users WHERE id = ?").await?;
    session.execute_unpaged(&delete, (alice,)).await?;
    println!("Deleted Alice's record.");

    drop(session); // closes every connection, like cluster.shutdown()
    println!("Done.");
    Ok(())
}
