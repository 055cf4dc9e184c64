//! `cassandra-users export` and `import`: users out to standard output, and in from a file, with
//! a progress bar on standard error when it is a terminal (indicatif hides it otherwise).

use crate::model::{ImportJob, ImportMode, ImportState};
use crate::server::audit::Actor;
use crate::server::cassandra::error::describe;
use crate::server::config::Config;
use crate::server::csv_files::export::users_as_csv;
use crate::server::stores::Stores;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

const CLI: Actor = Actor::CommandLine;

pub async fn export(stores: &Stores) -> Result<(), String> {
    let estimate = stores
        .users
        .approximate_count()
        .await
        .map(|count| count.approximate)
        .unwrap_or(0);
    let bar = bar(estimate, "{bar:40} {pos}/~{len} users exported");
    let mut pieces = Box::pin(
        users_as_csv(&stores.users, None, stores.audit.clone(), CLI)
            .await
            .map_err(|error| describe(&error))?,
    );
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut rows = 0u64;
    while let Some(piece) = pieces.next().await {
        let piece = piece.map_err(|error| {
            format!(
                "the export broke off after {rows} users: {}",
                describe(&error)
            )
        })?;
        // Rows end in a line break; the first piece is the header.
        rows += bytecount_lines(&piece);
        bar.set_position(rows.saturating_sub(1));
        out.write_all(&piece)
            .map_err(|e| format!("writing to standard output: {e}"))?;
    }
    out.flush()
        .map_err(|e| format!("writing to standard output: {e}"))?;
    bar.finish_and_clear();
    eprintln!("exported {} users", rows.saturating_sub(1));
    Ok(())
}

/// Lines in a piece of CSV: line breaks outside quotes.
fn bytecount_lines(piece: &[u8]) -> u64 {
    let mut quoted = false;
    let mut lines = 0;
    for byte in piece {
        match byte {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => lines += 1,
            _ => {}
        }
    }
    lines
}

pub async fn import(
    stores: &Stores,
    config: &Config,
    file: &Path,
    update_existing: bool,
    dry_run: bool,
) -> Result<(), String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if bytes.len() > config.import_max_bytes {
        return Err(format!(
            "{} is larger than IMPORT_MAX_BYTES ({}); raise it to import this file",
            file.display(),
            crate::error::in_units(config.import_max_bytes)
        ));
    }
    let mode = if update_existing {
        ImportMode::UpdateName
    } else {
        ImportMode::Skip
    };
    let imports = &stores.imports;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let job = imports
        .upload(&name, &bytes, mode, &CLI)
        .await
        .map_err(|error| format!("{}: {}", file.display(), describe(&error)))?;
    let checking = bar(job.rows, "{bar:40} {pos}/{len} rows checked");
    let job = work_until(
        stores,
        &job,
        &checking,
        |job| job.checked,
        ImportState::Checking,
    )
    .await?;
    checking.finish_and_clear();
    let existing = match mode {
        ImportMode::Skip => "to skip",
        ImportMode::UpdateName => "to update the name of",
    };
    eprintln!(
        "{}: {} rows, {} new, {} already there ({existing}), {} cannot be imported",
        job.file_name, job.rows, job.new_rows, job.existing_rows, job.invalid_rows
    );
    if dry_run {
        print_problems(stores, &job).await?;
        imports
            .cancel(job.id, &CLI)
            .await
            .map_err(|error| describe(&error))?;
        return match job.invalid_rows {
            0 => Ok(()),
            n => Err(format!(
                "dry run: {n} rows cannot be imported (listed above); nothing was written"
            )),
        };
    }
    let job = imports
        .start(job.id, &CLI)
        .await
        .map_err(|error| describe(&error))?;
    let importing = bar(
        job.rows,
        "{bar:40} {pos}/{len} rows imported ({per_sec}, {eta} left)",
    );
    let job = work_until(
        stores,
        &job,
        &importing,
        |job| job.done,
        ImportState::Running,
    )
    .await?;
    importing.finish_and_clear();
    print_problems(stores, &job).await?;
    eprintln!(
        "{}: {} created, {} updated, {} skipped, {} failed ({})",
        job.file_name, job.created, job.updated, job.skipped, job.failed, job.state
    );
    match (job.state, job.failed) {
        (ImportState::Done, 0) => Ok(()),
        (ImportState::Done, failed) => Err(format!("{failed} rows failed (listed above)")),
        (state, _) => Err(format!(
            "the import is {state}: {}",
            job.message.unwrap_or_default()
        )),
    }
}

/// Works on the job (or waits while another server does) until it leaves `state`.
async fn work_until(
    stores: &Stores,
    job: &ImportJob,
    bar: &ProgressBar,
    position: impl Fn(&ImportJob) -> u64,
    state: ImportState,
) -> Result<ImportJob, String> {
    let imports = &stores.imports;
    loop {
        if let Err(error) = imports.work_on(job.id).await {
            eprintln!("the import paused: {}; trying again", describe(&error));
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let now = imports
            .get(job.id)
            .await
            .map_err(|error| describe(&error))?;
        bar.set_position(position(&now));
        if now.state != state && now.state != ImportState::Cancelling {
            return Ok(now);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every row the import could not take, on standard error: `line 12 <ann@example>: message`.
async fn print_problems(stores: &Stores, job: &ImportJob) -> Result<(), String> {
    let mut problems = Box::pin(
        stores
            .imports
            .problems(job.id)
            .await
            .map_err(|error| describe(&error))?,
    );
    while let Some(problem) = problems.next().await {
        let problem = problem.map_err(|error| describe(&error))?;
        eprintln!(
            "line {} <{}>: {}",
            problem.line, problem.email, problem.message
        );
    }
    Ok(())
}

fn bar(length: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}
