//! The one vocabulary of every setting's values: yes or no, and sizes (durations are
//! `humantime`'s: `90s`, `30m`, `2h`).

/// A yes or no, one vocabulary for every such variable: true/false, on/off, yes/no, 1/0.
pub fn parse_boolean(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Some(true),
        "false" | "off" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// A size: bytes (`1048576`), or with a unit (`512KiB`, `64MiB`, `1GiB`; `KB`/`MB`/`GB` too).
pub fn parse_bytes(value: &str) -> Result<usize, String> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_a_unit() {
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("64MiB"), Ok(64 << 20));
        assert_eq!(parse_bytes("512 KB"), Ok(512 << 10));
        assert!(parse_bytes("64 parsecs").is_err());
    }

    #[test]
    fn yes_and_no_have_one_vocabulary() {
        for yes in ["true", "on", "Yes", "1"] {
            assert_eq!(parse_boolean(yes), Some(true), "{yes}");
        }
        for no in ["false", "OFF", "no", "0"] {
            assert_eq!(parse_boolean(no), Some(false), "{no}");
        }
        assert_eq!(parse_boolean("maybe"), None);
    }
}
