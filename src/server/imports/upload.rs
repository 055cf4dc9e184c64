//! An uploaded file made ready for a job: its valid rows with the ids they will be created with,
//! and its problems (the reading's, and emails or ids that an earlier line of the file has).

use super::chunks::ChunkRow;
use crate::model::ImportProblem;
use crate::server::csv_files::reading::{read, FileError, Row};
use crate::validate::Email;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Default)]
pub struct UploadedFile {
    /// Rows of the file (lines after the header, a quoted line break not counted).
    pub rows: i32,
    /// The last line that holds a row.
    pub last_line: i32,
    pub valid: Vec<ChunkRow>,
    pub problems: Vec<ImportProblem>,
}

/// Reads the file; a `FileError` means nothing of it can be imported.
pub fn prepare(bytes: &[u8]) -> Result<UploadedFile, FileError> {
    let mut file = UploadedFile::default();
    let mut line_of_email: HashMap<String, i32> = HashMap::new();
    let mut line_of_id: HashMap<Uuid, i32> = HashMap::new();
    let rows = read(bytes, |row| {
        let (line, problem) = match row {
            Row::Invalid(problem) => (problem.line, Some(problem)),
            Row::Valid(row) => {
                let line = i32::try_from(row.line).unwrap_or(i32::MAX);
                let email = row.email.trim().to_owned();
                let problem = |message: String| ImportProblem {
                    line: row.line,
                    email: email.clone(),
                    message,
                };
                let key = Email::normalise(&email);
                if let Some(first) = line_of_email.get(&key) {
                    let said =
                        format!("Line {first} has this email too; only that line is imported.");
                    (row.line, Some(problem(said)))
                } else if let Some(first) = row.id.and_then(|id| line_of_id.get(&id)) {
                    let said = format!("Line {first} has this id too; only that line is imported.");
                    (row.line, Some(problem(said)))
                } else {
                    line_of_email.insert(key, line);
                    if let Some(id) = row.id {
                        line_of_id.insert(id, line);
                    }
                    file.valid.push(ChunkRow {
                        line,
                        id: row.id.unwrap_or_else(Uuid::new_v4),
                        id_given: row.id.is_some(),
                        name: row.name.trim().to_owned(),
                        email,
                    });
                    (row.line, None)
                }
            }
        };
        file.last_line = file.last_line.max(i32::try_from(line).unwrap_or(i32::MAX));
        file.problems.extend(problem);
    })?;
    file.rows = i32::try_from(rows).unwrap_or(i32::MAX);
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_line_with_an_email_or_id_is_a_problem_naming_the_first() {
        let id = Uuid::new_v4();
        let text = format!(
            "id,name,email\n{id},Ann,ann@example.com\n,Ann Again,ANN@example.com \n{id},Bob,bob@example.com\n,Cy,cy@example.com\n"
        );
        let file = prepare(text.as_bytes()).unwrap();
        assert_eq!(file.rows, 4);
        assert_eq!(file.last_line, 5);
        let lines: Vec<i32> = file.valid.iter().map(|row| row.line).collect();
        assert_eq!(lines, [2, 5]);
        assert_eq!(file.valid[0].id, id);
        assert!(file.valid[0].id_given && !file.valid[1].id_given);
        let said: Vec<(u64, &str)> = file
            .problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert_eq!(
            said,
            [
                (3, "Line 2 has this email too; only that line is imported."),
                (4, "Line 2 has this id too; only that line is imported."),
            ]
        );
    }
}
