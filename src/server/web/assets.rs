//! The bundle's hashed file names (cargo-leptos writes them to hash.txt beside the binary).

use leptos::prelude::LeptosOptions;
use std::path::PathBuf;
use std::sync::OnceLock;

/// The bundle's files, the favicon, the passkeys' script and `/healthz`: asked for all the time,
/// by anyone (the passkeys' script before sign-in's second step is done), and never about a
/// person's work (no session, debug-level log lines).
pub fn is_asset_or_health_check(path: &str) -> bool {
    matches!(path, "/healthz" | "/favicon.svg" | "/passkeys.js") || path.starts_with("/pkg/")
}

/// Whether cargo-leptos wrote the bundle's hashed file names (hash.txt) beside this binary.
pub fn hash_file_beside_binary(options: &LeptosOptions) -> bool {
    hash_file(options).is_some_and(|path| path.is_file())
}

/// The `site/` folder beside this binary, as the release package has it, if there is one.
pub fn site_beside_binary() -> Option<PathBuf> {
    let site = std::env::current_exe().ok()?.parent()?.join("site");
    site.is_dir().then_some(site)
}

fn hash_file(options: &LeptosOptions) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(options.hash_file.as_ref()))
}

/// The stylesheet's address: `/pkg/cassandra-users.<hash>.css` when the names are hashed. Found
/// once per process; leptos_meta's `HashedStylesheet` reads hash.txt on every page.
pub fn stylesheet_href(options: &LeptosOptions) -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| {
        let hashes = options
            .hash_files
            .then(|| std::fs::read_to_string(hash_file(options)?).ok())
            .flatten()
            .unwrap_or_default();
        let name = match hash_of("css", &hashes) {
            Some(hash) => format!("{}.{hash}", options.output_name),
            None => options.output_name.to_string(),
        };
        format!("/{}/{name}.css", options.site_pkg_dir.trim_matches('/'))
    })
}

/// The hash of `file` (`js`, `wasm`, `css`) in the text of hash.txt (`css: <hash>` lines).
fn hash_of<'a>(file: &str, hashes: &'a str) -> Option<&'a str> {
    hashes.lines().find_map(|line| {
        let (name, hash) = line.split_once(':')?;
        (name.trim() == file).then_some(hash.trim())
    })
}

#[cfg(test)]
mod tests {
    use super::hash_of;

    #[test]
    fn the_stylesheet_hash_is_read_from_its_line_of_hash_txt() {
        let hashes = "js: aaa\nwasm: bbb\ncss: Le-SMY_q\n";
        assert_eq!(hash_of("css", hashes), Some("Le-SMY_q"));
        assert_eq!(hash_of("wasm", hashes), Some("bbb"));
        assert_eq!(hash_of("split", hashes), None);
    }
}
