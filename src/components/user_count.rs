//! "About 12,000 users": Cassandra's own estimate of the table's size, labelled as such, with its
//! age. Small tables read "fewer than 1,000": an estimate that small is too coarse to give as a
//! number.

use crate::api::count_users;
use crate::model::UserCount;
use leptos::prelude::*;

#[component]
pub fn UserCountLine() -> impl IntoView {
    let count = Resource::new(|| (), |_| count_users());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let text = match count.await {
                    Ok(count) => describe(&count, minutes_since(count.as_of.as_deref())),
                    Err(_) => "The number of users is not known right now.".to_owned(),
                };
                view! { <p class="count">{text}</p> }
            })}
        </Transition>
    }
}

/// The count in words, with the age of the estimate when it is known.
fn describe(count: &UserCount, minutes_old: Option<i64>) -> String {
    if count.as_of.is_none() {
        return "No estimate of the number of users yet: Cassandra estimates it from the data on disk every few minutes.".into();
    }
    let size = match count.approximate {
        // Data still in memory counts 0 until it is flushed: small estimates are not told apart.
        0..=999 => "Fewer than 1,000 users".to_owned(),
        n => format!("About {} users", round_for_people(n)),
    };
    let age = match minutes_old {
        Some(0) | None => "just now".to_owned(),
        Some(1) => "a minute ago".to_owned(),
        Some(minutes) if minutes < 120 => format!("{minutes} minutes ago"),
        Some(minutes) => format!("{} hours ago", minutes / 60),
    };
    format!("{size} (Cassandra's estimate, made {age})")
}

/// Two significant digits: 12,345 → "12,000"; 1,234,567 → "1.2 million".
fn round_for_people(n: u64) -> String {
    let digits = n.ilog10();
    let unit = 10u64.pow(digits.saturating_sub(1));
    let rounded = (n + unit / 2) / unit * unit;
    if rounded >= 1_000_000 {
        let tenths = rounded / 100_000;
        let (whole, tenth) = (tenths / 10, tenths % 10);
        return if tenth == 0 {
            format!("{whole} million")
        } else {
            format!("{whole}.{tenth} million")
        };
    }
    let text = rounded.to_string();
    let mut grouped = String::new();
    for (i, c) in text.chars().enumerate() {
        if i > 0 && (text.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    grouped
}

/// How long ago an RFC 3339 time was (pages render on the server, which knows the time).
#[cfg(feature = "ssr")]
fn minutes_since(as_of: Option<&str>) -> Option<i64> {
    use time::{format_description::well_known::Rfc3339, OffsetDateTime};
    let at = OffsetDateTime::parse(as_of?, &Rfc3339).ok()?;
    Some((OffsetDateTime::now_utc() - at).whole_minutes().max(0))
}

#[cfg(not(feature = "ssr"))]
fn minutes_since(_: Option<&str>) -> Option<i64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(approximate: u64) -> UserCount {
        UserCount {
            approximate,
            as_of: Some("2026-12-01T10:00:00Z".into()),
        }
    }

    #[test]
    fn counts_read_as_estimates() {
        assert_eq!(
            describe(&count(12_345), Some(3)),
            "About 12,000 users (Cassandra's estimate, made 3 minutes ago)"
        );
        assert_eq!(
            describe(&count(417), Some(0)),
            "Fewer than 1,000 users (Cassandra's estimate, made just now)"
        );
        assert!(describe(
            &UserCount {
                approximate: 0,
                as_of: None
            },
            None
        )
        .starts_with("No estimate"));
        assert_eq!(round_for_people(1_000), "1,000");
        assert_eq!(round_for_people(1_049), "1,000");
        assert_eq!(round_for_people(987_654), "990,000");
        assert_eq!(round_for_people(1_234_567), "1.2 million");
        assert_eq!(round_for_people(3_000_001), "3 million");
    }
}
