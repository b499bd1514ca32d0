//! Optional bearer-token authentication for `baokan.v1.SearchService`
//! (health and reflection stay open, so probes and grpcurl's `list` work).
//! Tokens come from a file (one per line, `#` comments) and/or the
//! `BAOKAN_AUTH_TOKENS` variable (comma-separated). Only SHA-256 digests are
//! kept in memory and compared in constant time; tokens are never logged.

use std::path::Path;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tonic::{Request, Status};

/// Shortest token accepted: shorter ones are guessable.
pub const MIN_TOKEN_CHARS: usize = 16;

/// Why the token settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("cannot read the token file {path}: {source}")]
    File { path: String, source: std::io::Error },
    #[error("{origin}: a token is shorter than {MIN_TOKEN_CHARS} characters")]
    TooShort { origin: String },
    #[error("{origin}: a token contains whitespace or control characters")]
    BadCharacters { origin: String },
}

/// The accepted tokens.
#[derive(Clone)]
pub struct AuthTokens {
    digests: Arc<Vec<[u8; 32]>>,
}

impl std::fmt::Debug for AuthTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuthTokens({} tokens)", self.digests.len())
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Equal in time independent of where the first difference is.
fn constant_time_equal(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b.iter()).fold(0u8, |difference, (x, y)| difference | (x ^ y)) == 0
}

impl AuthTokens {
    /// Reads tokens from the file and the comma-separated list; `None` when
    /// neither gives any (authentication off).
    pub fn load(file: Option<&Path>, list: Option<&str>) -> Result<Option<AuthTokens>, AuthError> {
        let mut tokens: Vec<(String, String)> = Vec::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path)
                .map_err(|source| AuthError::File { path: path.display().to_string(), source })?;
            for (number, line) in text.lines().enumerate() {
                let line = line.trim();
                if !line.is_empty() && !line.starts_with('#') {
                    tokens.push((line.to_string(), format!("{} line {}", path.display(), number + 1)));
                }
            }
        }
        if let Some(list) = list {
            for (position, token) in list.split(',').map(str::trim).enumerate() {
                if !token.is_empty() {
                    tokens.push((token.to_string(), format!("BAOKAN_AUTH_TOKENS entry {}", position + 1)));
                }
            }
        }
        for (token, origin) in &tokens {
            if token.chars().count() < MIN_TOKEN_CHARS {
                return Err(AuthError::TooShort { origin: origin.clone() });
            }
            if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(AuthError::BadCharacters { origin: origin.clone() });
            }
        }
        if tokens.is_empty() {
            return Ok(None);
        }
        Ok(Some(AuthTokens { digests: Arc::new(tokens.iter().map(|(token, _)| digest(token)).collect()) }))
    }

    /// Accepts a request carrying `authorization: Bearer <token>` with a known token.
    pub fn check<T>(&self, request: &Request<T>) -> Result<(), Status> {
        let Some(value) = request.metadata().get("authorization") else {
            return Err(Status::unauthenticated(
                "missing bearer token: send the header `authorization: Bearer <token>`",
            ));
        };
        let presented = value
            .to_str()
            .ok()
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| Status::unauthenticated("the authorization header must be `Bearer <token>`"))?;
        let presented = digest(presented);
        // Compare with every token, so timing does not tell which one matched.
        let matched = self.digests.iter().fold(false, |found, known| found | constant_time_equal(known, &presented));
        if matched {
            Ok(())
        } else {
            Err(Status::unauthenticated("invalid bearer token"))
        }
    }
}

/// The interceptor checking tokens when authentication is on.
#[derive(Clone, Debug)]
pub struct AuthInterceptor(pub Option<AuthTokens>);

impl tonic::service::Interceptor for AuthInterceptor {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        match &self.0 {
            Some(tokens) => tokens.check(&request).map(|()| request),
            None => Ok(request),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_header(value: &str) -> Request<()> {
        let mut request = Request::new(());
        request.metadata_mut().insert("authorization", value.parse().unwrap());
        request
    }

    #[test]
    fn known_tokens_pass_and_others_are_unauthenticated() {
        let tokens = AuthTokens::load(None, Some("first-token-0123456789, second-token-0123456789")).unwrap().unwrap();
        assert!(tokens.check(&with_header("Bearer second-token-0123456789")).is_ok());
        let wrong = tokens.check(&with_header("Bearer third-token-0123456789")).unwrap_err();
        assert_eq!(wrong.code(), tonic::Code::Unauthenticated);
        assert_eq!(wrong.message(), "invalid bearer token");
        let missing = tokens.check(&Request::new(())).unwrap_err();
        assert_eq!(missing.code(), tonic::Code::Unauthenticated);
        assert!(tokens.check(&with_header("Basic Zm9vOmJhcg==")).is_err());
    }

    #[test]
    fn weak_or_missing_token_settings_are_refused_or_mean_off() {
        assert!(AuthTokens::load(None, None).unwrap().is_none());
        assert!(AuthTokens::load(None, Some(" , ")).unwrap().is_none());
        let error = AuthTokens::load(None, Some("short")).unwrap_err().to_string();
        assert_eq!(error, "BAOKAN_AUTH_TOKENS entry 1: a token is shorter than 16 characters");
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "# ops team\nfile-token-0123456789\n\n").unwrap();
        let tokens = AuthTokens::load(Some(file.path()), None).unwrap().unwrap();
        assert!(tokens.check(&with_header("Bearer file-token-0123456789")).is_ok());
        assert!(format!("{tokens:?}").contains("1 tokens"), "Debug never shows a token");
    }
}
