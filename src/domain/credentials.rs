//! A store's generated secrets: database passwords, the WordPress admin password and
//! WordPress's keys and salts, drawn from the operating system's CSPRNG.

use std::collections::BTreeMap;
use std::fmt;

/// Letters and digits only: safe inside shell words, SQL strings and URLs.
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const PASSWORD_LEN: usize = 32;
const SALT_LEN: usize = 64;

/// Keys of the `<store>-credentials` Secret.
pub const MYSQL_ROOT_PASSWORD: &str = "mysql-root-password";
pub const MYSQL_PASSWORD: &str = "mysql-password";
pub const WORDPRESS_ADMIN_PASSWORD: &str = "wordpress-admin-password";
/// WordPress's eight keys and salts: (Secret key, environment variable of the image).
pub const WORDPRESS_SALTS: [(&str, &str); 8] = [
    ("wordpress-auth-key", "WORDPRESS_AUTH_KEY"),
    ("wordpress-secure-auth-key", "WORDPRESS_SECURE_AUTH_KEY"),
    ("wordpress-logged-in-key", "WORDPRESS_LOGGED_IN_KEY"),
    ("wordpress-nonce-key", "WORDPRESS_NONCE_KEY"),
    ("wordpress-auth-salt", "WORDPRESS_AUTH_SALT"),
    ("wordpress-secure-auth-salt", "WORDPRESS_SECURE_AUTH_SALT"),
    ("wordpress-logged-in-salt", "WORDPRESS_LOGGED_IN_SALT"),
    ("wordpress-nonce-salt", "WORDPRESS_NONCE_SALT"),
];

/// Shown instead of a value wherever secrets are not to be revealed.
pub const PLACEHOLDER: &str = "<generated-on-create>";

/// The Secret's contents. `Debug` never prints the values.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials(BTreeMap<String, String>);

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.keys()).finish()
    }
}

impl Credentials {
    /// Fresh random values for every key.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut values = BTreeMap::new();
        for key in [
            MYSQL_ROOT_PASSWORD,
            MYSQL_PASSWORD,
            WORDPRESS_ADMIN_PASSWORD,
        ] {
            values.insert(key.to_string(), random_string(PASSWORD_LEN)?);
        }
        for (key, _) in WORDPRESS_SALTS {
            values.insert(key.to_string(), random_string(SALT_LEN)?);
        }
        Ok(Self(values))
    }

    /// Every key with the placeholder as its value, for output that must not reveal secrets.
    pub fn placeholder() -> Self {
        let keys = [
            MYSQL_ROOT_PASSWORD,
            MYSQL_PASSWORD,
            WORDPRESS_ADMIN_PASSWORD,
        ]
        .into_iter()
        .chain(WORDPRESS_SALTS.iter().map(|(k, _)| *k));
        Self(
            keys.map(|k| (k.to_string(), PLACEHOLDER.to_string()))
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn into_map(self) -> BTreeMap<String, String> {
        self.0
    }
}

/// A uniformly random string of letters and digits (rejection sampling avoids modulo
/// bias).
pub fn random_string(len: usize) -> Result<String, getrandom::Error> {
    let limit = u8::MAX - (u8::MAX % ALPHABET.len() as u8);
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf)?;
        for b in buf {
            if b < limit && out.len() < len {
                out.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_are_long_random_and_safe() {
        let a = Credentials::generate().unwrap_or_else(|e| panic!("{e}"));
        let b = Credentials::generate().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.0.len(), 11);
        for (key, value) in &a.0 {
            assert!(value.len() >= 24, "{key} is too short");
            assert!(
                value.bytes().all(|c| ALPHABET.contains(&c)),
                "{key} has unsafe characters"
            );
            assert_ne!(
                Some(value.as_str()),
                b.get(key),
                "{key} repeated across stores"
            );
        }
    }

    #[test]
    fn debug_output_hides_values() {
        let c = Credentials::generate().unwrap_or_else(|e| panic!("{e}"));
        let shown = format!("{c:?}");
        let password = c.get(MYSQL_PASSWORD).unwrap_or_default();
        assert!(!shown.contains(password));
        assert!(shown.contains(MYSQL_PASSWORD));
    }

    #[test]
    fn placeholder_has_the_same_keys() {
        let real = Credentials::generate().unwrap_or_else(|e| panic!("{e}"));
        let fake = Credentials::placeholder();
        assert!(real.0.keys().eq(fake.0.keys()));
        assert!(fake.0.values().all(|v| v == PLACEHOLDER));
    }
}
