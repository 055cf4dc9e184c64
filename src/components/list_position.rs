//! Where the users page is: what was searched, and which page. It lives in the query string
//! (`q`, `after`), so every state is a link that survives Back, reload and JavaScript off.

/// What was searched (`q`) and where the page starts (`after`, a cursor).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListPosition {
    pub q: Option<String>,
    pub after: Option<String>,
}

impl ListPosition {
    /// The users page at this position.
    pub fn href(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(q) = &self.q {
            query.append_pair("q", q);
        }
        if let Some(after) = &self.after {
            query.append_pair("after", after);
        }
        match query.finish() {
            query if query.is_empty() => "/".to_owned(),
            query => format!("/?{query}"),
        }
    }

    /// The same search, from its first page.
    pub fn first_page(&self) -> Self {
        ListPosition {
            q: self.q.clone(),
            after: None,
        }
    }

    /// The same search, from the page after `cursor`.
    pub fn after(&self, cursor: String) -> Self {
        ListPosition {
            q: self.q.clone(),
            after: Some(cursor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ListPosition;

    #[test]
    fn positions_are_links() {
        assert_eq!(ListPosition::default().href(), "/");
        let searched = ListPosition {
            q: Some("ana mar&x".into()),
            after: Some("0c0a0000-0000-0000-0000-000000000000".into()),
        };
        assert_eq!(
            searched.href(),
            "/?q=ana+mar%26x&after=0c0a0000-0000-0000-0000-000000000000"
        );
        assert_eq!(searched.first_page().href(), "/?q=ana+mar%26x");
    }
}
