//! Cells of a users CSV file: the header `id,name,email`, and cells that a spreadsheet would run
//! as a formula (`=`, `+`, `-`, `@`, tab, carriage return) written with a leading `'` (CSV
//! injection). Import strips exactly that prefix again, so export → import gives back every value
//! as it was. Quoting is the `csv` crate's (RFC 4180).

use std::borrow::Cow;

pub const HEADER: [&str; 3] = ["id", "name", "email"];

fn starts_a_formula(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// Whether, past its leading `'`s, the cell starts a formula.
fn guarded(cell: &str) -> bool {
    cell.trim_start_matches('\'')
        .chars()
        .next()
        .is_some_and(starts_a_formula)
}

/// The cell as written to a file: a `'` before anything that could start a formula (also before a
/// cell that already starts with `'`s and then such a character, so that stripping one `'` on the
/// way back in gives the original).
pub fn protect(cell: &str) -> Cow<'_, str> {
    if guarded(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// The cell as it was before `protect`.
pub fn unprotect(cell: &str) -> &str {
    if cell.starts_with('\'') && guarded(cell) {
        &cell[1..]
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_and_come_back_as_they_were() {
        for original in [
            "=SUM(A1:A9)",
            "+1",
            "-1",
            "@cmd",
            "\tx",
            "\rx",
            "'=already",
            "''=twice",
            "'plain",
            "'",
            "plain",
            "",
            "a=b",
            "Zoë",
            "مرحبا",
            "😀",
        ] {
            let written = protect(original);
            assert_eq!(unprotect(&written), original, "{original:?} → {written:?}");
            if original.starts_with(starts_a_formula) {
                assert!(written.starts_with('\''), "{original:?} is defused");
            }
        }
        assert_eq!(protect("plain"), "plain");
        assert_eq!(
            unprotect("'hello"),
            "'hello",
            "a quote before plain text is the text's own"
        );
    }
}
