//! The sample env files the README and the examples use load as the examples load them.

use jwt_config::{Config, EnvFile, Environment, JwtConfig, Layered, MapSource};

fn load(name: &str) -> JwtConfig {
    let path = format!("{}/examples/env/{name}.env", env!("CARGO_MANIFEST_DIR"));
    let file = EnvFile::isolated(path).unwrap();
    let layers = Layered::new()
        .over(MapSource::new().with("SERVICE_ID", "auth"))
        .over(file);
    JwtConfig::from_source(&layers).unwrap_or_else(|error| panic!("{name}.env: {error}"))
}

#[test]
fn every_sample_env_file_loads_in_its_environment() {
    assert_eq!(load("development").environment(), Environment::Development);
    assert_eq!(load("staging").environment(), Environment::Staging);
    assert_eq!(load("production").environment(), Environment::Production);
}

#[test]
fn a_token_issued_with_one_sample_is_accepted_with_the_same_sample_only() {
    let production = load("production");
    let token = production
        .encode(&production.access_claims("user-1"))
        .unwrap();
    assert!(
        production
            .decode::<jwt_config::AccessClaims>(&token)
            .is_ok()
    );
    assert!(
        load("staging")
            .decode::<jwt_config::AccessClaims>(&token)
            .is_err()
    );
}
