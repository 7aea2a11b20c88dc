//! Property: no 6-character piece of a secret appears in anything the command prints, for
//! `check` and `diff`, as text and JSON, valid or not.

use jwt_config::JwtConfig;
use proptest::prelude::*;

fn run(args: &[&str]) -> String {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let args = std::iter::once("jwt-config").chain(args.iter().copied());
    jwt_config_cli::run::<JwtConfig>(args, &mut out, &mut err, false);
    String::from_utf8_lossy(&out).into_owned() + &String::from_utf8_lossy(&err)
}

/// Everything `check` and `diff` print for two services with these secrets.
fn printed(environment: &str, jwt_secret: &str, service_secret: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, id: &str| {
        let path = dir.path().join(name);
        let text = format!(
            "ENVIRONMENT={environment}\nSERVICE_ID={id}\nJWT_SECRET_KEY={jwt_secret}\n\
             SERVICE_SECRET='{service_secret}'\nJWT_ISSUER=auth\nJWT_AUDIENCE=api\n"
        );
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_owned()
    };
    let (a, b) = (write("a.env", "auth"), write("b.env", "backend"));
    let mut printed = String::new();
    for format in ["text", "json"] {
        printed += &run(&[
            "check",
            "--no-process-env",
            "--format",
            format,
            "--env-file",
            &a,
        ]);
        printed += &run(&["diff", "--format", format, &a, &b]);
    }
    printed
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(60))]

    #[test]
    fn no_piece_of_a_secret_is_printed(
        jwt_secret in "[a-zA-Z0-9_.:,+/=-]{6,70}",
        service_secret in "[a-zA-Z0-9 _.:,+/=-]{6,70}",
        environment in prop::sample::select(vec!["development", "production"]),
    ) {
        let shown = printed(environment, &jwt_secret, &service_secret);
        // What the reports print whatever the secrets are (names, words) is no leak.
        let baseline = printed(environment, "x", "y") + &printed(environment, &"x".repeat(40), &"y".repeat(40));
        for secret in [&jwt_secret, &service_secret] {
            let chars: Vec<char> = secret.chars().collect();
            for piece in chars.windows(6).map(|w| w.iter().collect::<String>()) {
                if piece.trim().len() == 6 && !baseline.contains(&piece) {
                    prop_assert!(!shown.contains(&piece), "{piece:?} printed: {shown}");
                }
            }
        }
    }
}
