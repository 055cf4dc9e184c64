//! What a valid search is: 2 to 100 characters, with at least one word of 2 or more.

pub const SEARCH_MIN_CHARS: usize = 2;
pub const SEARCH_MAX_CHARS: usize = 100;

/// What a person typed into Search, trimmed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery(String);

impl SearchQuery {
    pub fn parse(input: &str) -> Result<Self, String> {
        let query = input.trim();
        let length = query.chars().count();
        if length < SEARCH_MIN_CHARS {
            return Err(format!(
                "Type at least {SEARCH_MIN_CHARS} characters to search."
            ));
        }
        if length > SEARCH_MAX_CHARS {
            return Err(format!(
                "A search has at most {SEARCH_MAX_CHARS} characters; this one has {length}."
            ));
        }
        if !query
            .split_whitespace()
            .any(|word| word.chars().count() >= SEARCH_MIN_CHARS)
        {
            return Err(format!(
                "Type at least {SEARCH_MIN_CHARS} characters of a word: single letters would match nearly everyone."
            ));
        }
        Ok(Self(query.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn searches_have_two_to_a_hundred_characters_and_a_word() {
        assert_eq!(SearchQuery::parse("  ma ").unwrap().as_str(), "ma");
        assert!(SearchQuery::parse("m").unwrap_err().contains("at least 2"));
        assert!(SearchQuery::parse(&"x".repeat(101))
            .unwrap_err()
            .contains("at most 100"));
        assert!(
            SearchQuery::parse(&"é".repeat(100)).is_ok(),
            "characters, not bytes"
        );
        assert!(SearchQuery::parse("a b c")
            .unwrap_err()
            .contains("of a word"));
    }
}
