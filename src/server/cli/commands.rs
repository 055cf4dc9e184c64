//! The command line's words: its subcommands and their arguments (clap).
//!
//! ```text
//! cassandra-users operator add NAME --role ROLE      (password from standard input)
//! cassandra-users operator set-role NAME ROLE
//! cassandra-users operator disable NAME | enable NAME | reset-password NAME | mfa-reset NAME | list
//! cassandra-users token create OPERATOR [--label TEXT]   (prints the token once)
//! cassandra-users token revoke ID | list
//! cassandra-users reconcile [--restart]   (claims for rows written elsewhere; lists duplicates)
//! cassandra-users export > users.csv
//! cassandra-users import FILE [--update-existing] [--dry-run]
//! cassandra-users schema constraints [--apply]
//! ```
//! They take the same settings as the server (`config::Settings`: keyspace, contact points, ...,
//! from the environment or as flags), and every change is in the audit trail as made by
//! "cassandra-users CLI".

use crate::server::config::{ignore_blank_variables, ConfigError, Settings};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(
    name = "cassandra-users",
    version,
    about = "Manage the users of a Cassandra-backed application from a web browser",
    after_help = "Leptos reads its own settings (LEPTOS_SITE_ADDR, the listening address, and the other \
                  LEPTOS_*); RUST_LOG filters the log."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
}

impl Cli {
    /// The command line, with every setting from its flag or its variable. A bad setting ends the
    /// process with one line that names its variable (status 1); a mistake in the command's own
    /// words ends it with clap's usage.
    pub fn parse_or_exit() -> Cli {
        let parsed = Cli::command()
            .mut_args(ignore_blank_variables)
            .try_get_matches()
            .and_then(|matches| Cli::from_arg_matches(&matches));
        match parsed {
            Ok(cli) => cli,
            Err(error) => match ConfigError::from_clap(&error) {
                Some(bad_setting) => {
                    eprintln!("error: {bad_setting}");
                    std::process::exit(1)
                }
                None => error.exit(),
            },
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app at LEPTOS_SITE_ADDR (what runs without a subcommand)
    Serve,
    /// Add and change the operators who may sign in
    #[command(subcommand)]
    Operator(OperatorCommand),
    /// Create and revoke API tokens for scripts
    #[command(subcommand)]
    Token(TokenCommand),
    /// Give every row written outside the app the claim on its email, and list emails that
    /// several rows share. Continues a run that was stopped, unless --restart.
    Reconcile {
        /// Start from the beginning even if the last run did not finish
        #[arg(long)]
        restart: bool,
    },
    /// Write every user as CSV (id,name,email) to standard output, a page at a time
    Export,
    /// Import users from a CSV file (columns name and email, id optional): the preview, then the
    /// rows; exits 1 if any row failed, with each on standard error
    Import {
        file: PathBuf,
        /// Give a user whose email is in the file the file's name (default: skip that row)
        #[arg(long)]
        update_existing: bool,
        /// Show the preview only; write nothing
        #[arg(long)]
        dry_run: bool,
    },
    /// The schema of the users table
    #[command(subcommand)]
    Schema(SchemaCommand),
}

#[derive(Subcommand, Debug)]
pub enum SchemaCommand {
    /// Print the column constraints that mirror the validation of names and emails (Cassandra 6)
    Constraints {
        /// Add them to the users table of the configured keyspace
        #[arg(long)]
        apply: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum OperatorCommand {
    /// Add an operator; the password is read from standard input (not echoed on a terminal)
    Add {
        name: String,
        /// viewer, editor or admin
        #[arg(long)]
        role: String,
    },
    /// Change an operator's role: `set-role NAME ROLE` or `set-role NAME --role ROLE`
    SetRole {
        name: String,
        role: Option<String>,
        #[arg(long = "role", conflicts_with = "role")]
        role_option: Option<String>,
    },
    /// Stop an operator from signing in; their sessions and tokens stop working
    Disable { name: String },
    /// Let a disabled operator sign in again
    Enable { name: String },
    /// Set a new password, read from standard input; the operator's sessions end
    ResetPassword { name: String },
    /// Remove an operator's second factors (authenticator app, recovery codes), when they lost
    /// their phone; their password still signs them in
    MfaReset { name: String },
    /// List operators and their roles
    List,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token that acts as OPERATOR; prints it once, on standard output
    Create {
        operator: String,
        /// What the token is for (default: the operator's name)
        #[arg(long)]
        label: Option<String>,
    },
    /// Revoke a token by its id (from `token list`)
    Revoke { id: Uuid },
    /// List tokens (never their secrets)
    List,
}
