//! What search finds: the words of a name and the start of an email, whatever their case and
//! accents (`Zoë` = `zoe`, `ÅSA` = `åsa`). A user is kept in `ordered_terms` under each word of
//! its name (`name_words`) and its email, folded (`name_order::key`); a typed word is looked up by
//! its start, and every typed word is matched in full on the users found (`SearchWords`).

use std::collections::BTreeSet;
use unicode_normalization::{char::is_combining_mark, UnicodeNormalization};

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

    fn finds(typed: &str, name: &str, email: &str) -> bool {
        SearchWords::of(typed).unwrap().match_user(name, email)
    }

    #[test]
    fn names_are_found_by_the_start_of_each_word() {
        let (name, email) = ("Ana Martínez", "ana.m@example.com");
        for typed in [
            "an",
            "ana",
            "ma",
            "mart",
            "martinez",
            "ana.m",
            "ana.m@exa",
            "ANA.M@EXAMPLE.CO",
        ] {
            assert!(finds(typed, name, email), "{typed}");
        }
        assert!(!finds("tinez", name, email), "only the start of a word");
    }

    #[test]
    fn words_with_punctuation_are_found_whole_and_by_their_parts() {
        for typed in ["jean-l", "jean", "luc", "o'n", "neil"] {
            assert!(finds(typed, "Jean-Luc O'Neil", "jl@example.com"), "{typed}");
        }
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
    fn short_words_are_left_out_and_the_longest_is_looked_up() {
        assert_eq!(SearchWords::of("a b"), None);
        let search = SearchWords::of("x martinez lopez").unwrap();
        assert_eq!(search.longest(), "martinez");
    }
}
