//! The one vocabulary of every setting's values: yes or no, durations (`humantime`'s: `90s`,
//! `30m`, `2h`, `500ms`), sizes, numbers, URLs and secrets. Each is a clap value parser.

use std::time::Duration;

/// A yes or no, one vocabulary for every such variable: true/false, on/off, yes/no, 1/0.
pub fn boolean(value: &str) -> Result<bool, String> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Ok(true),
        "false" | "off" | "no" | "0" => Ok(false),
        _ => Err(format!(
            "'{value}' is not true or false (on/off, yes/no, 1/0 work too)"
        )),
    }
}

/// A duration of at least `minimum`.
pub fn duration_of_at_least(
    minimum: Duration,
) -> impl Fn(&str) -> Result<Duration, String> + Clone + Send + Sync + 'static {
    move |value| {
        humantime::parse_duration(value.trim())
            .ok()
            .filter(|duration| *duration >= minimum)
            .ok_or_else(|| {
                format!(
                    "'{value}' is not a duration of at least {} (e.g. 90s, 30m, 12h)",
                    humantime::format_duration(minimum)
                )
            })
    }
}

/// A size: bytes (`1048576`), or with a unit (`512KiB`, `64MiB`, `1GiB`; `KB`/`MB`/`GB` too).
pub fn bytes(value: &str) -> Result<usize, String> {
    let value = value.trim();
    let split = value
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(value.len());
    let (number, unit) = value.split_at(split);
    let unit_bytes: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => 0,
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(unit_bytes))
        .filter(|bytes| *bytes >= 1024)
        .and_then(|bytes| usize::try_from(bytes).ok())
        .ok_or_else(|| format!("'{value}' is not a size of at least 1 KiB (e.g. 64MiB, 1048576)"))
}

/// A whole number within `range`.
pub fn whole_number<T>(
    range: std::ops::RangeInclusive<T>,
) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync + 'static
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Clone + Send + Sync + 'static,
{
    move |value| {
        value
            .trim()
            .parse::<T>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                format!(
                    "'{value}' is not a whole number from {} to {}",
                    range.start(),
                    range.end()
                )
            })
    }
}

/// A secret, trimmed: `Debug` never shows it.
pub fn secret(value: &str) -> Result<secrecy::SecretString, String> {
    Ok(secrecy::SecretString::from(value.trim().to_owned()))
}

/// An http(s) URL with a host (`OIDC_ISSUER`, `PUBLIC_URL`).
pub fn http_url(value: &str) -> Result<url::Url, String> {
    url::Url::parse(value.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "https" | "http") && url.host().is_some())
        .ok_or_else(|| format!("'{value}' is not an http(s) URL such as https://users.example.org"))
}

/// Any text, trimmed (a blank variable never gets here: it counts as unset).
pub fn text(value: &str) -> Result<String, String> {
    Ok(value.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_a_unit() {
        assert_eq!(bytes("1048576"), Ok(1 << 20));
        assert_eq!(bytes("64MiB"), Ok(64 << 20));
        assert_eq!(bytes("512 KB"), Ok(512 << 10));
        assert!(bytes("64 parsecs").is_err());
    }

    #[test]
    fn yes_and_no_have_one_vocabulary() {
        for yes in ["true", "on", "Yes", "1"] {
            assert_eq!(boolean(yes), Ok(true), "{yes}");
        }
        for no in ["false", "OFF", "no", "0"] {
            assert_eq!(boolean(no), Ok(false), "{no}");
        }
        assert!(boolean("maybe").is_err());
    }

    #[test]
    fn durations_have_a_floor() {
        let at_least_a_second = duration_of_at_least(Duration::from_secs(1));
        assert_eq!(at_least_a_second("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(at_least_a_second(" 2h "), Ok(Duration::from_secs(7200)));
        assert!(at_least_a_second("500ms")
            .unwrap_err()
            .contains("at least 1s"));
        assert!(at_least_a_second("forever").is_err());
    }
}
