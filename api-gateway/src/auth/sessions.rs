//! Session tokens: what `POST /login` hands out and every later request shows in
//! `X-Auth-Token`. A token is 32 random bytes in hex, known only to this gateway's memory, and
//! good for [`TOKEN_LIFETIME`]; a gateway restart logs everyone out (clients log in again, as
//! MidoNet's do when their token expires).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use super::credentials::Role;

/// How long a token is good for after login.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// Who a token belongs to.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: String,
    pub role: Role,
    expires: Instant,
}

/// The tokens issued and not yet expired.
#[derive(Default)]
pub struct Sessions {
    tokens: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// Issues a token for `user`; answers it and when it expires (wall-clock, for the client).
    pub fn issue(&self, user: &str, role: Role) -> (String, SystemTime) {
        let bytes: [u8; 32] = rand::random();
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let now = Instant::now();
        let session = Session {
            user: user.to_string(),
            role,
            expires: now + TOKEN_LIFETIME,
        };
        let mut tokens = self.lock();
        // Expired tokens go when new ones come, so the map stays as large as the live sessions.
        tokens.retain(|_, s| s.expires > now);
        tokens.insert(token.clone(), session);
        (token, SystemTime::now() + TOKEN_LIFETIME)
    }

    /// The session of `token`, if it was issued here and has not expired.
    pub fn lookup(&self, token: &str) -> Option<Session> {
        let tokens = self.lock();
        tokens
            .get(token)
            .filter(|s| s.expires > Instant::now())
            .cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock cannot leave the map half-changed: take it anyway.
        self.tokens.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_are_distinct_and_found_and_others_are_not() {
        let sessions = Sessions::default();
        let (a, _) = sessions.issue("alice", Role::Admin);
        let (b, _) = sessions.issue("alice", Role::Admin);
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(sessions.lookup(&a).expect("issued").user, "alice");
        assert!(sessions.lookup("0123").is_none());
    }
}
