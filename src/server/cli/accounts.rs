//! `cassandra-users operator ...` and `token ...`: the operators who may sign in and their API
//! tokens.

use super::commands::{OperatorCommand, TokenCommand};
use crate::error::AppError;
use crate::model::Role;
use crate::server::audit::Actor;
use crate::server::stores::Stores;
use crate::validate::{
    validate_new_operator, validate_new_password, FieldErrors, Password, Username,
};
use std::io::{BufRead, IsTerminal};

const CLI: Actor = Actor::CommandLine;

pub async fn operator(stores: &Stores, command: OperatorCommand) -> Result<(), String> {
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
        OperatorCommand::MfaReset { name } => {
            let name = username(&name)?;
            if operators.get(name.as_str()).await.map_err(plain)?.is_none() {
                return Err(format!("no operator is called {}", name.as_str()));
            }
            stores
                .second_factors
                .reset(name.as_str(), &CLI)
                .await
                .map_err(plain)?;
            eprintln!(
                "removed the second factors of {}: their password alone signs them in",
                name.as_str()
            );
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

pub async fn token(stores: &Stores, command: TokenCommand) -> Result<(), String> {
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

pub fn plain(error: impl Into<AppError>) -> String {
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
