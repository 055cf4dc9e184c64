//! The HTTP side of the server: the router and its layers, the bundle's hashed names, errors as
//! answers, no-JavaScript form posts, and what a server function knows about its request. It
//! serves whichever app `startup` gives it.

pub mod assets;
pub mod auth;
pub mod body_limit;
pub mod cache;
pub mod client;
pub mod csrf;
pub mod csv_download;
pub mod errors;
pub mod export;
pub mod form_bodies;
pub mod forms;
pub mod health;
pub mod imports;
pub mod metrics_endpoint;
pub mod request;
pub mod request_log;
pub mod router;
pub mod security_headers;
