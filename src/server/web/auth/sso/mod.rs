//! Single sign-on through an OpenID Provider: the provider's keys (`provider`), the code flow
//! (`flow`) and its two routes (`routes`).

pub mod flow;
pub mod provider;
pub mod routes;
