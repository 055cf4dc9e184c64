//! Single sign-on through an OpenID Provider (`OIDC_*`), and who may still sign in with a
//! password (`PASSWORD_SIGN_IN`, `BREAK_GLASS_ADMIN`).

use super::values::{http_url, secret, text};
use crate::model::Role;
use clap::Args;
use secrecy::SecretString;
use std::path::PathBuf;

#[derive(Args, Clone, Debug)]
pub struct OidcArgs {
    /// The OpenID Provider (discovery at ISSUER/.well-known/openid-configuration); needs PUBLIC_URL
    #[arg(long, global = true, env = "OIDC_ISSUER", value_name = "OIDC_ISSUER", value_parser = issuer)]
    pub oidc_issuer: Option<String>,
    /// This console's client id at the provider
    #[arg(long, global = true, env = "OIDC_CLIENT_ID", value_name = "OIDC_CLIENT_ID", value_parser = text)]
    pub oidc_client_id: Option<String>,
    /// This console's client secret at the provider
    #[arg(
        long,
        global = true,
        env = "OIDC_CLIENT_SECRET",
        value_name = "OIDC_CLIENT_SECRET",
        hide_env_values = true,
        value_parser = secret
    )]
    pub oidc_client_secret: Option<SecretString>,
    /// A file holding the client secret (instead of OIDC_CLIENT_SECRET)
    #[arg(
        long,
        global = true,
        env = "OIDC_CLIENT_SECRET_FILE",
        value_name = "OIDC_CLIENT_SECRET_FILE"
    )]
    pub oidc_client_secret_file: Option<PathBuf>,
    /// The name on the sign-in button: "Sign in with NAME" (default: the issuer's host)
    #[arg(long, global = true, env = "OIDC_PROVIDER_NAME", value_name = "OIDC_PROVIDER_NAME", value_parser = text)]
    pub oidc_provider_name: Option<String>,
    /// The claim that lists a person's groups; a dotted path walks into objects (realm_access.roles)
    #[arg(long, global = true, env = "OIDC_ROLE_CLAIM", value_name = "OIDC_ROLE_CLAIM",
          default_value = "groups", value_parser = text)]
    pub oidc_role_claim: String,
    /// Which group gives which role: users-admin=admin,users-editor=editor (the highest wins)
    #[arg(long, global = true, env = "OIDC_ROLES", value_name = "OIDC_ROLES",
          default_value = "", value_parser = GroupRoles::parse)]
    pub oidc_roles: GroupRoles,
    /// The role of someone in none of OIDC_ROLES' groups (default: refused)
    #[arg(long, global = true, env = "OIDC_DEFAULT_ROLE", value_name = "OIDC_DEFAULT_ROLE", value_parser = parse_role)]
    pub oidc_default_role: Option<Role>,
}

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

/// `OIDC_ISSUER` as typed (an http(s) URL): the provider's `iss` must match it exactly, so it is
/// not normalised.
pub fn issuer(value: &str) -> Result<String, String> {
    http_url(value).map(|_| value.trim().to_owned())
}

/// One bad `OIDC_*` or `PUBLIC_URL` setting: the variable and what is wrong.
pub type Problem = (&'static str, String);

/// The settings when `OIDC_ISSUER` is set. `read_file` reads `OIDC_CLIENT_SECRET_FILE`.
pub fn parse(
    oidc: OidcArgs,
    public_url: Option<&url::Url>,
    read_file: &dyn Fn(&std::path::Path) -> std::io::Result<String>,
) -> Result<Option<SsoSettings>, Problem> {
    let Some(issuer) = oidc.oidc_issuer else {
        return Ok(None);
    };
    let public = public_url.ok_or((
        "PUBLIC_URL",
        "must be set with OIDC_ISSUER: the provider sends people back to {PUBLIC_URL}/auth/oidc/callback, \
         which a listening address such as 0.0.0.0 cannot give"
            .to_owned(),
    ))?;
    let client_id = oidc
        .oidc_client_id
        .ok_or(("OIDC_CLIENT_ID", "must be set with OIDC_ISSUER".to_owned()))?;
    let client_secret = match (oidc.oidc_client_secret, oidc.oidc_client_secret_file) {
        (Some(secret), None) => secret,
        (None, Some(path)) => read_file(&path)
            .map(|text| SecretString::from(text.trim().to_owned()))
            .map_err(|e| {
                (
                    "OIDC_CLIENT_SECRET_FILE",
                    format!("cannot read {}: {e}", path.display()),
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
    let GroupRoles(roles) = oidc.oidc_roles;
    let default_role = oidc.oidc_default_role;
    if roles.is_empty() && default_role.is_none() {
        return Err((
            "OIDC_ROLES",
            "must map at least one group to a role (e.g. users-admin=admin,users-editor=editor), \
             or OIDC_DEFAULT_ROLE must be set"
                .to_owned(),
        ));
    }
    let provider_name = oidc.oidc_provider_name.unwrap_or_else(|| {
        let host = http_url(&issuer)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned));
        host.unwrap_or_else(|| "single sign-on".to_owned())
    });
    Ok(Some(SsoSettings {
        issuer,
        client_id,
        client_secret,
        provider_name,
        role_claim: oidc.oidc_role_claim,
        roles,
        default_role,
        redirect_uri: format!("{}{CALLBACK_PATH}", public.as_str().trim_end_matches('/')),
    }))
}

/// Which group gives which role (`OIDC_ROLES`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupRoles(pub Vec<(String, Role)>);

impl GroupRoles {
    /// `group=role` pairs separated by commas.
    pub fn parse(value: &str) -> Result<GroupRoles, String> {
        parse_roles(value).map(GroupRoles)
    }
}

fn parse_role(value: &str) -> Result<Role, String> {
    value
        .trim()
        .parse::<Role>()
        .map_err(|_| format!("'{value}' is not a role (viewer, editor, admin)"))
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
    use super::super::lookup::parse_from_lookup;
    use super::*;

    /// The single sign-on settings, or the variable named by the first problem.
    fn settings(vars: &[(&str, &str)]) -> Result<Option<SsoSettings>, String> {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        };
        let oidc: OidcArgs = parse_from_lookup(lookup).map_err(|e| e.variable)?;
        let public_url = lookup("PUBLIC_URL")
            .map(|url| http_url(&url))
            .transpose()
            .map_err(|_| "PUBLIC_URL".to_owned())?;
        parse(oidc, public_url.as_ref(), &|_| {
            Ok("secret from a file\n".to_owned())
        })
        .map_err(|(variable, _)| variable.to_owned())
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
            assert_eq!(settings(&vars).unwrap_err(), variable);
        }
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
