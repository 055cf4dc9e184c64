//! What search finds: the words of a name and the start of an email, whatever their case and
//! accents (`Zoë` = `zoe`, `ÅSA` = `åsa`). Every user row carries `search_terms`, the prefixes
//! its name and email can be found by; a Storage-Attached Index on that set answers
//! `CONTAINS`, so each search is one index read bounded by a page, at any table size.
//!
//! The set is small and bounded: the prefixes of each word of the first `NAME_CHARS_INDEXED`
//! characters of the name (a word such as `jean-luc` also counts its parts, `jean` and `luc`) and
//! of the email, but only those of the lengths in `WORD_PREFIXES` and `EMAIL_PREFIXES`: every
//! length up to 6, then fewer and fewer. A typed word is looked up by its longest stored prefix
//! and matched in full on the rows that read returns. "Ana Martínez" with a 37-character email
//! has 20 terms instead of 45, which is what most of a row write's cost is (SAI indexes each
//! term); no row has more than 213, whatever another client stored.

use std::collections::BTreeSet;
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

/// The lengths of the prefixes of a name word that are stored.
pub const WORD_PREFIXES: [usize; 10] = [2, 3, 4, 5, 6, 8, 10, 13, 16, 20];
/// The lengths of the prefixes of an email that are stored.
pub const EMAIL_PREFIXES: [usize; 13] = [2, 3, 4, 5, 6, 8, 10, 13, 16, 20, 25, 32, 40];
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
pub fn name_words(name: &str) -> BTreeSet<String> {
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

/// The prefixes of `word` of the `lengths` it is long enough for.
fn prefixes(word: &str, lengths: &[usize]) -> Vec<String> {
    let ends: Vec<usize> = word
        .char_indices()
        .map(|(at, c)| at + c.len_utf8())
        .collect();
    lengths
        .iter()
        .filter(|length| **length <= ends.len())
        .map(|length| word[..ends[length - 1]].to_owned())
        .collect()
}

/// The longest prefix of `word` that the terms of any row that it starts a word of hold.
fn stored_prefix(word: &str, lengths: &[usize]) -> String {
    let length = word.chars().count();
    let usable = lengths
        .iter()
        .copied()
        .filter(|l| *l <= length)
        .max()
        .unwrap_or(length);
    word.chars().take(usable).collect()
}

/// Every term a row with this name and email is found by.
pub fn terms(name: &str, email: &str) -> BTreeSet<String> {
    let mut terms = BTreeSet::new();
    for word in name_words(name) {
        terms.extend(prefixes(&word, &WORD_PREFIXES));
    }
    terms.extend(prefixes(fold(email.trim()).as_str(), &EMAIL_PREFIXES));
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

    /// The longest word (the first of them when several are as long): the most selective.
    pub fn longest(&self) -> &str {
        let mut longest = self.0[0].as_str();
        for word in &self.0[1..] {
            if word.chars().count() > longest.chars().count() {
                longest = word;
            }
        }
        longest
    }

    /// The terms to ask the index for, longest (most selective) first, at most `most`: each
    /// word's longest prefix of a length that both names and emails store (`WORD_PREFIXES`).
    pub fn index_terms(&self, most: usize) -> Vec<String> {
        let mut terms: Vec<String> = self
            .0
            .iter()
            .map(|word| stored_prefix(word, &WORD_PREFIXES))
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

    /// What a search for `typed` reads from the index, the row's terms hold, and the row matches.
    fn finds(typed: &str, name: &str, email: &str) -> bool {
        let search = SearchWords::of(typed).unwrap();
        let stored = terms(name, email);
        search
            .index_terms(3)
            .iter()
            .all(|term| stored.contains(term))
            && search.match_user(name, email)
    }

    #[test]
    fn names_are_found_by_the_start_of_each_word() {
        let (name, email) = ("Ana Martínez", "ana.m@example.com");
        for typed in [
            "an",
            "ana",
            "ma",
            "mart",
            "marti",
            "martine",
            "martinez",
            "ana.m",
            "ana.m@exa",
            "ANA.M@EXAMPLE.CO",
        ] {
            assert!(finds(typed, name, email), "{typed}");
        }
        assert!(!finds("tinez", name, email), "only the start of a word");
        assert!(
            !terms(name, email).contains("a"),
            "one letter would match nearly everyone"
        );
    }

    #[test]
    fn words_with_punctuation_are_found_whole_and_by_their_parts() {
        for typed in ["jean-l", "jean", "luc", "o'n", "neil"] {
            assert!(finds(typed, "Jean-Luc O'Neil", "jl@example.com"), "{typed}");
        }
    }

    #[test]
    fn the_number_of_terms_is_bounded_whatever_was_stored() {
        let huge_name = "abcdefghijklmnopqrstuvwxyz ".repeat(400);
        let huge_email = format!("{}@example.com", "x".repeat(5000));
        assert!(terms(&huge_name, &huge_email).len() <= 213);
        let words: Vec<String> = (0..50).map(|i| format!("w{i}")).collect();
        assert!(terms(&words.join(" "), "a@b.co").len() <= 213);
        let typical = terms("Ana Martínez", "u12345.ana.martinez@bench.example.com");
        assert_eq!(typical.len(), 20, "{typical:?}");
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
        let between = SearchWords::of("marti").unwrap();
        assert_eq!(between.index_terms(3), ["marti"]);
        let seven = SearchWords::of("martine").unwrap();
        assert_eq!(
            seven.index_terms(3),
            ["martin"],
            "the longest stored length below 7 is 6"
        );
        assert!(!search.match_user("Martinezlopezgarciaf Ruiz", "r@example.com"));
        assert!(search.match_user("Martinezlopezgarciafernandez Ruiz", "r@example.com"));
    }
}
