//! Every compile-time error the derive can emit, one mistake a file, under trybuild; and the
//! token mix-ups the claims types refuse (`tests/ui/tokens`).

// The .stderr files were recorded with rustc 1.95; other compilers word some errors differently.
#[rustversion::attr(not(stable(1.95)), ignore = "stderr recorded with rustc 1.95")]
#[test]
fn compile_fail() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*/*.rs");
}
