//! What the fuzz targets share: one production configuration with fixed, fake secrets.

use jwt_config::MapSource;

/// Production settings of the service `backend`, for the issuer `auth` and audience `api`.
pub fn production() -> MapSource {
    MapSource::new()
        .with("ENVIRONMENT", "production")
        .with("JWT_SECRET_KEY", "fuzz-jwt-secret-key-of-at-least-32-bytes")
        .with("JWT_ISSUER", "auth")
        .with("JWT_AUDIENCE", "api")
        .with("SERVICE_ID", "backend")
        .with("SERVICE_SECRET", "fuzz-service-secret-of-at-least-32-bytes")
}
