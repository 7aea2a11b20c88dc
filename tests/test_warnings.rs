//! Warnings go out as `tracing` warn events from `from_source`, and come back as data from
//! `load_with_report`.

use std::sync::{Arc, Mutex};

use jwt_config::{Config, MapSource};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Records the message and `variable` field of every warn event.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={value:?} ", field.name()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        if *event.metadata().level() == Level::WARN {
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[derive(Config, Debug)]
struct Settings {
    #[config(alias = "OLD_TIMEOUT", default = 30)]
    timeout: u32,
    required: String,
}

#[test]
fn a_deprecated_alias_is_a_warn_event_naming_both_variables() {
    let recorder = Recorder::default();
    let source = MapSource::new()
        .with("OLD_TIMEOUT", "10")
        .with("REQUIRED", "x");
    let settings =
        tracing::subscriber::with_default(recorder.clone(), || Settings::from_source(&source));
    let settings = settings.unwrap();
    assert_eq!((settings.timeout, settings.required.as_str()), (10, "x"));
    let events = recorder.0.lock().unwrap().clone();
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].contains("variable=TIMEOUT") && events[0].contains("OLD_TIMEOUT"),
        "{events:?}"
    );
}

#[test]
fn warnings_are_emitted_even_when_loading_fails() {
    let recorder = Recorder::default();
    let source = MapSource::new().with("OLD_TIMEOUT", "10");
    let error =
        tracing::subscriber::with_default(recorder.clone(), || Settings::from_source(&source));
    let error = error.unwrap_err();
    assert_eq!(error.warnings().len(), 1);
    assert_eq!(recorder.0.lock().unwrap().len(), 1);
}
