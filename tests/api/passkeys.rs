//! Passkeys over HTTP against the real node, for what needs no authenticator: the options a
//! ceremony starts with, and each answer the server cannot check refused with a sentence (the
//! ceremonies themselves run in Chromium's virtual authenticator: end2end/tests/passkeys.spec.ts).

use crate::helpers::{browser, post_form, serve_db, TestDb, PASSWORD};
use cassandra_users::model::Role;
use reqwest::{Client, StatusCode};
use serde_json::Value;

async fn signed_in(url: &str, username: &str) -> Client {
    let client = browser();
    let form = [("username", username), ("password", PASSWORD)];
    let (status, body) = post_form(&client, &format!("{url}/api/auth/sign-in"), &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    client
}

fn message(body: &Value) -> String {
    body["message"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_passkey_ceremony_refuses_what_it_cannot_check_with_a_sentence() {
    let db = TestDb::new(50).await;
    let app = serve_db(&db).await;
    // Passkeys belong to a host name: the same server, reached as localhost.
    let by_name = app.url.replace("127.0.0.1", "localhost");
    let username = db.username("pk");
    db.operator(&username, Role::Viewer).await;

    let person = signed_in(&by_name, &username).await;
    let (status, options) = post_form(
        &person,
        &format!("{by_name}/api/security/passkeys/begin"),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{options}");
    let options: Value = serde_json::from_str(options.as_str().unwrap()).unwrap();
    assert_eq!(options["publicKey"]["rp"]["id"], "localhost");
    assert_eq!(options["publicKey"]["user"]["name"], username.as_str());
    assert!(options["publicKey"]["challenge"].as_str().unwrap().len() >= 32);

    let finish = format!("{by_name}/api/security/passkeys/finish");
    let (status, body) = post_form(
        &person,
        &finish,
        &[("name", "k"), ("credential", "{not json")],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(message(&body).contains("was not accepted"), "{body}");
    // The ceremony's state was good once.
    let (status, body) = post_form(&person, &finish, &[("name", "k"), ("credential", "{}")]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        message(&body).contains("No passkey is being added"),
        "{body}"
    );
    let long_name = "n".repeat(61);
    let (status, body) = post_form(
        &person,
        &finish,
        &[("name", &long_name), ("credential", "{}")],
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Reached at an IP address, the page cannot use passkeys, and says why.
    let at_address = signed_in(&app.url, &username).await;
    let (status, body) = post_form(
        &at_address,
        &format!("{}/api/security/passkeys/begin", app.url),
        &[],
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        message(&body).contains("need this console's host name (localhost)"),
        "{body}"
    );
    let (_, overview) = post_form(
        &at_address,
        &format!("{}/api/security/status", app.url),
        &[],
    )
    .await;
    assert!(overview["passkeys_unavailable"].is_string(), "{overview}");
    assert_eq!(overview["passkeys"], serde_json::json!([]));

    // A script's token does not add second factors; nobody signs in with a passkey unasked.
    let token = db.token(Role::Admin).await;
    let scripted = browser()
        .post(format!("{by_name}/api/security/passkeys/begin"))
        .header(reqwest::header::ACCEPT, "application/json")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(scripted.status(), StatusCode::CONFLICT);
    let stranger = browser();
    let (status, body) =
        post_form(&stranger, &format!("{by_name}/api/auth/passkey/begin"), &[]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        message(&body).contains("username and password first"),
        "{body}"
    );
    let (status, offered) = post_form(
        &stranger,
        &format!("{by_name}/api/auth/passkey-offered"),
        &[],
    )
    .await;
    assert_eq!((status, offered), (StatusCode::OK, Value::Bool(false)));
    db.drop().await;
}
