//! Property: a secret's value, or any 6-character piece of it, never appears in any Display,
//! Debug, report, warning or fingerprint (with its per-setting digests), whatever the value
//! and whichever kind of field holds it.

mod common;

use jwt_config::{Config, MapSource, Secret};
use proptest::prelude::*;

#[derive(Config, Debug)]
#[allow(dead_code)]
struct Kinds {
    #[config(secret, range(1..=100))]
    ranged: Option<u64>,
    #[config(secret, min_len = 64)]
    long: Option<String>,
    #[config(secret, parse_with = quote_back)]
    custom: Option<String>,
    #[config(secret)]
    from_str: Option<std::net::IpAddr>,
    #[config(secret, range(1..=9))]
    list: Option<Vec<u8>>,
    wrapped: Option<Secret<String>>,
}

/// A parser that quotes its input every way a careless one might.
fn quote_back(text: &str) -> Result<String, String> {
    let half: String = text.chars().skip(2).collect();
    Err(format!("{text:?} / {} / {half}", text.trim()))
}

fn rendered(source: &MapSource) -> String {
    match Kinds::load_with_report(source) {
        Ok(loaded) => format!(
            "{:?} {:?} {:?} {:?} {:?}",
            loaded.value,
            loaded.variables,
            loaded.warnings,
            loaded.fingerprint(),
            loaded
                .settings_fingerprint_of::<Kinds>()
                .map(|settings| settings.settings()),
        ),
        Err(error) => format!("{error} {error:?} {:?}", error.warnings()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn no_piece_of_a_secret_is_ever_shown(
        secret in "[a-zA-Z0-9 '\"\\\\_.:,-]{6,40}",
        field in prop::sample::select(vec!["RANGED", "LONG", "CUSTOM", "FROM_STR", "LIST", "WRAPPED"]),
        through_file in any::<bool>(),
    ) {
        let mut source = MapSource::new();
        let dir = common::temp_dir();
        if through_file {
            let path = dir.path().join("secret");
            std::fs::write(&path, &secret).unwrap();
            source.insert(format!("{field}_FILE"), path.to_str().unwrap());
        } else {
            source.insert(field, secret.as_str());
        }
        let shown = rendered(&source);
        let baseline = rendered(&MapSource::new()) + &rendered(&MapSource::new().with(field, "\u{1}"));
        let chars: Vec<char> = secret.chars().collect();
        for piece in chars.windows(6).map(|w| w.iter().collect::<String>()) {
            if piece.trim().len() == 6 && !baseline.contains(&piece) {
                prop_assert!(!shown.contains(&piece), "{piece:?} of {field} in {shown}");
            }
        }
    }
}
