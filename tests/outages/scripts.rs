//! Running the repository's own scripts from a test.

/// Runs a script of the repository (`make`, `scripts/cluster.sh`) to completion, off the
/// async threads, and fails the test if it fails.
pub async fn run_script(program: &'static str, args: &[&'static str]) {
    let command = format!("{program} {}", args.join(" "));
    let args = args.to_vec();
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new(program)
            .args(&args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(status.success(), "{command} failed");
}
