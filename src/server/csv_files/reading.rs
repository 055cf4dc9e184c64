//! Reading an uploaded CSV file of users: columns by header name (`name` and `email` required,
//! `id` optional), UTF-8 with or without a BOM, LF or CRLF, RFC 4180 quoting (the `csv` crate).
//! What stops the whole file is a `FileError`, and then nothing is written; a row that does not
//! pass the shared validation is an `ImportProblem` with its line and the reason.

use super::cells::unprotect;
use crate::model::ImportProblem;
use crate::validate::validate_user;
use uuid::Uuid;

/// A row that passed validation, as the file has it (a cell's formula guard taken off).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRow {
    pub line: u64,
    /// The id the file gives, kept so a restore keeps ids.
    pub id: Option<Uuid>,
    pub name: String,
    pub email: String,
}

/// One row of the file: to import, or to report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Valid(FileRow),
    Invalid(ImportProblem),
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("The file is empty: it needs a header line (name,email) and a line per user.")]
    Empty,
    #[error(
        "The file is not UTF-8 text (from line {line}): save it as \"CSV UTF-8\" and try again."
    )]
    NotUtf8 { line: u64 },
    #[error("The first line must name the columns (name,email, and id if the file has ids); it reads like a row of users.")]
    NoHeader,
    #[error("The first line must name the columns (name and email, and id if the file has ids); it has no {}.", .missing.join(" or "))]
    MissingColumns { missing: Vec<String> },
    #[error("The file has columns this import does not take: {}. The columns are id (optional), name and email.", .unknown.join(", "))]
    UnknownColumns { unknown: Vec<String> },
    #[error("The file is not CSV as it should be (line {line}): {detail}.")]
    Malformed { line: u64, detail: String },
}

/// The columns of the header, by their position.
struct Columns {
    id: Option<usize>,
    name: usize,
    email: usize,
    count: usize,
}

fn columns(header: &csv::StringRecord) -> Result<Columns, FileError> {
    let names: Vec<String> = header.iter().map(|h| h.trim().to_lowercase()).collect();
    let find = |column: &str| names.iter().position(|name| name == column);
    let unknown: Vec<String> = names
        .iter()
        .filter(|name| !["id", "name", "email"].contains(&name.as_str()))
        .map(|name| {
            if name.is_empty() {
                "(a column without a name)".into()
            } else {
                name.clone()
            }
        })
        .collect();
    if names.iter().any(|name| name.contains('@')) {
        return Err(FileError::NoHeader);
    }
    if !unknown.is_empty() {
        return Err(FileError::UnknownColumns { unknown });
    }
    let missing: Vec<String> = ["name", "email"]
        .into_iter()
        .filter(|column| find(column).is_none())
        .map(str::to_owned)
        .collect();
    match (find("name"), find("email")) {
        (Some(name), Some(email)) => Ok(Columns {
            id: find("id"),
            name,
            email,
            count: names.len(),
        }),
        _ => Err(FileError::MissingColumns { missing }),
    }
}

/// Reads the whole file, handing each row to `each` in file order. Checks the encoding and the
/// header before the first row, so a `FileError` comes before anything was handed on.
pub fn read(bytes: &[u8], mut each: impl FnMut(Row)) -> Result<u64, FileError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Err(error) = std::str::from_utf8(bytes) {
        let line = 1 + bytes[..error.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        return Err(FileError::NotUtf8 { line });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError::Empty);
    }
    // The csv crate reads an unclosed quote to the end of the file as one field; say so instead.
    if let Some(line) = unclosed_quote(bytes) {
        return Err(FileError::Malformed {
            line,
            detail: "a quote (\") opens a field that is never closed".into(),
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(bytes);
    let header = reader.headers().map_err(|e| malformed(&e))?.clone();
    let columns = columns(&header)?;
    let mut rows = 0;
    let mut lines = Lines {
        bytes,
        at: 0,
        line: 1,
    };
    for record in reader.records() {
        let record = record.map_err(|e| malformed(&e))?;
        rows += 1;
        let line = record
            .position()
            .map_or(0, |position| lines.of(position.byte()));
        each(row(&record, line, &columns));
    }
    Ok(rows)
}

/// The line where a record starts, from its byte offset. (The csv crate's own line numbers lag
/// one behind after a CRLF: it ends a record at the CR and counts the LF with the next one.)
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl Lines<'_> {
    /// Offsets only grow, so the whole file is counted once.
    fn of(&mut self, offset: u64) -> u64 {
        let mut offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        // A record "starts" at the line break before it, which is not part of it.
        while matches!(self.bytes.get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        if offset > self.at {
            self.line += self.bytes[self.at..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.at = offset;
        }
        self.line
    }
}

/// The line of a quote that opens a field and is never closed, if one does.
fn unclosed_quote(bytes: &[u8]) -> Option<u64> {
    let (mut line, mut opened_on, mut inside) = (1u64, 0u64, false);
    for byte in bytes {
        match byte {
            b'"' => {
                inside = !inside;
                if inside {
                    opened_on = line;
                }
            }
            b'\n' => line += 1,
            _ => {}
        }
    }
    inside.then_some(opened_on)
}

fn malformed(error: &csv::Error) -> FileError {
    let line = error.position().map_or(1, |position| position.line());
    FileError::Malformed {
        line,
        detail: match error.kind() {
            csv::ErrorKind::Utf8 { .. } => "a field is not UTF-8 text".to_owned(),
            _ => error.to_string(),
        },
    }
}

fn row(record: &csv::StringRecord, line: u64, columns: &Columns) -> Row {
    let cell = |at: usize| unprotect(record.get(at).unwrap_or_default()).to_owned();
    let (name, email) = (cell(columns.name), cell(columns.email));
    let problem = |message: String| {
        Row::Invalid(ImportProblem {
            line,
            email: email.clone(),
            message,
        })
    };
    if record.len() != columns.count {
        return problem(format!(
            "The line has {} fields; the header has {}.",
            record.len(),
            columns.count
        ));
    }
    let id = match columns.id.map(cell) {
        None => None,
        Some(text) if text.trim().is_empty() => None,
        Some(text) => match Uuid::try_parse(text.trim()) {
            Ok(id) => Some(id),
            Err(_) => return problem(format!("'{text}' is not a user id (a UUID).")),
        },
    };
    if let Err(errors) = validate_user(&name, &email) {
        let said: Vec<String> = ["name", "email"]
            .into_iter()
            .filter_map(|field| {
                errors
                    .get(field)
                    .map(|message| format!("{}: {message}", capitalised(field)))
            })
            .collect();
        return problem(said.join(" "));
    }
    Row::Valid(FileRow {
        line,
        id,
        name,
        email,
    })
}

fn capitalised(field: &str) -> String {
    let mut chars = field.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &[u8]) -> Result<Vec<Row>, FileError> {
        let mut rows = Vec::new();
        read(text, |row| rows.push(row))?;
        Ok(rows)
    }

    fn valid(line: u64, id: Option<Uuid>, name: &str, email: &str) -> Row {
        Row::Valid(FileRow {
            line,
            id,
            name: name.into(),
            email: email.into(),
        })
    }

    #[test]
    fn columns_by_name_quotes_crlf_and_a_bom() {
        let file = "\u{FEFF}Email,NAME\r\n\"ann@example.com\",\"Ann, the \"\"first\"\"\"\r\nbob@example.com,\"Bob\nTwo lines\"\r\n";
        let rows = rows(file.as_bytes()).unwrap();
        assert_eq!(
            rows[0],
            valid(2, None, "Ann, the \"first\"", "ann@example.com")
        );
        let Row::Invalid(problem) = &rows[1] else {
            panic!("{rows:?}")
        };
        assert_eq!(problem.line, 3);
        assert!(
            problem.message.contains("control characters"),
            "{problem:?}"
        );
    }

    #[test]
    fn ids_are_kept_and_formula_guards_come_off() {
        let id = Uuid::new_v4();
        let file = format!("id,name,email\n{id},'=Eve,eve@example.com\n,Nobody,n@example.com\nxyz,X,x@example.com\n");
        let rows = rows(file.as_bytes()).unwrap();
        assert_eq!(rows[0], valid(2, Some(id), "=Eve", "eve@example.com"));
        assert_eq!(rows[1], valid(3, None, "Nobody", "n@example.com"));
        assert!(matches!(&rows[2], Row::Invalid(p) if p.message.contains("not a user id")));
    }

    #[test]
    fn each_row_problem_says_its_line_and_why() {
        let file = b"name,email\n,a@example.com\nBee,not-an-email\nCee,c@example.com,extra\n";
        let problems: Vec<ImportProblem> = rows(file)
            .unwrap()
            .into_iter()
            .filter_map(|row| match row {
                Row::Invalid(p) => Some(p),
                Row::Valid(_) => None,
            })
            .collect();
        assert_eq!(
            problems.iter().map(|p| p.line).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        assert_eq!(problems[0].message, "Name: Enter a name.");
        assert!(
            problems[1].message.starts_with("Email: "),
            "{:?}",
            problems[1]
        );
        assert!(problems[2].message.contains("3 fields; the header has 2"));
    }

    #[test]
    fn what_stops_a_whole_file() {
        assert_eq!(rows(b""), Err(FileError::Empty));
        assert_eq!(rows(b"  \n\n"), Err(FileError::Empty));
        assert_eq!(
            rows(b"name,email\nZo\xEB,z@example.com\n"),
            Err(FileError::NotUtf8 { line: 2 })
        );
        assert_eq!(
            rows(b"name,mail\nAnn,a@example.com\n"),
            Err(FileError::UnknownColumns {
                unknown: vec!["mail".into()]
            })
        );
        assert_eq!(rows(b"Ann,ann@example.com\n"), Err(FileError::NoHeader));
        assert!(matches!(
            rows(b"name,email\nAnn,a@example.com\n\"Bob,b@example.com\n"),
            Err(FileError::Malformed { line: 3, .. })
        ));
        assert_eq!(
            rows(b"name\nAnn\n"),
            Err(FileError::MissingColumns {
                missing: vec!["email".into()]
            })
        );
        let message = FileError::UnknownColumns {
            unknown: vec!["phone".into(), "age".into()],
        }
        .to_string();
        assert!(message.contains("phone, age"), "{message}");
    }
}
