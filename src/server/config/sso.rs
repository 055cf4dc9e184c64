//! Single sign-on through an OpenID Provider (`OIDC_*`), and who may still sign in with a
//! password (`PASSWORD_SIGN_IN`, `BREAK_GLASS_ADMIN`).

use crate::model::Role;
use secrecy::SecretString;

/// Where the provider sends the browser back, under `PUBLIC_URL`.
pub const CALLBACK_PATH: &str = "/auth/oidc/callback";

/// The provider and this app's registration with it. `Debug` never shows the secret.
#[derive(Clone, Debug)]
pub struct SsoSettings {
    /// `OIDC_ISSUER`: discovery is read from `{issuer}/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// The name on the sign-in button: "Sign in with {provider_name}".
    pub provider_name: String,
    /// The ID token claim that lists the person's groups (or roles).
    pub role_claim: String,
    /// Which group gives which role; someone in several gets the highest.
    pub roles: Vec<(String, Role)>,
    /// The role of someone in none of `roles`; `None` refuses them.
    pub default_role: Option<Role>,
    /// `{PUBLIC_URL}/auth/oidc/callback`.
    pub redirect_uri: String,
}

impl PartialEq for SsoSettings {
    fn eq(&self, other: &Self) -> bool {
        use secrecy::ExposeSecret;
        self.issuer == other.issuer
            && self.client_id == other.client_id
            && self.client_secret.expose_secret() == other.client_secret.expose_secret()
            && self.provider_name == other.provider_name
            && self.role_claim == other.role_claim
            && self.roles == other.roles
            && self.default_role == other.default_role
            && self.redirect_uri == other.redirect_uri
    }
}

impl Eq for SsoSettings {}

impl SsoSettings {
    /// The role that the groups in the ID token's role claim give, if any.
    pub fn role_for(&self, groups: &[String]) -> Option<Role> {
        let mapped = self
            .roles
            .iter()
            .filter(|(group, _)| groups.iter().any(|g| g == group))
            .map(|(_, role)| *role)
            .max();
        mapped.or(self.default_role)
    }
}

/// The address people reach the console at (`PUBLIC_URL`), when set.
pub fn parse_public_url(value: Option<String>) -> Result<Option<url::Url>, Problem> {
    let Some(value) = value else {
        return Ok(None);
    };
    url::Url::parse(value.trim())
        .ok()
        .filter(|url| matches!(url.scheme(), "https" | "http") && url.host().is_some())
        .map(Some)
        .ok_or_else(|| {
            (
                "PUBLIC_URL",
                format!("'{value}' is not an http(s) URL such as https://users.example.org"),
            )
        })
}

/// One bad `OIDC_*` or `PUBLIC_URL` setting: the variable and what is wrong.
pub type Problem = (&'static str, String);

/// The settings when `OIDC_ISSUER` is set. `read_file` reads `OIDC_CLIENT_SECRET_FILE`.
pub fn parse(
    lookup: &dyn Fn(&str) -> Option<String>,
    read_file: &dyn Fn(&str) -> std::io::Result<String>,
    public_url: Option<&url::Url>,
) -> Result<Option<SsoSettings>, Problem> {
    let Some(issuer) = lookup("OIDC_ISSUER").map(|v| v.trim().to_owned()) else {
        return Ok(None);
    };
    let issuer_url = url::Url::parse(&issuer)
        .ok()
        .filter(|url| matches!(url.scheme(), "https" | "http"))
        .ok_or_else(|| ("OIDC_ISSUER", format!("'{issuer}' is not an http(s) URL")))?;
    let public = public_url.ok_or((
        "PUBLIC_URL",
        "must be set with OIDC_ISSUER: the provider sends people back to {PUBLIC_URL}/auth/oidc/callback, \
         which a listening address such as 0.0.0.0 cannot give"
            .to_owned(),
    ))?;
    let client_id = lookup("OIDC_CLIENT_ID")
        .map(|v| v.trim().to_owned())
        .ok_or(("OIDC_CLIENT_ID", "must be set with OIDC_ISSUER".to_owned()))?;
    let client_secret = match (
        lookup("OIDC_CLIENT_SECRET"),
        lookup("OIDC_CLIENT_SECRET_FILE"),
    ) {
        (Some(secret), None) => secret.trim().to_owned(),
        (None, Some(path)) => read_file(path.trim())
            .map(|text| text.trim().to_owned())
            .map_err(|e| {
                (
                    "OIDC_CLIENT_SECRET_FILE",
                    format!("cannot read {path}: {e}"),
                )
            })?,
        (Some(_), Some(_)) => {
            return Err((
                "OIDC_CLIENT_SECRET",
                "set OIDC_CLIENT_SECRET or OIDC_CLIENT_SECRET_FILE, not both".to_owned(),
            ))
        }
        (None, None) => {
            return Err((
                "OIDC_CLIENT_SECRET",
                "must be set with OIDC_ISSUER (or OIDC_CLIENT_SECRET_FILE)".to_owned(),
            ))
        }
    };
    let roles = parse_roles(&lookup("OIDC_ROLES").unwrap_or_default())
        .map_err(|problem| ("OIDC_ROLES", problem))?;
    let default_role = match lookup("OIDC_DEFAULT_ROLE") {
        None => None,
        Some(role) => Some(role.trim().parse::<Role>().map_err(|_| {
            (
                "OIDC_DEFAULT_ROLE",
                format!("'{role}' is not a role (viewer, editor, admin)"),
            )
        })?),
    };
    if roles.is_empty() && default_role.is_none() {
        return Err((
            "OIDC_ROLES",
            "must map at least one group to a role (e.g. users-admin=admin,users-editor=editor), \
             or OIDC_DEFAULT_ROLE must be set"
                .to_owned(),
        ));
    }
    let provider_name = lookup("OIDC_PROVIDER_NAME")
        .map(|v| v.trim().to_owned())
        .unwrap_or_else(|| issuer_url.host_str().unwrap_or("single sign-on").to_owned());
    Ok(Some(SsoSettings {
        issuer,
        client_id,
        client_secret: SecretString::from(client_secret),
        provider_name,
        role_claim: lookup("OIDC_ROLE_CLAIM")
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| "groups".to_owned()),
        roles,
        default_role,
        redirect_uri: format!("{}{CALLBACK_PATH}", public.as_str().trim_end_matches('/')),
    }))
}

/// `group=role` pairs separated by commas.
fn parse_roles(value: &str) -> Result<Vec<(String, Role)>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (group, role) = pair
                .rsplit_once('=')
                .ok_or_else(|| format!("'{pair}' is not group=role"))?;
            let role = role.trim().parse::<Role>().map_err(|_| {
                format!("'{role}' in '{pair}' is not a role (viewer, editor, admin)")
            })?;
            Ok((group.trim().to_owned(), role))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Result<Option<SsoSettings>, Problem> {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let public = parse_public_url(lookup("PUBLIC_URL"))?;
        parse(
            &lookup,
            &|_| Ok("secret from a file\n".to_owned()),
            public.as_ref(),
        )
    }

    const MINIMAL: [(&str, &str); 5] = [
        ("OIDC_ISSUER", "https://id.example.org/realms/staff"),
        ("PUBLIC_URL", "https://users.example.org/"),
        ("OIDC_CLIENT_ID", "console"),
        ("OIDC_CLIENT_SECRET", "s3cret"),
        ("OIDC_ROLES", "users-admin=admin, users-editor=editor"),
    ];

    #[test]
    fn groups_give_the_highest_role_they_map_to() {
        let sso = settings(&MINIMAL).unwrap().unwrap();
        assert_eq!(
            sso.redirect_uri,
            "https://users.example.org/auth/oidc/callback"
        );
        assert_eq!(sso.role_claim, "groups");
        assert_eq!(sso.provider_name, "id.example.org");
        let groups = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(
            sso.role_for(&groups(&["users-editor", "users-admin"])),
            Some(Role::Admin)
        );
        assert_eq!(sso.role_for(&groups(&["users-editor"])), Some(Role::Editor));
        assert_eq!(sso.role_for(&groups(&["staff"])), None);
        let mut with_default = MINIMAL.to_vec();
        with_default.push(("OIDC_DEFAULT_ROLE", "viewer"));
        let sso = settings(&with_default).unwrap().unwrap();
        assert_eq!(sso.role_for(&groups(&["staff"])), Some(Role::Viewer));
    }

    #[test]
    fn without_an_issuer_there_is_no_single_sign_on() {
        assert!(settings(&[]).unwrap().is_none());
    }

    #[test]
    fn each_missing_or_bad_setting_is_named() {
        let without = |name: &str| -> Vec<(&str, &str)> {
            MINIMAL
                .iter()
                .copied()
                .filter(|(k, _)| *k != name)
                .collect()
        };
        let replaced = |name: &'static str, value: &'static str| -> Vec<(&str, &str)> {
            let mut vars = without(name);
            vars.push((name, value));
            vars
        };
        for (vars, variable) in [
            (without("PUBLIC_URL"), "PUBLIC_URL"),
            (without("OIDC_CLIENT_ID"), "OIDC_CLIENT_ID"),
            (without("OIDC_CLIENT_SECRET"), "OIDC_CLIENT_SECRET"),
            (without("OIDC_ROLES"), "OIDC_ROLES"),
            (replaced("OIDC_ISSUER", "id.example.org"), "OIDC_ISSUER"),
            (replaced("PUBLIC_URL", "users"), "PUBLIC_URL"),
            (replaced("OIDC_ROLES", "users-admin=root"), "OIDC_ROLES"),
            (replaced("OIDC_ROLES", "users-admin"), "OIDC_ROLES"),
        ] {
            let (named, problem) = settings(&vars).unwrap_err();
            assert_eq!(named, variable, "{problem}");
        }
        let (named, problem) = settings(&without("PUBLIC_URL")).unwrap_err();
        assert_eq!(named, "PUBLIC_URL");
        assert!(problem.contains("OIDC_ISSUER"), "{problem}");
    }

    #[test]
    fn the_secret_may_come_from_a_file() {
        let mut vars = MINIMAL.to_vec();
        vars.retain(|(k, _)| *k != "OIDC_CLIENT_SECRET");
        vars.push(("OIDC_CLIENT_SECRET_FILE", "/run/secrets/oidc"));
        let sso = settings(&vars).unwrap().unwrap();
        use secrecy::ExposeSecret;
        assert_eq!(sso.client_secret.expose_secret(), "secret from a file");
    }
}
