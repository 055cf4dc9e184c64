//! Who is asking: the sign-in backend and its sessions (browsers), and the gate in front of
//! every route (sessions and bearer tokens).

pub mod backend;
pub mod gate;
pub mod sessions;
pub mod sso;
