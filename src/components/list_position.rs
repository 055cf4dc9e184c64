//! Where the users page is: what was searched, in which order, and which page. It lives in the
//! query string (`q`, `sort`, `after`, `before`), so every state is a link that survives Back,
//! reload and JavaScript off.

use crate::model::SortOrder;

/// What was searched (`q`), the order (`sort`), and where the page starts (`after`) or ends
/// (`before`), as cursors the server gave.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListPosition {
    pub q: Option<String>,
    pub sort: SortOrder,
    pub after: Option<String>,
    pub before: Option<String>,
}

impl ListPosition {
    /// The position a page's query string says, `param` giving each non-blank parameter. Without
    /// `sort`, a cursor says its order (an old bookmark `/?after=<id>` is storage order) and the
    /// first page is in name order.
    pub fn from_query(param: impl Fn(&str) -> Option<String>) -> Self {
        let (after, before) = (param("after"), param("before"));
        let sort = param("sort")
            .and_then(|sort| SortOrder::parse(&sort))
            .or_else(|| {
                after
                    .as_deref()
                    .or(before.as_deref())
                    .map(SortOrder::of_position)
            })
            .unwrap_or_default();
        ListPosition {
            // `email` is what "Find by email" used to send: such links now search.
            q: param("q").or_else(|| param("email")),
            sort,
            after,
            before,
        }
    }

    /// The query parameters of this position, in the order a link has them.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if let Some(q) = &self.q {
            params.push(("q", q.clone()));
        }
        let paged = self.after.is_some() || self.before.is_some();
        if self.sort != SortOrder::Name || paged {
            params.push(("sort", self.sort.param().to_owned()));
        }
        if let Some(after) = &self.after {
            params.push(("after", after.clone()));
        }
        if let Some(before) = &self.before {
            params.push(("before", before.clone()));
        }
        params
    }

    /// The users page at this position.
    pub fn href(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in self.params() {
            query.append_pair(key, &value);
        }
        match query.finish() {
            query if query.is_empty() => "/".to_owned(),
            query => format!("/?{query}"),
        }
    }

    /// The same search and order, from its first page.
    pub fn first_page(&self) -> Self {
        ListPosition {
            after: None,
            before: None,
            ..self.clone()
        }
    }

    /// The same search and order, from the page after `cursor`.
    pub fn after(&self, cursor: String) -> Self {
        ListPosition {
            after: Some(cursor),
            ..self.first_page()
        }
    }

    /// The same search and order, the page that ends before `cursor`.
    pub fn before(&self, cursor: String) -> Self {
        ListPosition {
            before: Some(cursor),
            ..self.first_page()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn positions_are_links() {
        assert_eq!(ListPosition::default().href(), "/");
        let searched = ListPosition {
            q: Some("ana mar&x".into()),
            sort: SortOrder::Storage,
            after: Some("0c0a0000-0000-0000-0000-000000000000".into()),
            before: None,
        };
        assert_eq!(
            searched.href(),
            "/?q=ana+mar%26x&sort=token&after=0c0a0000-0000-0000-0000-000000000000"
        );
        assert_eq!(searched.first_page().href(), "/?q=ana+mar%26x&sort=token");
        let by_name = ListPosition::default().before("n.YWJj".into());
        assert_eq!(by_name.href(), "/?sort=name&before=n.YWJj");
    }

    #[test]
    fn old_bookmarks_keep_their_order() {
        let id = "0c0a0000-0000-0000-0000-000000000000";
        assert_eq!(
            ListPosition::from_query(query(&[("after", id)])).sort,
            SortOrder::Storage
        );
        assert_eq!(ListPosition::from_query(query(&[])).sort, SortOrder::Name);
        assert_eq!(
            ListPosition::from_query(query(&[("after", "n.YWJj")])).sort,
            SortOrder::Name
        );
        let chosen = ListPosition::from_query(query(&[("sort", "token")]));
        assert_eq!(chosen.sort, SortOrder::Storage);
        assert_eq!(chosen.href(), "/?sort=token");
    }
}
