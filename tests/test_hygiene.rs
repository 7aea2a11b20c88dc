//! The generated code uses absolute paths only: it compiles whatever the caller shadows.

#![allow(dead_code, non_camel_case_types, clippy::disallowed_names)]

mod shadowed {
    struct Result;
    struct Ok;
    struct Option;
    struct Some;
    struct None;
    struct String;
    struct Vec;
    struct Box;
    struct Default;
    struct From;

    /// A struct using every feature of the derive.
    #[derive(jwt_config::Config)]
    #[config(validate = Self::check)]
    pub(crate) struct Shadowed {
        #[config(default = "text", alias = "OLD_NAME")]
        name: ::std::string::String,
        #[config(default = 3, range(1..=10))]
        count: u8,
        list: ::std::vec::Vec<u16>,
        maybe: ::std::option::Option<jwt_config::Secret<::std::string::String>>,
        #[config(computed = Self::twice)]
        twice: u8,
    }

    impl Shadowed {
        fn check(_: &ShadowedPartial<'_>, _: &mut jwt_config::Context<'_>) {}
        fn twice(
            partial: &ShadowedPartial<'_>,
            _: &mut jwt_config::Context<'_>,
        ) -> ::std::option::Option<u8> {
            partial.count.map(|count| count * 2)
        }
    }
}

mod no_prelude {
    #![no_implicit_prelude]

    #[derive(::jwt_config::Config)]
    pub(crate) struct WithoutPrelude {
        #[config(default = 8080, range(1..))]
        pub port: u16,
        pub hosts: ::std::vec::Vec<::std::string::String>,
        pub key: ::std::option::Option<::jwt_config::Secret<::std::string::String>>,
        #[config(flatten, prefix = "INNER_")]
        pub inner: Inner,
    }

    #[derive(::jwt_config::Config)]
    pub(crate) struct Inner {
        #[config(default = "x")]
        pub name: ::std::string::String,
    }
}

mod lints {
    #![deny(unused_qualifications, missing_docs, clippy::pedantic)]

    /// Linted.
    #[derive(jwt_config::Config, Debug)]
    pub(crate) struct Linted {
        /// A port.
        #[config(default = 8080, range(1..=65535))]
        pub port: u16,
        /// A key.
        pub key: Option<jwt_config::Secret<String>>,
    }
}

#[test]
fn derives_compile_under_shadowing_no_prelude_and_strict_lints() {
    use jwt_config::{Config, MapSource};
    let source = MapSource::new().with("LIST", "1,2").with("HOSTS", "a");
    assert!(shadowed::Shadowed::from_source(&source).is_ok());
    let without = no_prelude::WithoutPrelude::from_source(&source).unwrap();
    assert_eq!((without.port, without.inner.name.as_str()), (8080, "x"));
    assert_eq!(lints::Linted::from_source(&source).unwrap().port, 8080);
}
