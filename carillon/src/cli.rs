//! The administration subcommands: users, registrations, configuration checks.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use carillon_store::{LocationStore, SqliteStore, StoreOptions, User, UserStore};

use crate::config::Config;

/// The configuration with the command line's overrides applied.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The configuration (file or defaults).
    pub config: Config,
    /// The data directory in effect.
    pub data_dir: PathBuf,
}

/// A subcommand failed; the message is printed as is.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(pub String);

impl CliError {
    fn from(e: impl std::fmt::Display) -> Self {
        CliError(e.to_string())
    }
}

/// Reads the configuration (if any) and applies `--data`.
pub fn load(config: Option<&Path>, data: Option<PathBuf>) -> Result<Settings, CliError> {
    let config = match config {
        Some(p) => Config::load(p).map_err(CliError::from)?,
        None => Config::default(),
    };
    let data_dir = data.unwrap_or_else(|| config.server.data_dir.clone());
    Ok(Settings { config, data_dir })
}

/// `carillon config check FILE`
pub fn config_check(file: &Path) -> Result<(), CliError> {
    Config::load(file).map_err(CliError::from)?;
    println!("{}: ok", file.display());
    Ok(())
}

/// Unix seconds now.
pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn open_store(s: &Settings) -> Result<SqliteStore, CliError> {
    SqliteStore::open(&s.data_dir, StoreOptions::default()).map_err(CliError::from)
}

/// Splits `user@domain`, refusing what cannot be a SIP user.
fn split_user(arg: &str) -> Result<(String, String), CliError> {
    let arg = arg.strip_prefix("sip:").unwrap_or(arg);
    let bad = || CliError(format!("`{arg}` is not user@domain"));
    let (user, domain) = arg.rsplit_once('@').ok_or_else(bad)?;
    let user_ok = !user.is_empty()
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/".contains(&b));
    let domain_ok = !domain.is_empty()
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
    if !user_ok || !domain_ok {
        return Err(bad());
    }
    Ok((user.to_owned(), domain.to_ascii_lowercase()))
}

fn read_password() -> Result<String, CliError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        let p = rpassword::prompt_password("Password: ").map_err(CliError::from)?;
        let again = rpassword::prompt_password("Again: ").map_err(CliError::from)?;
        if p != again {
            return Err(CliError("the passwords differ".into()));
        }
        Ok(p)
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(CliError::from)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

/// `carillon user add user@domain [--password P]`
pub fn user_add(s: &Settings, arg: &str, password: Option<String>) -> Result<(), CliError> {
    let (username, domain) = split_user(arg)?;
    let password = match password {
        Some(p) => p,
        None => read_password()?,
    };
    if password.is_empty() {
        return Err(CliError("the password is empty".into()));
    }
    let store = open_store(s)?;
    let user = make_user(username, domain, &password);
    let new = store.put_user(&user).map_err(CliError::from)?;
    println!(
        "{} {}@{}",
        if new { "added" } else { "updated" },
        user.username,
        user.domain
    );
    Ok(())
}

fn make_user(username: String, domain: String, password: &str) -> User {
    User {
        ha1_md5: sip_auth::ha1(sip_auth::Algorithm::Md5, &username, &domain, password),
        ha1_sha256: sip_auth::ha1(sip_auth::Algorithm::Sha256, &username, &domain, password),
        username,
        domain,
        created_at: unix_now(),
    }
}

/// `carillon user import FILE`: `user@domain password` per line.
pub fn user_import(s: &Settings, file: &Path) -> Result<(), CliError> {
    let text =
        std::fs::read_to_string(file).map_err(|e| CliError(format!("{}: {e}", file.display())))?;
    let mut users = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |m: &str| CliError(format!("{}:{}: {m}", file.display(), n + 1));
        let (who, password) = line
            .split_once(char::is_whitespace)
            .ok_or_else(|| at("expected `user@domain password`"))?;
        let (username, domain) = split_user(who).map_err(|e| at(&e.0))?;
        let password = password.trim();
        if password.is_empty() {
            return Err(at("the password is empty"));
        }
        users.push(make_user(username, domain, password));
    }
    let store = open_store(s)?;
    let added = store.put_users(&users).map_err(CliError::from)?;
    println!("{added} added, {} updated", users.len() - added);
    Ok(())
}

/// `carillon user list`
pub fn user_list(s: &Settings) -> Result<(), CliError> {
    let store = open_store(s)?;
    for u in store.users().map_err(CliError::from)? {
        println!("{}@{}", u.username, u.domain);
    }
    Ok(())
}

/// `carillon user remove user@domain`: the user and its bindings go.
pub fn user_remove(s: &Settings, arg: &str) -> Result<(), CliError> {
    let (username, domain) = split_user(arg)?;
    let store = open_store(s)?;
    if !store
        .remove_user(&username, &domain)
        .map_err(CliError::from)?
    {
        return Err(CliError(format!("no user {username}@{domain}")));
    }
    let aor = format!("sip:{username}@{domain}");
    store
        .replace(&aor, Vec::new())
        .wait()
        .map_err(CliError::from)?;
    println!("removed {username}@{domain}");
    Ok(())
}

/// `carillon registrations`
pub fn registrations(s: &Settings) -> Result<(), CliError> {
    let store = open_store(s)?;
    let now = unix_now();
    let all = store.all(now);
    println!("{} registered contact(s)", all.len());
    for b in all {
        let source = match (&b.transport, b.source) {
            (Some(t), Some(a)) => format!("{t}:{a}"),
            _ => "-".to_owned(),
        };
        println!(
            "{}  {}  from {}  expires in {} s  {}",
            b.aor,
            b.uri,
            source,
            b.expires_at.saturating_sub(now),
            b.user_agent.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// `carillon bans`: what the abuse protection has banned, as the server last saved it
/// (every few seconds).
pub fn bans(s: &Settings) -> Result<(), CliError> {
    let store = open_store(s)?;
    let now = unix_now();
    let bans = store.bans(now).map_err(CliError::from)?;
    println!("{} ban(s)", bans.len());
    for b in bans {
        println!(
            "{}  {}  for {} s more (since {} s ago)",
            b.target,
            b.reason,
            b.until.saturating_sub(now),
            now.saturating_sub(b.since)
        );
    }
    Ok(())
}

/// `carillon bans lift TARGET`
pub fn bans_lift(s: &Settings, target: &str) -> Result<(), CliError> {
    if target.parse::<sip_abuse::BanTarget>().is_err() {
        return Err(CliError(format!(
            "`{target}` is not an address or user@address"
        )));
    }
    let store = open_store(s)?;
    store
        .request_ban_lift(target, unix_now())
        .map_err(CliError::from)?;
    println!("lift of {target} requested; the running server applies it within 5 s");
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn user_argument_is_split_and_domain_lowercased() {
        assert_eq!(
            split_user("alice@Example.COM").unwrap(),
            ("alice".to_owned(), "example.com".to_owned())
        );
        assert_eq!(split_user("sip:bob@127.0.0.1").unwrap().0, "bob");
        assert!(split_user("alice").is_err());
        assert!(split_user("al ice@example.com").is_err());
        assert!(split_user("@example.com").is_err());
    }
}
