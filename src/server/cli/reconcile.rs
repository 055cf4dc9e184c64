//! `cassandra-users reconcile`: claims for the rows other clients wrote, and the emails they share.

use super::accounts::plain;
use crate::server::audit::Actor;
use crate::server::cassandra::error::describe;
use crate::server::stores::Stores;

/// Prints progress on standard error as it goes, then every shared email with its rows on
/// standard output.
pub async fn reconcile(stores: &Stores, restart: bool) -> Result<(), String> {
    let mut last_said = std::time::Instant::now();
    let run = stores
        .reconcile
        .run(&Actor::CommandLine, restart, |run| {
            if run.finished || run.scanned == 0 || last_said.elapsed().as_secs() >= 1 {
                eprintln!("{}", describe_run(run));
                last_said = std::time::Instant::now();
            }
        })
        .await
        .map_err(|error| describe(&error))?;
    let status = stores.reconcile.status().await.map_err(plain)?;
    for breaker in &status.rule_breakers {
        let user = &breaker.user;
        println!(
            "{} breaks the rules: {:?} <{}>: {}",
            user.id, user.name, user.email, breaker.problem
        );
    }
    if run.breaking_rules > status.rule_breakers.len() as i64 {
        println!(
            "(the first {} of {} rows that break the rules)",
            status.rule_breakers.len(),
            run.breaking_rules
        );
    }
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
        "{:>3}% — {} rows scanned, {} given their email's claim, {} emails shared by several rows, {} not valid emails, {} made searchable, {} break the rules for names and emails",
        run.progress_percent, run.scanned, run.claimed, run.duplicate_emails, run.not_emails, run.searchable, run.breaking_rules
    )
}
