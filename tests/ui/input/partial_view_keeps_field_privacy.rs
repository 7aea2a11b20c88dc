// The partial view a struct-level check sees keeps each field's own visibility: a private
// field of `JwtConfig` is private in `JwtConfigPartial` too.
fn main() {
    fn peek(partial: &jwt_config::JwtConfigPartial<'_>) {
        let _ = partial.secret_key;
    }
    let _ = peek;
}
