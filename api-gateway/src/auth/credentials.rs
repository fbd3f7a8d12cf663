//! Reads the gateway's credentials file (`--credentials FILE`): who may log in, with which
//! password (an Argon2 hash, never the password itself) and which role. Checked in full when
//! the gateway starts, so a typo stops it with the file, the line and the key.
//!
//! ```toml
//! [[users]]
//! name = "admin"
//! password = "$argon2id$v=19$m=19456,t=2,p=1$..."   # api-gateway hash-password
//! role = "admin"
//!
//! [[users]]
//! name = "alice"
//! password = "$argon2id$..."
//! role = "tenant_admin"      # or tenant_user (read only)
//! tenant = "acme"
//! ```

use std::collections::HashMap;
use std::path::Path;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Deserialize;
use toml::Spanned;

use crate::config::{self, ConfigError};

/// What a user may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// Everything, every tenant's objects, hosts, tunnel zones, batches, the change feed.
    Admin,
    /// Read and change the routers, bridges, chains and port groups of one tenant and what
    /// hangs under them.
    TenantAdmin { tenant: String },
    /// Read them only.
    TenantUser { tenant: String },
}

impl Role {
    /// The tenant a tenant role is confined to; `None` for the admin.
    pub fn tenant(&self) -> Option<&str> {
        match self {
            Role::Admin => None,
            Role::TenantAdmin { tenant } | Role::TenantUser { tenant } => Some(tenant),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum RoleName {
    Admin,
    TenantAdmin,
    TenantUser,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserEntry {
    name: Spanned<String>,
    password: Spanned<String>,
    role: RoleName,
    tenant: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    #[serde(default)]
    users: Vec<UserEntry>,
}

struct User {
    /// The PHC string (`$argon2id$...`), checked to parse when the file is read.
    hash: String,
    role: Role,
}

/// The users of a credentials file.
pub struct Credentials {
    users: HashMap<String, User>,
}

// Names and roles only: the hashes stay out of logs and panics.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.users.iter().map(|(name, user)| (name, &user.role)))
            .finish()
    }
}

impl Credentials {
    /// Reads and checks `path`: every user named once, a password that is an Argon2 hash, a
    /// tenant for the tenant roles and none for the admin.
    pub fn load(path: &Path) -> Result<Credentials, ConfigError> {
        let file = config::load::<CredentialsFile>(path)?;
        let mut users = HashMap::new();
        for (i, entry) in file.values.users.iter().enumerate() {
            let key = |field: &str| format!("users[{i}].{field}");
            let name = entry.name.get_ref();
            if name.is_empty() || name.contains(':') {
                let why = "a user name is not empty and has no ':' (HTTP Basic splits on it)";
                return Err(file.invalid(&key("name"), entry.name.span(), why));
            }
            PasswordHash::new(entry.password.get_ref()).map_err(|e| {
                file.invalid(
                    &key("password"),
                    entry.password.span(),
                    format!("not a password hash ({e}); make one with `api-gateway hash-password`"),
                )
            })?;
            let tenant = entry.tenant.as_ref();
            let role = match (entry.role, tenant) {
                (RoleName::Admin, None) => Role::Admin,
                (RoleName::Admin, Some(t)) => {
                    return Err(file.invalid(
                        &key("tenant"),
                        t.span(),
                        "an admin has no tenant: it sees every tenant",
                    ))
                }
                (_, None) => {
                    return Err(file.invalid(
                        &key("role"),
                        entry.name.span(),
                        "tenant_admin and tenant_user need a tenant",
                    ))
                }
                (_, Some(t)) if t.get_ref().is_empty() => {
                    return Err(file.invalid(&key("tenant"), t.span(), "is empty"))
                }
                (RoleName::TenantAdmin, Some(t)) => Role::TenantAdmin {
                    tenant: t.get_ref().clone(),
                },
                (RoleName::TenantUser, Some(t)) => Role::TenantUser {
                    tenant: t.get_ref().clone(),
                },
            };
            let user = User {
                hash: entry.password.get_ref().clone(),
                role,
            };
            if users.insert(name.clone(), user).is_some() {
                let why = format!("{name:?} is named twice");
                return Err(file.invalid(&key("name"), entry.name.span(), why));
            }
        }
        Ok(Credentials { users })
    }

    /// How many users may log in.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// The role of `name` if `password` is theirs. Unknown users cost a hash check too, so
    /// timing does not tell which names exist.
    pub fn verify(&self, name: &str, password: &str) -> Option<Role> {
        let user = self.users.get(name);
        let hash = user.map_or(DECOY_HASH, |u| u.hash.as_str());
        let parsed = PasswordHash::new(hash).ok()?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        user.filter(|_| ok).map(|u| u.role.clone())
    }
}

/// The hash of nothing anyone can type, checked against for unknown user names.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$ZGVjb3lkZWNveWRlY295$0AS3Blp3f3CQyPQ1pPu8Pw0v3WU1Y0Tm0H2l7b4Vj8Q";

/// The Argon2id hash (a PHC string) of `password` with a fresh random salt, for the
/// credentials file (`api-gateway hash-password`).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing the password: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Credentials, String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("credentials.toml");
        std::fs::write(&path, text).expect("write");
        Credentials::load(&path).map_err(|e| {
            let message = e.to_string();
            message
                .split_once("credentials.toml: ")
                .map_or(message.clone(), |(_, rest)| rest.to_string())
        })
    }

    #[test]
    fn users_log_in_with_their_password_only() {
        let hash = hash_password("s3cret").expect("hash");
        let creds = load(&format!(
            "[[users]]\nname = \"admin\"\npassword = \"{hash}\"\nrole = \"admin\"\n\
             [[users]]\nname = \"alice\"\npassword = \"{hash}\"\nrole = \"tenant_user\"\ntenant = \"acme\"\n"
        ))
        .expect("valid");
        assert_eq!(creds.len(), 2);
        assert_eq!(creds.verify("admin", "s3cret"), Some(Role::Admin));
        assert_eq!(
            creds.verify("alice", "s3cret"),
            Some(Role::TenantUser {
                tenant: "acme".into()
            })
        );
        assert_eq!(creds.verify("alice", "wrong"), None);
        assert_eq!(creds.verify("mallory", "s3cret"), None);
        assert!(
            PasswordHash::new(DECOY_HASH).is_ok(),
            "unknown names cost a real check"
        );
    }

    #[test]
    fn a_bad_file_is_refused_with_the_line_and_key() {
        let hash = hash_password("x").expect("hash");
        assert_eq!(
            load("[[users]]\nname = \"a\"\npassword = \"plain\"\nrole = \"admin\"\n").unwrap_err(),
            "line 3: users[0].password: not a password hash (password hash string missing field); \
             make one with `api-gateway hash-password`"
        );
        assert_eq!(
            load(&format!(
                "[[users]]\nname = \"a\"\npassword = \"{hash}\"\nrole = \"tenant_admin\"\n"
            ))
            .unwrap_err(),
            "line 2: users[0].role: tenant_admin and tenant_user need a tenant"
        );
        assert_eq!(
            load(&format!(
                "[[users]]\nname = \"a\"\npassword = \"{hash}\"\nrole = \"admin\"\ntenant = \"t\"\n"
            ))
            .unwrap_err(),
            "line 5: users[0].tenant: an admin has no tenant: it sees every tenant"
        );
        assert_eq!(
            load(&format!(
                "[[users]]\nname = \"a\"\npassword = \"{hash}\"\nrole = \"admin\"\n\
                 [[users]]\nname = \"a\"\npassword = \"{hash}\"\nrole = \"admin\"\n"
            ))
            .unwrap_err(),
            "line 6: users[1].name: \"a\" is named twice"
        );
        let unknown = load("[[users]]\nname = \"a\"\nrole = \"root\"\n").unwrap_err();
        assert!(unknown.contains("line 3"), "{unknown}");
    }
}
