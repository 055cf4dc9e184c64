//! The operators domain: who may sign in (`Operators`), their API tokens (`ApiTokens`), the
//! sign-in rules (`SignIns`), sign-in sessions (`SessionTable`), second factors, operators of single sign-on
//! (`SsoIdentities`), passwords and the setup code.

pub mod authenticator;
pub mod error;
pub mod passkeys;
pub mod passwords;
pub mod schema;
pub mod second_factors;
pub mod sessions;
pub mod setup_code;
pub mod sign_in;
pub mod sso_identities;
pub mod store;
pub mod tokens;

pub use authenticator::Authenticator;
pub use error::OperatorError;
pub use passkeys::Passkeys;
pub use second_factors::{FactorUsed, SecondFactors};
pub use sessions::SessionTable;
pub use setup_code::SetupCode;
pub use sign_in::SignIns;
pub use sso_identities::{SsoIdentities, SsoIdentity};
pub use store::{OperatorRecord, Operators};
pub use tokens::ApiTokens;
