//! The README's whole service is `examples/axum/minimal.rs` (compiled as an example), word for
//! word from its first `use` on.

#[test]
fn the_readmes_service_is_the_compiled_example() {
    let readme = include_str!("../../README.md");
    let example = include_str!("../../examples/axum/minimal.rs");
    let code = &example[example.find("use axum::Router;").unwrap()..];
    assert!(
        readme.contains(&format!("```rust\n{code}```\n")),
        "the README's HTTP example differs from examples/axum/minimal.rs"
    );
}
