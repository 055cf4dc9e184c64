//! What the server tells every page about its request, through Leptos context: who is signed in,
//! which Cassandra the server talks to, where the stylesheet is, and the largest file an import
//! takes. The server provides them for
//! every request (`server::web::router`); the UI only reads them, so it needs no server code.

use crate::model::{DatabaseInfo, Operator, Role};
use leptos::prelude::use_context;

/// The signed-in operator: `None` on the sign-in and setup pages.
#[derive(Clone, Debug)]
pub struct SignedIn(pub Option<Operator>);

/// The Cassandra the server connected to: `None` until it has.
#[derive(Clone, Debug)]
pub struct Connected(pub Option<DatabaseInfo>);

/// The stylesheet's address: `/pkg/cassandra-users.<hash>.css` when the bundle's names are hashed.
#[derive(Clone, Copy, Debug)]
pub struct Stylesheet(pub &'static str);

/// `IMPORT_MAX_BYTES`: the Import page says it before anyone uploads a file too large.
#[derive(Clone, Copy, Debug)]
pub struct ImportLimit(pub usize);

pub fn signed_in() -> Option<Operator> {
    use_context::<SignedIn>().and_then(|signed_in| signed_in.0)
}

/// Whether the signed-in operator's role includes `needed`.
pub fn may(needed: Role) -> bool {
    signed_in().is_some_and(|operator| operator.role.allows(needed))
}

pub fn connected_database() -> Option<DatabaseInfo> {
    use_context::<Connected>().and_then(|connected| connected.0)
}

pub fn stylesheet() -> &'static str {
    use_context::<Stylesheet>().map_or("", |stylesheet| stylesheet.0)
}

pub fn import_limit() -> Option<usize> {
    use_context::<ImportLimit>().map(|limit| limit.0)
}
