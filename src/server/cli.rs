//! The command line for scripts and CI: the server binary's subcommands besides `serve`.
//!
//! ```text
//! cassandra-users operator add NAME --role ROLE      (password from standard input)
//! cassandra-users operator set-role NAME ROLE
//! cassandra-users operator disable NAME | enable NAME | reset-password NAME | list
//! cassandra-users token create OPERATOR [--label TEXT]   (prints the token once)
//! cassandra-users token revoke ID | list
//! cassandra-users reconcile [--restart]   (claims for rows written elsewhere; lists duplicates)
//! ```
//! They read the same environment as the server (keyspace, contact points, ...), and every change
//! is in the audit trail as made by "cassandra-users CLI".

use super::audit::Actor;
use super::cassandra::error::describe;
use super::config::Config;
use super::stores::Stores;
use crate::error::AppError;
use crate::model::Role;
use crate::validate::{
    validate_new_operator, validate_new_password, FieldErrors, Password, Username,
};
use clap::{Parser, Subcommand};
use std::io::{BufRead, IsTerminal};
use uuid::Uuid;

#[derive(Parser, Debug)]
#[command(
    name = "cassandra-users",
    version,
    about = "Manage the users of a Cassandra-backed application from a web browser"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
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

/// Runs one administrative command against the configured Cassandra.
pub async fn run(command: Command) -> Result<(), String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let stores = Stores::connect(&config).await.map_err(|error| {
        format!(
            "cannot reach Cassandra at {} (keyspace {}): {}",
            config.contact_points.join(","),
            config.keyspace.as_str(),
            describe(&error)
        )
    })?;
    match command {
        Command::Serve => Ok(()),
        Command::Operator(command) => operator(&stores, command).await,
        Command::Token(command) => token(&stores, command).await,
        Command::Reconcile { restart } => reconcile(&stores, restart).await,
    }
}

/// Prints progress on standard error as it goes, then every shared email with its rows on
/// standard output.
async fn reconcile(stores: &Stores, restart: bool) -> Result<(), String> {
    let mut last_said = std::time::Instant::now();
    let run = stores
        .reconcile
        .run(&CLI, restart, |run| {
            if run.finished || run.scanned == 0 || last_said.elapsed().as_secs() >= 1 {
                eprintln!("{}", describe_run(run));
                last_said = std::time::Instant::now();
            }
        })
        .await
        .map_err(|error| describe(&error))?;
    let status = stores.reconcile.status().await.map_err(plain)?;
    if status.duplicates.is_empty() {
        println!("no email is shared by several rows");
    }
    for shared in &status.duplicates {
        println!("{} is shared by {} rows:", shared.email, shared.users.len());
        for user in &shared.users {
            println!("  {}  {:?} <{}>", user.id, user.name, user.email);
        }
    }
    eprintln!("reconcile finished: {}", describe_run(&run));
    Ok(())
}

fn describe_run(run: &crate::model::ReconcileRun) -> String {
    format!(
        "{:>3}% — {} rows scanned, {} given their email's claim, {} emails shared by several rows, {} not valid emails, {} made searchable",
        run.progress_percent, run.scanned, run.claimed, run.duplicate_emails, run.not_emails, run.searchable
    )
}

const CLI: Actor = Actor::CommandLine;

async fn operator(stores: &Stores, command: OperatorCommand) -> Result<(), String> {
    let operators = &stores.operators;
    match command {
        OperatorCommand::Add { name, role } => {
            let password = read_new_password()?;
            let new = validate_new_operator(&name, &role, password.as_str(), password.as_str())
                .map_err(field_messages)?;
            let added = operators.add(&new, &CLI).await.map_err(plain)?;
            eprintln!("added operator {} ({})", added.username, added.role);
        }
        OperatorCommand::SetRole {
            name,
            role,
            role_option,
        } => {
            let role = role
                .or(role_option)
                .ok_or("give the new role: viewer, editor or admin")?
                .parse::<Role>()?;
            operators
                .set_role(&username(&name)?, role, &CLI)
                .await
                .map_err(plain)?;
            eprintln!("{name} is now {role}");
        }
        OperatorCommand::Disable { name } => {
            operators
                .set_disabled(&username(&name)?, true, &CLI)
                .await
                .map_err(plain)?;
            eprintln!("disabled {name}");
        }
        OperatorCommand::Enable { name } => {
            operators
                .set_disabled(&username(&name)?, false, &CLI)
                .await
                .map_err(plain)?;
            eprintln!("enabled {name}");
        }
        OperatorCommand::ResetPassword { name } => {
            let password = read_new_password()?;
            operators
                .set_password(&username(&name)?, &password, &CLI)
                .await
                .map_err(plain)?;
            eprintln!("set a new password for {name}");
        }
        OperatorCommand::List => {
            for operator in operators.list().await.map_err(plain)? {
                let state = if operator.disabled {
                    "disabled"
                } else {
                    "active"
                };
                println!("{}\t{}\t{state}", operator.username, operator.role);
            }
        }
    }
    Ok(())
}

async fn token(stores: &Stores, command: TokenCommand) -> Result<(), String> {
    let tokens = &stores.tokens;
    match command {
        TokenCommand::Create { operator, label } => {
            let token = tokens
                .create(&username(&operator)?, label.as_deref().unwrap_or(""), &CLI)
                .await
                .map_err(|error| match AppError::from(error) {
                    AppError::NotFound => format!("no enabled operator named {operator}"),
                    other => other.to_string(),
                })?;
            eprintln!(
                "token {} (\"{}\") acts as {}; it is shown only this once:",
                token.id, token.label, token.operator
            );
            println!("{}", token.secret);
        }
        TokenCommand::Revoke { id } => {
            tokens
                .revoke(id, &CLI)
                .await
                .map_err(|error| match AppError::from(error) {
                    AppError::NotFound => format!("no token with id {id}"),
                    other => other.to_string(),
                })?;
            eprintln!("revoked token {id}");
        }
        TokenCommand::List => {
            for token in tokens.list().await.map_err(plain)? {
                println!(
                    "{}\t{}\t{}\t{}",
                    token.id, token.operator, token.label, token.created
                );
            }
        }
    }
    Ok(())
}

fn username(name: &str) -> Result<Username, String> {
    Username::parse(name).map_err(|message| format!("{name}: {message}"))
}

fn plain(error: impl Into<AppError>) -> String {
    match error.into() {
        AppError::NotFound => "no such operator".into(),
        other => other.to_string(),
    }
}

fn field_messages(errors: FieldErrors) -> String {
    ["username", "role", "password", "confirm_password"]
        .into_iter()
        .filter_map(|field| {
            errors
                .get(field)
                .map(|message| format!("{field}: {message}"))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// On a terminal: asked twice, not echoed. Otherwise: the first line of standard input.
fn read_new_password() -> Result<Password, String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let password = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Confirm password: ").map_err(|e| e.to_string())?;
        return validate_new_password(&password, &again).map_err(field_messages);
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("reading the password from standard input: {e}"))?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    Password::parse(password).map_err(|message| format!("password: {message}"))
}
