//! Single sign-on through a real OpenID Provider (`oidc-provider` on loopback): the operator is
//! made at the first sign-in with the role of their groups and follows them at every sign-in;
//! a provider account never becomes the local operator of its name; a wrong `state`, a replayed
//! code, a code issued to another client, an expired ID token, an ID token for another audience,
//! no role and a disabled operator are each refused with
//! their own message; an unreachable provider leaves password sign-in working; with passwords
//! off, only the break-glass admin keeps one.

use crate::helpers::{
    bind_ephemeral, browser, post_form, redirected, spawn_app_on, test_config, IdentityProvider,
    Served, TestDb, PASSWORD,
};
use cassandra_users::model::{Role, SsoRefusal};
use cassandra_users::server::Database;
use cassandra_users::validate::Username;
use reqwest::{Client, StatusCode};
use serde_json::Value;

/// The app over `db`, with single sign-on through a provider of its own, and `extra` settings.
async fn app_with_provider(db: &TestDb, extra: &[(&str, String)]) -> (Served, IdentityProvider) {
    app_with_provider_started(db, extra, &[]).await
}

/// The same, with the provider started with `options`.
async fn app_with_provider_started(
    db: &TestDb,
    extra: &[(&str, String)],
    options: &[&str],
) -> (Served, IdentityProvider) {
    let listener = bind_ephemeral().await;
    let url = format!("http://{}", listener.local_addr().unwrap());
    let provider = IdentityProvider::start_with(&format!("{url}/auth/oidc/callback"), options);
    let mut settings = provider.settings(&url);
    settings.extend(extra.iter().cloned());
    let app = serve(db, listener, &settings);
    wait_until_available(&app).await;
    (app, provider)
}

fn serve(db: &TestDb, listener: tokio::net::TcpListener, settings: &[(&str, String)]) -> Served {
    let web = test_config(settings).web_settings();
    spawn_app_on(listener, Database::connected(db.stores.clone()), web)
}

/// The sign-in page's button, as its server function says it.
async fn button(app: &Served) -> Value {
    post_form(&browser(), &format!("{}/api/auth/sso", app.url), &[])
        .await
        .1
}

/// Until the app has read the provider's discovery document and keys (in the background).
async fn wait_until_available(app: &Served) {
    for _ in 0..200 {
        if button(app).await["available"] == true {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!(
        "the app did not read the test provider: {}",
        button(app).await
    );
}

/// A new browser signed in at the provider as `login` in `groups`, and where the app sent it
/// when the provider sent it back.
async fn through_provider(
    provider: &IdentityProvider,
    app: &Served,
    login: &str,
    groups: &str,
) -> (Client, String) {
    let person = browser();
    let callback = provider
        .sign_in(&person, &app.url, login, groups, |a| a)
        .await;
    let landed = back_at_app(&person, &callback).await;
    (person, landed)
}

/// Follows the provider's answer back into the app: where the app sends the browser then.
async fn back_at_app(browser: &Client, callback: &str) -> String {
    let response = browser.get(callback).send().await.unwrap();
    redirected(response)
}

/// Who the browser's session belongs to, if anyone.
async fn whoami(browser: &Client, app: &Served) -> Option<(String, String)> {
    let (status, me) = post_form(browser, &format!("{}/api/auth/me", app.url), &[]).await;
    if status == StatusCode::UNAUTHORIZED {
        return None;
    }
    assert_eq!(status, StatusCode::OK, "{me}");
    let username = me["username"].as_str()?.to_owned();
    Some((username, me["role"].as_str().unwrap().to_owned()))
}

fn refused(refusal: SsoRefusal) -> String {
    format!("/sign-in?sso_error={}", refusal.code())
}

#[tokio::test]
async fn the_first_sign_in_makes_the_operator_and_each_one_sets_the_role_of_their_groups() {
    let db = TestDb::new(50).await;
    let (app, provider) = app_with_provider(&db, &[]).await;
    let login = db.username("sso-ed");

    let (editor, landed) = through_provider(&provider, &app, &login, "users-editor,staff").await;
    assert_eq!(landed, "/");
    assert_eq!(
        whoami(&editor, &app).await,
        Some((login.clone(), "editor".into()))
    );
    let pages = editor.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(
        pages.status(),
        StatusCode::OK,
        "an SSO operator reaches the list"
    );

    let promoted = browser();
    let callback = provider
        .sign_in(
            &promoted,
            &app.url,
            &login,
            "users-editor,users-admin",
            |a| a,
        )
        .await;
    assert_eq!(back_at_app(&promoted, &callback).await, "/");
    assert_eq!(
        whoami(&promoted, &app).await,
        Some((login.clone(), "admin".into()))
    );
    let changed = db
        .find_activity(|event| event.action == "operator role" && event.details.contains(&login))
        .await;
    assert!(changed.is_some(), "the role change is audited");
    let added = db
        .find_activity(|event| event.action == "operator add" && event.details.contains(&login))
        .await
        .expect("the operator's creation is audited");
    assert!(added.details.contains("subject-"), "{}", added.details);

    // No password works for an operator of single sign-on.
    let guesser = browser();
    let form = [("username", login.as_str()), ("password", PASSWORD)];
    let (status, body) = post_form(&guesser, &format!("{}/api/auth/sign-in", app.url), &form).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(whoami(&guesser, &app).await, None);
    db.drop().await;
}

#[tokio::test]
async fn the_name_and_the_groups_may_come_from_the_userinfo_answer() {
    let db = TestDb::new(50).await;
    let (app, provider) = app_with_provider_started(&db, &[], &["--claims-in-userinfo"]).await;
    let login = db.username("sso-info");
    let (person, landed) = through_provider(&provider, &app, &login, "users-admin").await;
    assert_eq!(landed, "/");
    assert_eq!(
        whoami(&person, &app).await,
        Some((login.clone(), "admin".into()))
    );
    let (_, landed) = through_provider(&provider, &app, &db.username("sso-none"), "").await;
    assert_eq!(landed, refused(SsoRefusal::NoRole));
    db.drop().await;
}

#[tokio::test]
async fn an_expired_id_token_and_one_for_another_audience_are_refused() {
    let db = TestDb::new(50).await;
    for options in [
        &["--expired-id-tokens"][..],
        &["--id-token-audience", "another-app"][..],
    ] {
        let (app, provider) = app_with_provider_started(&db, &[], options).await;
        let login = db.username("sso-untrusted");
        let (person, landed) = through_provider(&provider, &app, &login, "users-admin").await;
        assert_eq!(landed, refused(SsoRefusal::NotVerified), "{options:?}");
        assert_eq!(whoami(&person, &app).await, None, "{options:?}");
    }
    db.drop().await;
}

#[tokio::test]
async fn a_provider_account_never_becomes_the_local_operator_of_its_name() {
    let db = TestDb::new(50).await;
    let (app, provider) = app_with_provider(&db, &[]).await;
    let name = db.username("local");
    db.operator(&name, Role::Viewer).await;

    let (sso, landed) = through_provider(&provider, &app, &name, "users-admin").await;
    assert_eq!(landed, "/");
    let (username, role) = whoami(&sso, &app).await.expect("signed in");
    assert_eq!(username, format!("{name}-2"));
    assert_eq!(role, "admin");

    let local = db.stores.operators.get(&name).await.unwrap().unwrap();
    assert_eq!(local.role, Role::Viewer, "the local operator is untouched");
    let password = browser();
    let form = [("username", name.as_str()), ("password", PASSWORD)];
    let (status, body) =
        post_form(&password, &format!("{}/api/auth/sign-in", app.url), &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        whoami(&password, &app).await,
        Some((name.clone(), "viewer".into()))
    );

    // The same account signs in again as the same operator.
    let (again, landed) = through_provider(&provider, &app, &name, "users-admin").await;
    assert_eq!(landed, "/");
    assert_eq!(whoami(&again, &app).await.unwrap().0, format!("{name}-2"));
    db.drop().await;
}

#[tokio::test]
async fn a_wrong_state_a_replayed_code_and_a_code_for_another_client_are_refused() {
    let db = TestDb::new(50).await;
    let (app, provider) = app_with_provider(&db, &[]).await;
    let login = db.username("sso-tamper");

    let tampered = browser();
    let callback = provider
        .sign_in(&tampered, &app.url, &login, "users-admin", |a| a)
        .await;
    let wrong_state = callback.replace("state=", "state=x");
    assert_eq!(
        back_at_app(&tampered, &wrong_state).await,
        refused(SsoRefusal::WrongState)
    );
    assert_eq!(whoami(&tampered, &app).await, None);
    // The sign-in it began is over: its own answer no longer counts either.
    assert_eq!(
        back_at_app(&tampered, &callback).await,
        refused(SsoRefusal::NotStarted)
    );
    assert_eq!(whoami(&tampered, &app).await, None);

    let first = browser();
    let used = provider
        .sign_in(&first, &app.url, &login, "users-admin", |a| a)
        .await;
    assert_eq!(back_at_app(&first, &used).await, "/");
    // Another browser begins its own sign-in, then brings the used code with its own state.
    let replaying = browser();
    let own = provider
        .sign_in(&replaying, &app.url, &login, "users-admin", |a| a)
        .await;
    let code_of = |url: &str| query_value(url, "code");
    let replayed = own.replace(&code_of(&own), &code_of(&used));
    assert_eq!(
        back_at_app(&replaying, &replayed).await,
        refused(SsoRefusal::NotVerified)
    );
    assert_eq!(whoami(&replaying, &app).await, None);

    let other_client = browser();
    let callback = provider
        .sign_in(
            &other_client,
            &app.url,
            &login,
            "users-admin",
            |authorize| authorize.replace("client_id=cassandra-users", "client_id=another-app"),
        )
        .await;
    assert_eq!(
        back_at_app(&other_client, &callback).await,
        refused(SsoRefusal::NotVerified)
    );
    assert_eq!(whoami(&other_client, &app).await, None);

    let unstarted = browser();
    assert_eq!(
        back_at_app(&unstarted, &used).await,
        refused(SsoRefusal::NotStarted)
    );
    db.drop().await;
}

fn query_value(url: &str, name: &str) -> String {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

#[tokio::test]
async fn no_role_claim_no_mapped_group_and_a_disabled_operator_stay_out() {
    let db = TestDb::new(50).await;
    let (app, provider) = app_with_provider(&db, &[]).await;
    let login = db.username("sso-out");
    for groups in ["", "staff,finance"] {
        let (person, landed) = through_provider(&provider, &app, &login, groups).await;
        assert_eq!(landed, refused(SsoRefusal::NoRole), "groups {groups:?}");
        assert_eq!(whoami(&person, &app).await, None);
    }
    assert!(
        !db.operator_names().await.contains(&login),
        "no operator for someone without a role"
    );
    let refusal = db
        .find_activity(|event| event.action == "sign-in refused" && event.details.contains(&login))
        .await;
    assert!(refusal.is_some(), "the refusals are audited");

    let (person, landed) = through_provider(&provider, &app, &login, "users-editor").await;
    assert_eq!(landed, "/");
    let name = Username::parse(&login).unwrap();
    let admin = cassandra_users::server::audit::Actor::CommandLine;
    db.stores
        .operators
        .set_disabled(&name, true, &admin)
        .await
        .unwrap();
    assert_eq!(
        whoami(&person, &app).await,
        None,
        "the session ends with the operator"
    );
    let (again, landed) = through_provider(&provider, &app, &login, "users-admin").await;
    assert_eq!(landed, refused(SsoRefusal::Disabled));
    assert_eq!(whoami(&again, &app).await, None);
    let record = db.stores.operators.get(&login).await.unwrap().unwrap();
    assert_eq!(
        record.role,
        Role::Editor,
        "a disabled operator's role is not changed by a sign-in"
    );
    db.drop().await;
}

#[tokio::test]
async fn an_unreachable_provider_leaves_password_sign_in_working() {
    let db = TestDb::new(50).await;
    let listener = bind_ephemeral().await;
    let url = format!("http://{}", listener.local_addr().unwrap());
    // A port on loopback where nothing listens: connections are refused at once.
    let nowhere = bind_ephemeral().await;
    let issuer = format!("http://{}", nowhere.local_addr().unwrap());
    drop(nowhere);
    let mut settings = IdentityProvider::settings_for(&issuer, &url);
    settings.push(("PASSWORD_SIGN_IN", "true".into()));
    let app = serve(&db, listener, &settings);

    let shown = button(&app).await;
    assert_eq!(shown["provider_name"], "Test Provider");
    assert_eq!(shown["available"], false);
    let person = browser();
    let start = person
        .get(format!("{url}/auth/oidc/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(redirected(start), refused(SsoRefusal::Unavailable));
    let page = person
        .get(format!("{url}{}", refused(SsoRefusal::Unavailable)))
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Test Provider cannot be reached right now"),
        "{html}"
    );

    let name = db.username("pw");
    db.operator(&name, Role::Editor).await;
    let form = [("username", name.as_str()), ("password", PASSWORD)];
    let (status, body) = post_form(&person, &format!("{url}/api/auth/sign-in"), &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    db.drop().await;
}

#[tokio::test]
async fn with_passwords_off_only_the_break_glass_admin_signs_in_with_one() {
    let db = TestDb::new(50).await;
    let admin = db.username("glass");
    let other = db.username("nopw");
    db.operator(&admin, Role::Admin).await;
    db.operator(&other, Role::Admin).await;
    let extra = [
        ("PASSWORD_SIGN_IN", "false".to_owned()),
        ("BREAK_GLASS_ADMIN", admin.clone()),
    ];
    let (app, _provider) = app_with_provider(&db, &extra).await;
    let sign_in = |username: &str| {
        let form = [
            ("username", username.to_owned()),
            ("password", PASSWORD.to_owned()),
        ];
        let url = format!("{}/api/auth/sign-in", app.url);
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(&browser(), &url, &form).await
        }
    };
    let (status, body) = sign_in(&other).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body.to_string().contains("Passwords are turned off"),
        "{body}"
    );
    let (status, body) = sign_in(&admin).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    db.drop().await;
}
