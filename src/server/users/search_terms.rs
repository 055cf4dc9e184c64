//! What search finds: the words of a name and the start of an email, whatever their case and
//! accents (`Zoë` = `zoe`, `ÅSA` = `åsa`). Every user row carries `search_terms`, the prefixes
//! its name and email can be found by; a Storage-Attached Index on that set answers
//! `CONTAINS`, so each search is one index read bounded by a page, at any table size.
//!
//! The set is bounded: prefixes of 2 to `WORD_PREFIX_MAX` characters of each word of the first
//! `NAME_CHARS_INDEXED` characters of the name (a word such as `jean-luc` also counts its parts,
//! `jean` and `luc`), and of 2 to `EMAIL_PREFIX_MAX` characters of the email: at most
//! `2 × 100 + 39 = 239` terms, whatever another client stored.

use std::collections::BTreeSet;
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// Name words are found by their first 2 to 20 characters; longer typed words are matched in
/// full after the index read.
pub const WORD_PREFIX_MAX: usize = 20;
/// Emails are found by their first 2 to 40 characters.
pub const EMAIL_PREFIX_MAX: usize = 40;
const PREFIX_MIN: usize = 2;
/// A name longer than this (written by another client) is found by its first 100 characters.
const NAME_CHARS_INDEXED: usize = 100;

/// Lower case without accents: `Zoë Åström` → `zoe astrom`. Letters that are not a base letter
/// with a mark (`ø`, `ß`, `æ`, …) are spelled as their usual ASCII.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.nfkd().filter(|c| !is_combining_mark(*c)) {
        for lower in c.to_lowercase() {
            match lower {
                'ø' => folded.push('o'),
                'ł' => folded.push('l'),
                'đ' | 'ð' => folded.push('d'),
                'ß' => folded.push_str("ss"),
                'æ' => folded.push_str("ae"),
                'œ' => folded.push_str("oe"),
                'þ' => folded.push_str("th"),
                'ı' => folded.push('i'),
                other => folded.push(other),
            }
        }
    }
    folded
}

/// The words a name is found by, folded: each whitespace-separated word, and the parts of a
/// word that has punctuation in it (`o'neil` → `o'neil`, `o`, `neil`).
fn name_words(name: &str) -> BTreeSet<String> {
    let head: String = name.chars().take(NAME_CHARS_INDEXED).collect();
    let mut words = BTreeSet::new();
    for word in fold(&head).split_whitespace() {
        words.insert(word.to_owned());
        for part in word.split(|c: char| !c.is_alphanumeric()) {
            if !part.is_empty() {
                words.insert(part.to_owned());
            }
        }
    }
    words
}

/// The first `PREFIX_MIN` to `max` characters of `word`.
fn prefixes(word: &str, max: usize) -> impl Iterator<Item = String> + '_ {
    let ends: Vec<usize> = word
        .char_indices()
        .map(|(at, c)| at + c.len_utf8())
        .take(max)
        .collect();
    ends.into_iter()
        .skip(PREFIX_MIN - 1)
        .map(move |end| word[..end].to_owned())
}

/// Every term a row with this name and email is found by.
pub fn terms(name: &str, email: &str) -> BTreeSet<String> {
    let mut terms = BTreeSet::new();
    for word in name_words(name) {
        terms.extend(prefixes(&word, WORD_PREFIX_MAX));
    }
    terms.extend(prefixes(fold(email.trim()).as_str(), EMAIL_PREFIX_MAX));
    terms
}

/// What a person typed, as words to find: folded, split at whitespace, each at least 2
/// characters long (shorter ones are left out: they would match nearly everyone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchWords(Vec<String>);

impl SearchWords {
    /// `None` when no word of at least 2 characters is left.
    pub fn of(typed: &str) -> Option<Self> {
        let mut words: Vec<String> = Vec::new();
        for word in fold(typed).split_whitespace() {
            if word.chars().count() >= PREFIX_MIN && !words.iter().any(|w| w == word) {
                words.push(word.to_owned());
            }
        }
        (!words.is_empty()).then_some(SearchWords(words))
    }

    /// The terms to ask the index for, longest (most selective) first, at most `most`: each
    /// word cut to `WORD_PREFIX_MAX` characters, which the terms of both names and emails hold.
    pub fn index_terms(&self, most: usize) -> Vec<String> {
        let mut terms: Vec<String> = self
            .0
            .iter()
            .map(|word| word.chars().take(WORD_PREFIX_MAX).collect())
            .collect();
        terms.sort_by_key(|term: &String| std::cmp::Reverse(term.chars().count()));
        terms.dedup();
        terms.truncate(most);
        terms
    }

    /// Whether a row with this name and email is what was asked for: every word starts a word
    /// of the name, or (one word) the email starts with it.
    pub fn match_user(&self, name: &str, email: &str) -> bool {
        let words = name_words(name);
        let starts_a_name_word =
            |typed: &String| words.iter().any(|w| w.starts_with(typed.as_str()));
        match self.0.as_slice() {
            [one] => starts_a_name_word(one) || fold(email.trim()).starts_with(one.as_str()),
            many => many.iter().all(starts_a_name_word),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_and_accents_fold() {
        assert_eq!(fold("Zoë"), "zoe");
        assert_eq!(fold("ÅSA"), fold("åsa"));
        assert_eq!(fold("Martínez Groß Øre"), "martinez gross ore");
    }

    #[test]
    fn names_are_found_by_the_start_of_each_word() {
        let terms = terms("Ana Martínez", "ana.m@example.com");
        for found in ["an", "ana", "ma", "mart", "martinez", "ana.m", "ana.m@exa"] {
            assert!(terms.contains(found), "{found}");
        }
        assert!(!terms.contains("tinez"), "only the start of a word");
        assert!(
            !terms.contains("a"),
            "one letter would match nearly everyone"
        );
    }

    #[test]
    fn words_with_punctuation_are_found_whole_and_by_their_parts() {
        let terms = terms("Jean-Luc O'Neil", "jl@example.com");
        for found in ["jean-l", "jean", "luc", "o'n", "neil"] {
            assert!(terms.contains(found), "{found}");
        }
    }

    #[test]
    fn the_number_of_terms_is_bounded_whatever_was_stored() {
        let huge_name = "abcdefghijklmnopqrstuvwxyz ".repeat(400);
        let huge_email = format!("{}@example.com", "x".repeat(5000));
        assert!(terms(&huge_name, &huge_email).len() <= 239);
        let words: Vec<String> = (0..50).map(|i| format!("w{i}")).collect();
        assert!(terms(&words.join(" "), "a@b.co").len() <= 239);
    }

    #[test]
    fn typed_words_match_like_the_terms() {
        let search = SearchWords::of("  MART ").unwrap();
        assert!(search.match_user("Ana Martínez", "ana@example.com"));
        assert!(search.match_user("Martin Lee", "ml@example.com"));
        assert!(!search.match_user("Ana Lopez", "ana@example.com"));
        let both = SearchWords::of("ana mar").unwrap();
        assert!(both.match_user("Ana Martínez", "x@example.com"));
        assert!(
            !both.match_user("Ana Lopez", "mar@example.com"),
            "each word must start a name word"
        );
        let email = SearchWords::of("ana.m@exa").unwrap();
        assert!(email.match_user("Someone", "Ana.M@Example.com"));
    }

    #[test]
    fn short_words_are_left_out_and_long_ones_are_cut_for_the_index() {
        assert_eq!(SearchWords::of("a b"), None);
        let search = SearchWords::of("x martinezlopezgarciafernandez").unwrap();
        assert_eq!(search.index_terms(3), ["martinezlopezgarciaf"]);
        assert!(!search.match_user("Martinezlopezgarciaf Ruiz", "r@example.com"));
        assert!(search.match_user("Martinezlopezgarciafernandez Ruiz", "r@example.com"));
    }
}
