//! `cassandra-users schema constraints [--apply]`: the column constraints that mirror the
//! validation, printed as CQL, and with `--apply` added to the `users` table (Cassandra 6).

use crate::server::cassandra::error::describe;
use crate::server::cassandra::schema::{await_agreement, run_ddl};
use crate::server::config::Config;
use crate::server::stores::Stores;
use crate::server::users::constraints::{alter_statements, supported_by, NEEDS_MAJOR_VERSION};

pub async fn constraints(stores: &Stores, config: &Config, apply: bool) -> Result<(), String> {
    let keyspace = config.keyspace.as_str();
    let statements = alter_statements(keyspace);
    for statement in &statements {
        println!("{statement};");
    }
    let version = stores.connected_to().version;
    let supported = supported_by(&version);
    if !apply {
        if !supported {
            eprintln!("(column constraints need Cassandra {NEEDS_MAJOR_VERSION}; this node runs {version})");
        }
        return Ok(());
    }
    if !supported {
        return Err(format!(
            "column constraints need Cassandra {NEEDS_MAJOR_VERSION}; this node runs {version}: nothing was changed"
        ));
    }
    let session = stores.users.session();
    run_ddl(session, statements.to_vec())
        .await
        .map_err(|error| describe(&error))?;
    await_agreement(session)
        .await
        .map_err(|error| describe(&error))?;
    eprintln!(
        "added the constraints to {keyspace}.users; rows stored before are not checked: `cassandra-users reconcile` lists those that break them"
    );
    Ok(())
}
