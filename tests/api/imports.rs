//! Imports over HTTP as a script and a browser make them: the preview before anything is written,
//! what becomes of each row, a user changed meanwhile, cancel, limits and roles.

use crate::helpers::{http_client, spawn_app, spawn_app_with_settings, test_config, TestDb};
use crate::transfer::{csv_file, import, post_job, upload, wait_for};
use cassandra_users::model::{Role, User};
use cassandra_users::server::audit::Actor;
use cassandra_users::server::config::WebSettings;
use cassandra_users::server::Database;
use cassandra_users::validate::validate_user;
use reqwest::StatusCode;
use serde_json::Value;
use uuid::Uuid;

async fn add(db: &TestDb, name: &str, email: &str) -> User {
    let user = validate_user(name, email).unwrap();
    db.users().create(&user, &Actor::CommandLine).await.unwrap()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|cell| cell.to_string()).collect()
}

fn lines_and_messages(preview: &Value) -> Vec<(u64, String)> {
    preview["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["line"].as_u64().unwrap(),
                p["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_preview_says_what_each_row_is_and_writes_nothing() {
    let db = TestDb::alone(50).await;
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let token = db.token(Role::Editor).await;
    let taken = add(&db, "Ann Existing", "ann@example.com").await;
    let other = add(&db, "Id Holder", "holder@example.com").await;
    let cy = add(&db, "Cy Restored", "cy@example.com").await;
    let file = csv_file(
        &["id", "name", "email"],
        &[
            row(&["", "New One", "new1@example.com"]),
            row(&["", "Ann From File", "ANN@example.com"]),
            row(&["", "Bad Email", "not-an-email"]),
            row(&["", "", "noname@example.com"]),
            row(&["", "Twice", "new1@example.com"]),
            row(&[&other.id.to_string(), "Someone Else", "else@example.com"]),
            row(&[&cy.id.to_string(), &cy.name, &cy.email]),
            row(&["", "New Two", "new2@example.com"]),
        ],
    );
    let (status, preview) = upload(&url, &token, "people.csv", file, "skip").await;
    assert_eq!(status, StatusCode::CREATED, "{preview}");
    let job = preview["job"]["id"].as_str().unwrap().to_owned();
    let preview = wait_for(&url, &token, &job, |p| p["job"]["state"] == "previewed").await;
    let counts = &preview["job"];
    assert_eq!(counts["file_name"], "people.csv");
    assert_eq!(counts["rows"], 8, "{preview}");
    assert_eq!(counts["new_rows"], 2, "{preview}");
    assert_eq!(
        counts["existing_rows"], 2,
        "ann by email, and cy's own row by id: {preview}"
    );
    assert_eq!(counts["invalid_rows"], 4, "{preview}");
    let problems = lines_and_messages(&preview);
    assert_eq!(
        problems.iter().map(|(line, _)| *line).collect::<Vec<_>>(),
        [4, 5, 6, 7]
    );
    assert!(problems[0].1.starts_with("Email: "), "{problems:?}");
    assert_eq!(problems[1].1, "Name: Enter a name.");
    assert_eq!(
        problems[2].1,
        "Line 2 has this email too; only that line is imported."
    );
    assert!(
        problems[3]
            .1
            .contains("A user with this id is there already, as Id Holder"),
        "{problems:?}"
    );
    assert_eq!(
        db.all_users().await.len(),
        3,
        "nothing written before the start"
    );

    let (status, _) = post_job(&url, &token, "start", &job).await;
    assert_eq!(status, StatusCode::OK);
    let done = wait_for(&url, &token, &job, |p| p["job"]["state"] == "done").await;
    let job_counts = &done["job"];
    assert_eq!(
        (
            job_counts["created"].as_u64(),
            job_counts["skipped"].as_u64(),
            job_counts["failed"].as_u64()
        ),
        (Some(2), Some(2), Some(4)),
        "{done}"
    );
    assert_eq!(job_counts["done"], 8);
    let users = db.all_users().await;
    assert_eq!(users.len(), 5);
    assert_eq!(db.users().get(cy.id).await.unwrap(), cy);
    assert_eq!(
        db.users().get(taken.id).await.unwrap(),
        taken,
        "skipped, not changed"
    );
    assert_eq!(
        db.users().get(other.id).await.unwrap(),
        other,
        "its id is not overwritten"
    );
    // Starting it again is refused: it is over.
    let (status, body) = post_job(&url, &token, "start", &job).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("The import is done"),
        "{body}"
    );

    // The errors download: every problem, by line, as CSV.
    let errors = http_client()
        .build()
        .unwrap()
        .get(format!("{url}/api/imports/errors.csv?job={job}"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(errors.headers()["content-type"], "text/csv; charset=utf-8");
    let text = errors.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("line,email,message"));
    assert_eq!(lines.count(), 4, "{text}");
    db.drop().await;
}

#[tokio::test]
async fn skip_leaves_users_whose_email_is_in_the_file_and_update_renames_them() {
    let db = TestDb::alone(50).await;
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let token = db.token(Role::Editor).await;
    let ann = add(&db, "Ann Old", "ann@example.com").await;
    let bob_id = db
        .insert_elsewhere("Bob Old", "Bob@Example.com", std::time::Duration::ZERO)
        .await;
    let file = || {
        csv_file(
            &["name", "email"],
            &[
                row(&["Ann New", "ann@example.com"]),
                row(&["Bob New", "bob@example.com"]),
            ],
        )
    };

    let skipped = import(&url, &token, file(), "skip").await;
    assert_eq!(skipped["job"]["skipped"], 2, "{skipped}");
    assert_eq!(db.users().get(ann.id).await.unwrap().name, "Ann Old");

    let updated = import(&url, &token, file(), "update_name").await;
    assert_eq!(updated["job"]["updated"], 2, "{updated}");
    assert_eq!(db.users().get(ann.id).await.unwrap().name, "Ann New");
    let bob = db.users().get(bob_id).await.unwrap();
    assert_eq!(
        (bob.name.as_str(), bob.email.as_str()),
        ("Bob New", "Bob@Example.com"),
        "the email stays as stored"
    );

    let again = import(&url, &token, file(), "update_name").await;
    assert_eq!(
        again["job"]["skipped"], 2,
        "the names are the file's already: {again}"
    );
    let history = db.stores.audit.history(ann.id, None).await.unwrap();
    let actions: Vec<&str> = history
        .events
        .iter()
        .map(|event| event.action.as_str())
        .collect();
    assert_eq!(
        actions,
        ["update", "create"],
        "one event per change the import made"
    );
    db.drop().await;
}

#[tokio::test]
async fn a_user_created_or_changed_after_the_preview_keeps_what_someone_did() {
    let db = TestDb::alone(50).await;
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let token = db.token(Role::Editor).await;
    let cy = add(&db, "Cy Before", "cy@example.com").await;
    let file = csv_file(
        &["name", "email"],
        &[
            row(&["Dee From File", "dee@example.com"]),
            row(&["Cy From File", "cy@example.com"]),
        ],
    );
    let (_, preview) = upload(&url, &token, "users.csv", file, "update_name").await;
    let job = preview["job"]["id"].as_str().unwrap().to_owned();
    let preview = wait_for(&url, &token, &job, |p| p["job"]["state"] == "previewed").await;
    assert_eq!(preview["job"]["new_rows"], 1);

    // Meanwhile someone creates Dee through the app and renames Cy.
    let dee = add(&db, "Dee By Hand", "dee@example.com").await;
    let cy_now = db
        .users()
        .update(
            cy.id,
            Some(&cy),
            &validate_user("Cy By Hand", "cy@example.com").unwrap(),
            &Actor::CommandLine,
        )
        .await
        .unwrap();

    post_job(&url, &token, "start", &job).await;
    let done = wait_for(&url, &token, &job, |p| p["job"]["state"] == "done").await;
    assert_eq!(done["job"]["created"], 0, "{done}");
    assert_eq!(
        done["job"]["updated"], 2,
        "both names become the file's, from what they were then: {done}"
    );
    assert_eq!(db.users().get(dee.id).await.unwrap().name, "Dee From File");
    assert_eq!(
        db.users().get(cy_now.id).await.unwrap().name,
        "Cy From File"
    );
    assert_eq!(db.all_users().await.len(), 2, "no second Dee");
    db.drop().await;
}

#[tokio::test]
async fn cancel_stops_the_import_between_chunks() {
    let db = TestDb::alone(50).await;
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let token = db.token(Role::Editor).await;
    let rows: Vec<Vec<String>> = (0..5_000)
        .map(|i| vec![format!("Person {i}"), format!("p{i}@example.com")])
        .collect();
    let (_, preview) = upload(
        &url,
        &token,
        "big.csv",
        csv_file(&["name", "email"], &rows),
        "skip",
    )
    .await;
    let job = preview["job"]["id"].as_str().unwrap().to_owned();
    wait_for(&url, &token, &job, |p| p["job"]["state"] == "previewed").await;
    post_job(&url, &token, "start", &job).await;
    wait_for(&url, &token, &job, |p| p["job"]["done"].as_u64() > Some(0)).await;
    let (status, cancelling) = post_job(&url, &token, "cancel", &job).await;
    assert_eq!(status, StatusCode::OK, "{cancelling}");
    let cancelled = wait_for(&url, &token, &job, |p| p["job"]["state"] == "cancelled").await;
    let done = cancelled["job"]["done"].as_u64().unwrap();
    assert!(done < 5_000, "it stopped before the end: {cancelled}");
    assert_eq!(done % 500, 0, "at a chunk's end: {cancelled}");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(
        db.all_users().await.len() as u64,
        done,
        "nothing written after it stopped"
    );
    db.drop().await;
}

#[tokio::test]
async fn files_that_cannot_be_imported_get_one_message_and_nothing_is_written() {
    let db = TestDb::alone(50).await;
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let token = db.token(Role::Editor).await;
    for (file, says) in [
        (b"".to_vec(), "The file is empty"),
        (
            b"name,email\nZo\xEB,z@example.com\n".to_vec(),
            "not UTF-8 text (from line 2)",
        ),
        (b"Ann,ann@example.com\n".to_vec(), "must name the columns"),
        (b"name\nAnn\n".to_vec(), "it has no email"),
        (
            b"name,email,phone\nAnn,a@example.com,1\n".to_vec(),
            "does not take: phone",
        ),
        (
            b"name,email\n\"Ann,a@example.com\n".to_vec(),
            "not CSV as it should be",
        ),
    ] {
        let (status, body) = upload(&url, &token, "bad.csv", file, "skip").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(says), "{message:?} should say {says:?}");
    }
    let (status, body) = upload(
        &url,
        &token,
        "ok.csv",
        b"name,email\nA,a@example.com\n".to_vec(),
        "overwrite",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["fields"]["mode"]
            .as_str()
            .unwrap()
            .contains("skip or update_name"),
        "{body}"
    );
    // A BOM and CRLF are fine.
    let (status, body) = upload(
        &url,
        &token,
        "ok.csv",
        b"\xEF\xBB\xBFname,email\r\nA,a@example.com\r\n".to_vec(),
        "skip",
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["job"]["rows"], 1);
    let (status, list) = post_job(&url, &token, "list", "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "only the good file made a job: {list}"
    );
    assert!(db.all_users().await.is_empty());
    db.drop().await;
}

#[tokio::test]
async fn a_file_past_the_limit_is_413_naming_it() {
    let db = TestDb::alone(50).await;
    let settings = WebSettings {
        import_max_bytes: 64 * 1024,
        ..test_config(&[]).web_settings()
    };
    let url = spawn_app_with_settings(Database::connected(db.stores.clone()), settings)
        .await
        .url;
    let token = db.token(Role::Editor).await;
    let rows: Vec<Vec<String>> = (0..3_000)
        .map(|i| vec![format!("P {i}"), format!("p{i}@example.com")])
        .collect();
    let (status, body) = upload(
        &url,
        &token,
        "big.csv",
        csv_file(&["name", "email"], &rows),
        "skip",
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("64 KiB at most"),
        "{body}"
    );
    db.drop().await;
}

#[tokio::test]
async fn viewers_may_look_but_not_import_and_strangers_get_401() {
    let db = TestDb::alone(50).await;
    let url = spawn_app(Database::connected(db.stores.clone())).await;
    let (viewer, editor) = (db.token(Role::Viewer).await, db.token(Role::Editor).await);
    let file = || b"name,email\nA,a@example.com\n".to_vec();
    let (status, _) = upload(&url, &viewer, "a.csv", file(), "skip").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, preview) = upload(&url, &editor, "a.csv", file(), "skip").await;
    assert_eq!(status, StatusCode::CREATED);
    let job = preview["job"]["id"].as_str().unwrap();
    for endpoint in ["start", "cancel"] {
        let (status, body) = post_job(&url, &viewer, endpoint, job).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{endpoint}: {body}");
    }
    let (status, _) = post_job(&url, &viewer, "status", job).await;
    assert_eq!(status, StatusCode::OK, "viewers may look");
    let stranger = http_client().build().unwrap();
    for request in [
        stranger.post(format!("{url}/api/imports")).body("x"),
        stranger
            .post(format!("{url}/api/imports/start"))
            .form(&[("job", job)]),
        stranger.get(format!("{url}/api/users/export.csv")),
        stranger.get(format!("{url}/api/imports/errors.csv?job={job}")),
    ] {
        assert_eq!(
            request.send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, body) = post_job(&url, &editor, "status", &Uuid::new_v4().to_string()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    db.drop().await;
}
