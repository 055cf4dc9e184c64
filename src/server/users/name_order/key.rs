//! Where a user sits in name order: its key, the full name folded (case and accents ignored, runs
//! of spaces as one) then its email folded (ties), in one text; then its id (rows another client
//! wrote with the same name and email). A table of entries clusters by both, `(key, id)`: the id
//! is a 16-byte uuid there, not text in the key. Cassandra and Rust both order text by its UTF-8
//! bytes, so a page merged here from several slices is in the order each slice came in.
//!
//! A table of keys is cut into ranges of keys (`ranges`), each in a partition of its own, so a
//! partition holds the users whose keys are neighbours. A range is cut between two key texts,
//! never between the ids of one.

use crate::server::users::search_terms::{fold, name_words};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use std::collections::BTreeSet;
use uuid::Uuid;

/// Between the parts of a key: it sorts before every character a name or an email holds, so
/// `Ann` comes before `Anna`.
const SEPARATOR: char = '\u{1}';
/// A name another client stored longer than this sorts by its first characters.
const NAME_CHARS_SORTED: usize = 200;
/// The same for an email.
const EMAIL_CHARS_SORTED: usize = 320;
/// A word of a name or an email longer than this is kept in `ordered_terms` by its start; a typed
/// word is read by the same start and matched in full on the users found.
pub const TERM_CHARS: usize = 40;
/// Typed words shorter than this are not looked up, nor are such terms kept.
pub const TERM_MIN_CHARS: usize = 2;
/// Page positions longer than this (base64 text) are not ones the app gave out.
const CURSOR_MAX_CHARS: usize = 1200;
/// How a name-order position starts in a URL; a storage-order position is a bare id.
const CURSOR_PREFIX: &str = "n.";

/// A user's key in name order, or under one of its words: the key text, then the id.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NameKey {
    key: String,
    id: Uuid,
}

impl NameKey {
    pub fn of(id: Uuid, name: &str, email: &str) -> Self {
        let name: String = fold(name)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .filter(|c| !c.is_control())
            .take(NAME_CHARS_SORTED)
            .collect();
        let email: String = fold(email.trim())
            .chars()
            .filter(|c| !c.is_control())
            .take(EMAIL_CHARS_SORTED)
            .collect();
        NameKey {
            key: format!("{name}{SEPARATOR}{email}"),
            id,
        }
    }

    /// The user's keys in `ordered_terms`: each word of its name (and each part of a word with
    /// punctuation, `jean-luc` → `jean`, `luc`) and its email, folded and followed by its key in
    /// name order, so the users a word finds come by that word, then by name (a phone book).
    pub fn terms_of(id: Uuid, name: &str, email: &str) -> BTreeSet<NameKey> {
        let in_name_order = NameKey::of(id, name, email);
        let email = fold(email.trim());
        name_words(name)
            .into_iter()
            .chain(std::iter::once(email))
            .filter(|term| term.chars().count() >= TERM_MIN_CHARS)
            .map(|term| {
                let term = term_as_kept(&term);
                NameKey {
                    key: format!("{term}{SEPARATOR}{}", in_name_order.key),
                    id,
                }
            })
            .collect()
    }

    /// The word of a key of `ordered_terms`.
    pub fn term(&self) -> &str {
        self.key.split(SEPARATOR).next().unwrap_or_default()
    }

    /// An entry as a table of entries holds it.
    pub fn from_stored(key: String, id: Uuid) -> Self {
        NameKey { key, id }
    }

    /// The position before every entry whose key text is `key` or comes after it (the nil id
    /// sorts first in Cassandra too).
    pub fn before(key: &str) -> Self {
        NameKey {
            key: key.to_owned(),
            id: Uuid::nil(),
        }
    }

    /// The smallest position: where the first page starts.
    pub fn start() -> Self {
        NameKey::before("")
    }

    /// The key text.
    pub fn as_str(&self) -> &str {
        &self.key
    }

    pub fn id(&self) -> Uuid {
        self.id
    }

    /// A key text after every key.
    pub fn end() -> String {
        char::MAX.to_string()
    }

    /// The key as a page position in a URL or a form: `n.` and, in base64url, the key text and
    /// the id with a separator between them.
    pub fn cursor(&self) -> String {
        let position = format!("{}{SEPARATOR}{}", self.key, self.id);
        format!("{CURSOR_PREFIX}{}", URL_SAFE_NO_PAD.encode(position))
    }

    /// Whether `text` is meant as a name-order position (as `cursor` writes them).
    pub fn is_cursor(text: &str) -> bool {
        text.trim().starts_with(CURSOR_PREFIX)
    }

    pub fn from_cursor(text: &str) -> Result<Self, String> {
        let refused = || format!("'{text}' is not a page position in name order.");
        let encoded = text
            .trim()
            .strip_prefix(CURSOR_PREFIX)
            .filter(|encoded| encoded.len() <= CURSOR_MAX_CHARS)
            .ok_or_else(refused)?;
        let bytes = URL_SAFE_NO_PAD.decode(encoded).map_err(|_| refused())?;
        let position = String::from_utf8(bytes).map_err(|_| refused())?;
        let (key, id) = position.rsplit_once(SEPARATOR).ok_or_else(refused)?;
        let id = Uuid::parse_str(id).map_err(|_| refused())?;
        Ok(NameKey::from_stored(key.to_owned(), id))
    }
}

/// A position between the key text `key` and the next one a user can have: no key holds U+0000
/// (control characters are left out), so no key falls between the two, and a range that starts
/// here leaves every entry under `key` in the range before it.
pub fn cut_after(key: &str) -> String {
    format!("{key}\u{0}")
}

/// A word as `ordered_terms` keeps it: its first `TERM_CHARS` characters, without control
/// characters (the separator among them).
pub fn term_as_kept(word: &str) -> String {
    word.chars()
        .filter(|c| !c.is_control())
        .take(TERM_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str, email: &str) -> NameKey {
        NameKey::of(Uuid::nil(), name, email)
    }

    #[test]
    fn names_sort_without_case_or_accents_then_by_email() {
        let mut keys = [
            key("Zoë Adams", "z@example.com"),
            key("anna", "a@example.com"),
            key("Ann", "b@example.com"),
            key("ÅSA", "c@example.com"),
            key("zoe  adams", "a@example.com"),
            key("Émile", "e@example.com"),
        ];
        keys.sort();
        let order: Vec<&str> = keys
            .iter()
            .map(|k| k.as_str().split(SEPARATOR).next().unwrap())
            .collect();
        assert_eq!(
            order,
            ["ann", "anna", "asa", "emile", "zoe adams", "zoe adams"]
        );
        assert!(keys[4].as_str().contains("a@example.com"), "ties by email");
    }

    #[test]
    fn nothing_falls_between_a_key_text_and_the_cut_after_it() {
        let keys = [
            key("Ann", "z@example.com"),
            key("Ann", "za@example.com"),
            key("Anna", "a@example.com"),
            key("Ann Lee", "a@example.com"),
        ];
        for a in &keys {
            let cut = cut_after(a.as_str());
            assert!(a.as_str() < cut.as_str() && cut < NameKey::end());
            for b in keys.iter().filter(|b| b.as_str() > a.as_str()) {
                assert!(cut.as_str() < b.as_str(), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn positions_round_trip_and_strangers_are_refused() {
        let k = key("Zoë", "zoe@example.com");
        assert!(NameKey::is_cursor(&k.cursor()));
        assert_eq!(NameKey::from_cursor(&k.cursor()), Ok(k));
        let another = NameKey::of(Uuid::from_u128(9), "Zoë", "zoe@example.com");
        assert_eq!(NameKey::from_cursor(&another.cursor()), Ok(another));
        // A position from before ids were kept apart from the key text ("n." and the name, the
        // email and the id in one text) is the same position.
        let from_before = format!("zoe\u{1}zoe@example.com\u{1}{}", Uuid::from_u128(9));
        let from_before = format!("n.{}", URL_SAFE_NO_PAD.encode(from_before));
        assert_eq!(
            NameKey::from_cursor(&from_before),
            Ok(NameKey::of(Uuid::from_u128(9), "Zoë", "zoe@example.com"))
        );
        assert!(NameKey::from_cursor("n.%%%").is_err());
        assert!(NameKey::from_cursor("0c0a0000-0000-0000-0000-000000000000").is_err());
        assert!(NameKey::from_cursor(&format!("n.{}", "A".repeat(5000))).is_err());
    }

    #[test]
    fn a_user_is_kept_under_each_word_of_its_name_and_its_email() {
        let id = Uuid::nil();
        let terms: Vec<String> = NameKey::terms_of(id, "Jean-Luc Picard", "JL@example.com")
            .iter()
            .map(|key| key.term().to_owned())
            .collect();
        assert_eq!(
            terms,
            ["jean", "jean-luc", "jl@example.com", "luc", "picard"]
        );
        let long = "x".repeat(300);
        let kept = NameKey::terms_of(id, &long, "a@b.co");
        assert!(kept
            .iter()
            .all(|key| key.term().chars().count() <= TERM_CHARS));
        assert!(NameKey::terms_of(id, "J Doe", "j@x.io")
            .iter()
            .all(|k| k.term() != "j"));
    }
}
