//! The one verification pipeline of access, refresh and service tokens: the header is read
//! once, one `typ` rule applies, the key is chosen by `kid` from the token type's ring, the
//! token is decoded and its lifetime checked, and jsonwebtoken's errors are mapped once.

use std::time::Duration;

use jsonwebtoken::TokenData;
use serde::de::DeserializeOwned;

use super::key_ring::{KeyRing, RingKey};
use super::key_set::token_head;
use super::{JwtConfig, TokenError, TokenType, vars};

/// A verified token and the key that verified it.
pub(crate) struct Verified<'r, C> {
    pub(crate) data: TokenData<C>,
    #[cfg_attr(not(feature = "service-auth"), allow(dead_code))]
    pub(crate) key: &'r RingKey,
}

/// The times of a token's claims: `iat` where present, and `exp`.
pub(crate) type Times = (Option<u64>, u64);

impl JwtConfig {
    /// Verifies a token of `token_type` with the keys of `ring`. The key is chosen by the
    /// token's `kid` before verifying; where the ring holds one key, the token is decoded at
    /// once and its header (parsed by that decode) checked after by the same rules, so a
    /// valid token's header is parsed once. `times` reads `iat` and `exp` from the claims.
    pub(crate) fn verify<'r, C: DeserializeOwned>(
        &self,
        ring: &'r KeyRing,
        token: &str,
        token_type: TokenType,
        times: impl FnOnce(&C) -> Option<Times>,
    ) -> Result<Verified<'r, C>, TokenError> {
        let (key, head_checked) = match ring.sole_key() {
            Some(key) => (key, false),
            None => (self.key_by_head(ring, token, token_type)?, true),
        };
        let validation = ring
            .validation(key.algorithm)
            .ok_or(TokenError::WrongAlgorithm)?;
        let data = match jsonwebtoken::decode::<C>(token, &key.key, validation) {
            Ok(data) => data,
            Err(error) => {
                // What the token is and which key it names say more than a failed decode.
                if !head_checked {
                    self.key_by_head(ring, token, token_type)?;
                }
                let issuer = ring.issuer.as_deref().unwrap_or_default();
                return Err(TokenError::from_refusal(
                    error.kind(),
                    &ring.audience,
                    issuer,
                ));
            }
        };
        if !head_checked {
            token_type.check(
                data.header.typ.as_deref(),
                self.accept_untyped_access_tokens,
            )?;
            ring.key_for(data.header.kid.as_deref())?;
        }
        let (iat, exp) = times(&data.claims).ok_or(TokenError::Malformed)?;
        self.check_times(iat, exp, token_type)?;
        Ok(Verified { data, key })
    }

    /// Reads the header alone: its `typ` must be `token_type`'s, its `kid` chooses the key.
    fn key_by_head<'r>(
        &self,
        ring: &'r KeyRing,
        token: &str,
        token_type: TokenType,
    ) -> Result<&'r RingKey, TokenError> {
        let head = token_head(token).ok_or(TokenError::Malformed)?;
        token_type.check(head.typ.as_deref(), self.accept_untyped_access_tokens)?;
        ring.key_for(head.kid.as_deref())
    }

    /// The lifetime of a token type, and the variable that sets it.
    fn lifetime_of(&self, token_type: TokenType) -> (Duration, &'static str) {
        let variable = match token_type {
            TokenType::Access => vars::ACCESS_TOKEN_EXPIRE_MINUTES,
            TokenType::Refresh => vars::REFRESH_TOKEN_EXPIRE_DAYS,
            TokenType::Service => vars::SERVICE_TOKEN_LIFETIME_SECONDS,
        };
        (self.lifetime(token_type), variable)
    }

    /// A verified token was not issued in the future (beyond the leeway) and lives no longer
    /// than this service's setting for its type plus the leeway: `exp - iat`, and (with or
    /// without `iat`) `exp` no further than that from now.
    fn check_times(
        &self,
        iat: Option<u64>,
        exp: u64,
        token_type: TokenType,
    ) -> Result<(), TokenError> {
        let (lifetime, variable) = self.lifetime_of(token_type);
        let leeway = self.leeway_seconds;
        let now = jsonwebtoken::get_current_timestamp();
        if iat.is_some_and(|iat| iat > now.saturating_add(leeway)) {
            return Err(TokenError::NotYetValid);
        }
        let max = lifetime.as_secs() + leeway;
        let lived = exp.saturating_sub(iat.unwrap_or(now).min(now));
        if lived > max {
            return Err(TokenError::LifetimeTooLong {
                expected: token_type.in_words(),
                lifetime: lived,
                max,
                variable,
            });
        }
        Ok(())
    }
}
