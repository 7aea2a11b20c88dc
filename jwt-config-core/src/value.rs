//! Turning the text of a variable into a typed value, and a typed value back into text.
//!
//! Error messages never quote the value: the loader decides whether it may (it never does for
//! secrets), so a parser cannot leak one.

use std::fmt::Display;
use std::path::PathBuf;
use std::time::Duration;

use crate::environment::Environment;

/// A type the loader knows how to read, with messages that say what would be accepted.
///
/// Implemented for every integer and float, `bool`, `String`, `PathBuf`, `Duration` and
/// [`Environment`]; any other `FromStr` type works in a derive without it (its error's text
/// goes into the problem). Implement it for your own types to control the message.
pub trait ConfigValue: Sized {
    /// Parses the variable's text; the error says what would be accepted.
    fn parse_value(text: &str) -> Result<Self, String>;
    /// Parses the text the loader owns; a type that keeps the text (`String`) takes it
    /// instead of copying it, so a secret's text exists once. On error, leave `text` as it was.
    fn parse_owned(text: &mut String) -> Result<Self, String> {
        Self::parse_value(text)
    }
    /// The value as an operator would write it.
    fn render_value(&self) -> String;
    /// For a secret: the text its digest is computed from, never shown. Equal values must
    /// give equal text however they were written (a key raw or as `base64:` gives its
    /// bytes). The default is [`ConfigValue::render_value`].
    fn digest_text(&self) -> String {
        self.render_value()
    }
}

fn classify_integer(text: &str, signed: bool, min: &dyn Display, max: &dyn Display) -> String {
    let expected = format!("expected a whole number from {min} to {max}");
    let digits = text.trim_start_matches(['-', '+']);
    if !signed && text.starts_with('-') && digits.chars().all(|c| c.is_ascii_digit()) {
        format!("{expected}; negative numbers are not accepted")
    } else if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
        format!("{expected}; the number is too large")
    } else if digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.contains(char::is_alphabetic)
    {
        format!("{expected}, without a unit")
    } else {
        expected
    }
}

macro_rules! integer_values {
    ($signed:literal: $($ty:ty),*) => {$(
        impl ConfigValue for $ty {
            fn parse_value(text: &str) -> Result<Self, String> {
                let text = trim_value(text);
                text.parse::<$ty>()
                    .map_err(|_| classify_integer(text, $signed, &<$ty>::MIN, &<$ty>::MAX))
            }
            fn render_value(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
integer_values!(false: u8, u16, u32, u64, u128, usize);
integer_values!(true: i8, i16, i32, i64, i128, isize);

macro_rules! float_values {
    ($($ty:ty),*) => {$(
        impl ConfigValue for $ty {
            fn parse_value(text: &str) -> Result<Self, String> {
                trim_value(text).parse::<$ty>().map_err(|_| "expected a number such as 0.5".to_owned())
            }
            fn render_value(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
float_values!(f32, f64);

impl ConfigValue for bool {
    fn parse_value(text: &str) -> Result<Self, String> {
        let text = trim_value(text);
        let is = |words: [&str; 4]| words.iter().any(|word| word.eq_ignore_ascii_case(text));
        if is(["true", "1", "yes", "on"]) {
            Ok(true)
        } else if is(["false", "0", "no", "off"]) {
            Ok(false)
        } else {
            Err("expected true/false, 1/0, yes/no or on/off".to_owned())
        }
    }
    fn render_value(&self) -> String {
        self.to_string()
    }
}

impl ConfigValue for String {
    fn parse_value(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
    fn parse_owned(text: &mut String) -> Result<Self, String> {
        Ok(std::mem::take(text))
    }
    fn render_value(&self) -> String {
        self.clone()
    }
}

impl ConfigValue for PathBuf {
    fn parse_value(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text))
    }
    fn parse_owned(text: &mut String) -> Result<Self, String> {
        Ok(PathBuf::from(std::mem::take(text)))
    }
    fn render_value(&self) -> String {
        self.display().to_string()
    }
}

impl ConfigValue for Environment {
    fn parse_value(text: &str) -> Result<Self, String> {
        text.parse()
            .map_err(|error: crate::environment::UnknownEnvironment| error.to_string())
    }
    fn render_value(&self) -> String {
        self.as_str().to_owned()
    }
}

/// Units humantime accepts that read like minutes or are ambiguous in length.
const REFUSED_DURATION_UNITS: [&str; 9] = [
    "M", "month", "months", "y", "yr", "yrs", "year", "years", "mo",
];

impl ConfigValue for Duration {
    fn parse_value(text: &str) -> Result<Self, String> {
        const EXPECTED: &str = "expected a duration such as 90s, 15m, 2h or 1h 30m";
        let text = trim_value(text);
        let refused = text
            .split(|c: char| !c.is_alphabetic())
            .find(|unit| REFUSED_DURATION_UNITS.contains(unit));
        if let Some(unit) = refused {
            return Err(format!(
                "{EXPECTED}; `{unit}` (months or years) is not accepted"
            ));
        }
        humantime::parse_duration(text).map_err(|_| EXPECTED.to_owned())
    }
    fn render_value(&self) -> String {
        humantime::format_duration(*self).to_string()
    }
}

/// A parser of one leaf type, chosen at the derive's call site (see [`Leaf`]).
pub type ParseFn<T> = fn(&str) -> Result<T, String>;
/// A parser of one leaf type that may take the loader's text.
pub type OwnedParseFn<T> = fn(&mut String) -> Result<T, String>;
/// A renderer of one leaf type.
pub type RenderFn<T> = fn(&T) -> String;
/// A field's own check (`range`, `min_len`): a plain function, so that loading a field is
/// generic by its value type and never by the field.
pub type CheckFn<T> = fn(&T) -> Result<(), String>;

/// Chooses a leaf type's parser and renderer at the derive's call site, by autoref:
/// [`ConfigValue`] first, then `FromStr` (parser) or `Display` (renderer), then an opaque
/// rendering. Generated code calls `(&&&Leaf::<T>::new()).parser()`.
pub struct Leaf<T>(std::marker::PhantomData<fn() -> T>);

impl<T> std::fmt::Debug for Leaf<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Leaf")
    }
}

impl<T> Leaf<T> {
    /// The selector for `T`.
    pub const fn new() -> Self {
        Leaf(std::marker::PhantomData)
    }
}

impl<T> Default for Leaf<T> {
    fn default() -> Self {
        Leaf::new()
    }
}

/// First choice: the type's own [`ConfigValue`] impl.
pub trait ViaConfigValue<T> {
    /// The parser.
    fn parser(&self) -> ParseFn<T>;
    /// The parser that may take the text.
    fn owned_parser(&self) -> OwnedParseFn<T>;
    /// The renderer.
    fn renderer(&self) -> RenderFn<T>;
    /// The text a secret's digest is computed from.
    fn digester(&self) -> RenderFn<T>;
}

impl<T: ConfigValue> ViaConfigValue<T> for &&Leaf<T> {
    fn parser(&self) -> ParseFn<T> {
        T::parse_value
    }
    fn owned_parser(&self) -> OwnedParseFn<T> {
        T::parse_owned
    }
    fn renderer(&self) -> RenderFn<T> {
        T::render_value
    }
    fn digester(&self) -> RenderFn<T> {
        T::digest_text
    }
}

/// Second choice for parsing: `FromStr`, its error's text in the problem.
pub trait ViaFromStr<T> {
    /// The parser.
    fn parser(&self) -> ParseFn<T>;
    /// The same parser, for the loader's owned text.
    fn owned_parser(&self) -> OwnedParseFn<T>;
}

impl<T: std::str::FromStr> ViaFromStr<T> for &Leaf<T>
where
    T::Err: Display,
{
    fn parser(&self) -> ParseFn<T> {
        |text| text.parse::<T>().map_err(|error| error.to_string())
    }
    fn owned_parser(&self) -> OwnedParseFn<T> {
        |text| text.parse::<T>().map_err(|error| error.to_string())
    }
}

/// Second choice for rendering: `Display`.
pub trait ViaDisplay<T> {
    /// The renderer.
    fn renderer(&self) -> RenderFn<T>;
    /// The text a secret's digest is computed from.
    fn digester(&self) -> RenderFn<T>;
}

impl<T: Display> ViaDisplay<T> for &Leaf<T> {
    fn renderer(&self) -> RenderFn<T> {
        |value| value.to_string()
    }
    fn digester(&self) -> RenderFn<T> {
        |value| value.to_string()
    }
}

/// Last choice for rendering: a type that cannot be shown is shown as `(set)`.
pub trait ViaOpaque<T> {
    /// The renderer.
    fn renderer(&self) -> RenderFn<T>;
    /// A type that cannot be shown has no digest text: the loader digests the text the
    /// value was read from instead.
    fn digester(&self) -> RenderFn<T>;
}

impl<T> ViaOpaque<T> for Leaf<T> {
    fn renderer(&self) -> RenderFn<T> {
        |_| "(set)".to_owned()
    }
    fn digester(&self) -> RenderFn<T> {
        |_| String::new()
    }
}

/// `text` without the whitespace around it, as `str::trim` removes it; decided from the
/// ASCII ends in the usual case (a small, hot path), by `str::trim` when an end may be Unicode
/// whitespace.
#[inline]
pub(crate) fn trim_value(text: &str) -> &str {
    let trimmed = text.trim_ascii();
    let unusual = |byte: &u8| *byte >= 0x80 || *byte == 0x0B;
    let bytes = trimmed.as_bytes();
    if bytes.first().is_some_and(unusual) || bytes.last().is_some_and(unusual) {
        trimmed.trim()
    } else {
        trimmed
    }
}

/// Splits a comma-separated list: items trimmed, an empty item is an error.
pub fn parse_list<T>(
    text: &str,
    item: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, String> {
    let mut items = Vec::with_capacity(text.bytes().filter(|&b| b == b',').count() + 1);
    for (index, raw) in text.split(',').enumerate() {
        let raw = trim_value(raw);
        if raw.is_empty() {
            return Err(format!(
                "item {} of the comma-separated list is empty",
                index + 1
            ));
        }
        items.push(item(raw).map_err(|message| format!("item {}: {message}", index + 1))?);
    }
    Ok(items)
}

/// Joins rendered items with commas, as a list is written.
pub fn render_list<T>(items: &[T], item: impl Fn(&T) -> String) -> String {
    items.iter().map(item).collect::<Vec<_>>().join(",")
}

/// `range(LOW..=HIGH)`, `range(LOW..)`, `range(..=HIGH)`, `range(LOW..HIGH)`.
pub fn check_range<T: PartialOrd + Display>(
    value: &T,
    low: Option<T>,
    high: Option<T>,
    high_inclusive: bool,
) -> Result<(), String> {
    // NaN compares neither below nor above anything: it satisfies no range.
    #[allow(clippy::eq_op)]
    let not_a_number = value.partial_cmp(value).is_none();
    let below = not_a_number || low.as_ref().is_some_and(|low| value < low);
    let above = high.as_ref().is_some_and(|high| {
        if high_inclusive {
            value > high
        } else {
            value >= high
        }
    });
    if !(below || above) {
        return Ok(());
    }
    let close = if high_inclusive { "=" } else { "" };
    let accepted = match (low, high) {
        (Some(low), Some(high)) => format!("{low}..{close}{high}"),
        (Some(low), None) => format!("{low} or more"),
        (None, Some(high)) => format!("..{close}{high}"),
        (None, None) => unreachable!("a value outside no bounds"),
    };
    Err(format!("{value} is out of range; accepted: {accepted}"))
}

/// A `range` as written in the schema (`1..=365`), in words for a message: "a number from
/// 1 to 365"; for a list, "comma-separated numbers, each from 1 to 365".
pub(crate) fn describe_range(range: &str, ty: &str) -> String {
    let (low, high) = range.split_once("..").unwrap_or((range, ""));
    let bounds = match (low, high.strip_prefix('=')) {
        ("", Some(high)) => format!("at most {high}"),
        (low, Some(high)) => format!("from {low} to {high}"),
        ("", None) => format!("below {high}"),
        (low, None) if high.is_empty() => format!("{low} or more"),
        (low, None) => format!("from {low} to below {high}"),
    };
    if ty.contains("Vec<") {
        format!("comma-separated numbers, each {bounds}")
    } else {
        format!("a number {bounds}")
    }
}

/// The length `min_len` measures: bytes of a string or secret, items of a list.
#[diagnostic::on_unimplemented(
    message = "`min_len` needs a type with a length, and `{Self}` has none",
    label = "`min_len` is on this field",
    note = "`min_len` applies to `String`, `Secret<String>` and `Vec<T>`; use `range` for a number"
)]
pub trait Length {
    /// The length.
    fn length(&self) -> usize;
}

impl Length for String {
    fn length(&self) -> usize {
        self.len()
    }
}

impl<T> Length for Vec<T> {
    fn length(&self) -> usize {
        self.len()
    }
}

impl<T: Length + zeroize::Zeroize> Length for crate::Secret<T> {
    fn length(&self) -> usize {
        self.expose().length()
    }
}

/// `min_len = N`; the message gives the length, never the value.
pub fn check_min_len<T: Length>(value: &T, min: usize) -> Result<(), String> {
    let length = value.length();
    if length >= min {
        Ok(())
    } else {
        Err(format!("is {length} long; at least {min} is required"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_say_what_is_wrong() {
        assert!(u16::parse_value("70000").unwrap_err().contains("too large"));
        assert!(u16::parse_value("-1").unwrap_err().contains("negative"));
        assert!(
            u64::parse_value("30s")
                .unwrap_err()
                .contains("without a unit")
        );
        assert_eq!(u16::parse_value(" 8080 "), Ok(8080));
        assert_eq!(i8::parse_value("-128"), Ok(-128));
    }

    #[test]
    fn bools_accept_common_spellings() {
        for yes in ["TRUE", "1", "Yes", " on "] {
            assert_eq!(bool::parse_value(yes), Ok(true));
        }
        assert!(bool::parse_value("y").is_err());
    }

    #[test]
    fn durations_refuse_months_and_years() {
        assert_eq!(Duration::parse_value("15m"), Ok(Duration::from_secs(900)));
        assert!(
            Duration::parse_value("1M")
                .unwrap_err()
                .contains("months or years")
        );
        assert!(
            Duration::parse_value("2y")
                .unwrap_err()
                .contains("months or years")
        );
        assert!(Duration::parse_value("30").is_err());
    }

    #[test]
    fn lists_are_trimmed_and_refuse_empty_items() {
        let parse = |t: &str| parse_list(t, u8::parse_value);
        assert_eq!(parse(" 1, 2 ,3"), Ok(vec![1, 2, 3]));
        assert!(parse("1,,2").unwrap_err().contains("item 2"));
    }

    #[test]
    fn ranges_are_described_in_words() {
        assert_eq!(describe_range("1..=365", "u32"), "a number from 1 to 365");
        assert_eq!(describe_range("1..", "u8"), "a number 1 or more");
        assert_eq!(describe_range("..=5", "i8"), "a number at most 5");
        assert_eq!(
            describe_range("0..10", "Vec<u8>"),
            "comma-separated numbers, each from 0 to below 10"
        );
    }

    #[test]
    fn nan_satisfies_no_range() {
        assert!(check_range(&f64::NAN, Some(0.0), Some(1.0), true).is_err());
        assert!(check_range(&f64::NAN, None, Some(1.0), true).is_err());
    }

    #[test]
    fn ranges_name_the_accepted_bounds() {
        assert_eq!(check_range(&5, Some(1), Some(10), true), Ok(()));
        assert!(
            check_range(&0, Some(1), Some(10), true)
                .unwrap_err()
                .contains("1..=10")
        );
        assert!(check_range(&10, None, Some(10), false).is_err());
    }
}

#[cfg(test)]
mod trim_tests {
    use super::trim_value;

    #[test]
    fn values_are_trimmed_as_str_trim_trims_them() {
        for text in [
            " 15 ",
            "\t15\r\n",
            "\u{b}15\u{b}",
            "\u{a0}15\u{2003}",
            "1 5",
            "",
            "  ",
            "\u{85}",
            "é",
            " é ",
            "x\u{a0}",
        ] {
            assert_eq!(trim_value(text), text.trim(), "{text:?}");
        }
    }
}
