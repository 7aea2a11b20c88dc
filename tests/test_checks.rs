//! Struct-level checks and computed values: their problems join the same report.

#![allow(dead_code)] // fields exist to be loaded; the tests read the report

use jwt_config::{Config, Context, MapSource, ProblemKind};

/// Token lifetimes.
#[derive(Config, Debug)]
#[config(validate = Self::check)]
struct Lifetimes {
    #[config(default = 15)]
    access_minutes: u32,
    #[config(default = 30)]
    leeway_seconds: u32,
    service_id: String,
    #[config(computed = Self::describe)]
    summary: String,
}

impl Lifetimes {
    fn check(partial: &LifetimesPartial<'_>, context: &mut Context<'_>) {
        if let (Some(access), Some(leeway)) = (partial.access_minutes, partial.leeway_seconds)
            && u64::from(*access) * 60 <= u64::from(*leeway)
        {
            context.problem(
                "ACCESS_MINUTES",
                ProblemKind::Rule,
                "must be longer than LEEWAY_SECONDS",
            );
        }
    }

    fn describe(partial: &LifetimesPartial<'_>, context: &mut Context<'_>) -> Option<String> {
        let access = partial.access_minutes?;
        if *access > 1000 {
            context.problem(
                "ACCESS_MINUTES",
                ProblemKind::OutOfRange,
                "cannot be summarised",
            );
            return None;
        }
        Some(format!("{access} minutes"))
    }
}

#[test]
fn a_cross_field_problem_is_reported_beside_a_missing_variable() {
    let source = MapSource::new()
        .with("ACCESS_MINUTES", "1")
        .with("LEEWAY_SECONDS", "60");
    let error = Lifetimes::from_source(&source).unwrap_err();
    let lines: Vec<String> = error.problems().iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "SERVICE_ID: is missing; set it to a value of type `String`",
            "ACCESS_MINUTES: must be longer than LEEWAY_SECONDS"
        ]
    );
}

#[test]
fn computed_values_are_built_from_what_loaded_and_can_fail_into_the_report() {
    let ok = Lifetimes::from_source(&MapSource::new().with("SERVICE_ID", "a")).unwrap();
    assert_eq!(ok.summary, "15 minutes");
    let error =
        Lifetimes::from_source(&MapSource::new().with("ACCESS_MINUTES", "2000")).unwrap_err();
    assert_eq!(error.problems().len(), 2);
    assert!(error.mentions("ACCESS_MINUTES") && error.mentions("SERVICE_ID"));
}

/// A hand-written impl gets the same report and warnings as a derived one.
#[derive(Debug)]
struct Manual {
    port: u16,
}

impl Config for Manual {
    const SCHEMA: jwt_config::Schema = jwt_config::Schema::new("Manual", "");

    fn load(context: &mut Context<'_>) -> Option<Self> {
        if context.environment().is_deployed() {
            context.problem(
                "PORT",
                ProblemKind::Rule,
                "must not be set by hand in production",
            );
            return None;
        }
        Some(Manual { port: 1 })
    }
}

#[test]
fn a_hand_written_config_gets_the_same_report() {
    assert_eq!(Manual::from_source(&MapSource::new()).unwrap().port, 1);
    let error =
        Manual::from_source(&MapSource::new().with("ENVIRONMENT", "production")).unwrap_err();
    assert_eq!(error.problems()[0].variable(), "PORT");
}
