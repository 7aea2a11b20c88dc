//! Static metadata of every variable a derived struct reads: what the documentation, the
//! command line and the compile-time checks work from.

use crate::environment::{Environment, never_prefixed};

/// The schema of one derived struct: read-only metadata (see the accessors); generated code
/// builds it through `__private`.
#[derive(Debug)]
#[non_exhaustive]
pub struct Schema {
    /// The struct's name.
    pub(crate) name: &'static str,
    /// The struct's `prefix`, applied to every name it reads (empty for none).
    pub(crate) prefix: &'static str,
    /// The struct's doc comment.
    pub(crate) doc: &'static str,
    /// `#[config(require_environment)]`: an unset `ENVIRONMENT` is a problem rather than
    /// development (for this struct, and for any struct that flattens it).
    pub(crate) environment_required: bool,
    /// Its variables and flattened children, in declaration order.
    pub(crate) entries: &'static [Entry],
}

/// One field of a schema.
#[derive(Debug)]
#[non_exhaustive]
pub enum Entry {
    /// A field read from a variable.
    Var(VarSchema),
    /// A flattened struct.
    Flatten(Flatten),
}

/// A flattened child struct.
#[derive(Debug)]
#[non_exhaustive]
pub struct Flatten {
    /// The field's name.
    pub(crate) field: &'static str,
    /// The prefix added to every name of the child (empty for none).
    pub(crate) prefix: &'static str,
    /// The child's schema.
    pub(crate) schema: &'static Schema,
}

/// When a variable must be set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Presence {
    /// Always (neither `Option` nor a default).
    Required,
    /// Never: an `Option` field.
    Optional,
    /// Never: the default applies.
    Defaulted,
}

/// One variable: read-only metadata (see the accessors).
#[derive(Debug)]
#[non_exhaustive]
pub struct VarSchema {
    /// The Rust field.
    pub(crate) field: &'static str,
    /// The canonical name, without any prefix.
    pub(crate) name: &'static str,
    /// Legacy names still accepted, without any prefix.
    pub(crate) aliases: &'static [&'static str],
    /// The field's type as written.
    pub(crate) ty: &'static str,
    /// The default as written in the source.
    pub(crate) default: Option<&'static str>,
    /// The default as the loader renders it (what `check` prints for an unset variable).
    pub(crate) render_default: Option<fn() -> String>,
    /// Whether unset is allowed (outside `required_in`).
    pub(crate) presence: Presence,
    /// Environments in which the variable must be set whatever `presence` says.
    pub(crate) required_in: &'static [Environment],
    /// A condition, in words, under which the struct's own checks require the variable
    /// (`JWT_ALGORITHM is HS256, HS384 or HS512`): what the docs say instead of "optional".
    pub(crate) required_when: Option<&'static str>,
    /// Never shown; `NAME_FILE` accepted.
    pub(crate) secret: bool,
    /// `NAME_FILE` accepted.
    pub(crate) file: bool,
    /// `range(...)` as written, if any.
    pub(crate) range: Option<&'static str>,
    /// `min_len = N`, if any.
    pub(crate) min_len: Option<usize>,
    /// A setting of one service (its id, its own keys) rather than one all services share:
    /// shown by `diff` but never counted, and left out of the effective fingerprint.
    pub(crate) per_service: bool,
    /// Key material: compared between services by key agreement (who verifies what whom
    /// signs), never by value, in `diff`, `audit` and a receiver's drift check.
    pub(crate) key_material: bool,
    /// The field's doc comment.
    pub(crate) doc: &'static str,
}

impl Schema {
    /// The schema of a hand-written [`Config`](crate::Config) impl: a name and a doc, no
    /// declared variables (it reports through its `Context`).
    pub const fn new(name: &'static str, doc: &'static str) -> Schema {
        Schema {
            name,
            prefix: "",
            doc,
            environment_required: false,
            entries: &[],
        }
    }

    /// The struct's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The struct's `prefix`, applied to every name it reads (empty for none).
    pub const fn prefix(&self) -> &'static str {
        self.prefix
    }

    /// The struct's doc comment.
    pub const fn doc(&self) -> &'static str {
        self.doc
    }

    /// Its variables and flattened children, in declaration order.
    pub const fn entries(&self) -> &'static [Entry] {
        self.entries
    }
}

impl Flatten {
    /// The field's name.
    pub const fn field(&self) -> &'static str {
        self.field
    }

    /// The prefix added to every name of the child (empty for none).
    pub const fn prefix(&self) -> &'static str {
        self.prefix
    }

    /// The child's schema.
    pub const fn schema(&self) -> &'static Schema {
        self.schema
    }
}

impl VarSchema {
    /// The Rust field.
    pub const fn field(&self) -> &'static str {
        self.field
    }

    /// The canonical name, without any prefix.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// Legacy names still accepted, without any prefix.
    pub const fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }

    /// The field's type as written.
    pub const fn ty(&self) -> &'static str {
        self.ty
    }

    /// The default as written in the source.
    pub const fn default(&self) -> Option<&'static str> {
        self.default
    }

    /// Whether unset is allowed (outside `required_in`).
    pub const fn presence(&self) -> Presence {
        self.presence
    }

    /// Environments in which the variable must be set whatever `presence` says.
    pub const fn required_in(&self) -> &'static [Environment] {
        self.required_in
    }

    /// A condition, in words, under which the struct's own checks require the variable.
    pub const fn required_when(&self) -> Option<&'static str> {
        self.required_when
    }

    /// Never shown; `NAME_FILE` accepted.
    pub const fn secret(&self) -> bool {
        self.secret
    }

    /// `NAME_FILE` accepted.
    pub const fn file(&self) -> bool {
        self.file
    }

    /// `range(...)` as written, if any.
    pub const fn range(&self) -> Option<&'static str> {
        self.range
    }

    /// `min_len = N`, if any.
    pub const fn min_len(&self) -> Option<usize> {
        self.min_len
    }

    /// A setting of one service rather than one all services share.
    pub const fn per_service(&self) -> bool {
        self.per_service
    }

    /// Key material, compared by key agreement rather than by value.
    pub const fn key_material(&self) -> bool {
        self.key_material
    }

    /// The field's doc comment.
    pub const fn doc(&self) -> &'static str {
        self.doc
    }
}

/// What generated code builds a schema with: const fns, so that a new attribute is a new
/// method here, never a new field in a struct literal of a public type.
#[doc(hidden)]
pub(crate) mod build {
    use super::{Entry, Environment, Flatten, Presence, Schema, VarSchema};

    /// A struct's schema.
    pub const fn schema(
        name: &'static str,
        prefix: &'static str,
        doc: &'static str,
        environment_required: bool,
        entries: &'static [Entry],
    ) -> Schema {
        Schema {
            name,
            prefix,
            doc,
            environment_required,
            entries,
        }
    }

    /// A flattened field.
    pub const fn flatten(
        field: &'static str,
        prefix: &'static str,
        schema: &'static Schema,
    ) -> Entry {
        Entry::Flatten(Flatten {
            field,
            prefix,
            schema,
        })
    }

    /// A variable, built attribute by attribute.
    #[derive(Debug)]
    pub struct Var(VarSchema);

    impl Var {
        /// A variable with no attributes beyond its name, type, doc and presence.
        pub const fn new(
            field: &'static str,
            name: &'static str,
            ty: &'static str,
            doc: &'static str,
            presence: Presence,
        ) -> Var {
            Var(VarSchema {
                field,
                name,
                aliases: &[],
                ty,
                default: None,
                render_default: None,
                presence,
                required_in: &[],
                required_when: None,
                secret: false,
                file: false,
                range: None,
                min_len: None,
                per_service: false,
                key_material: false,
                doc,
            })
        }

        /// `alias = "..."`, repeatable.
        pub const fn aliases(mut self, aliases: &'static [&'static str]) -> Var {
            self.0.aliases = aliases;
            self
        }

        /// `default = ...`: as written, and how the loader renders it.
        pub const fn default(mut self, text: &'static str, render: fn() -> String) -> Var {
            self.0.default = Some(text);
            self.0.render_default = Some(render);
            self
        }

        /// `required_in(...)`.
        pub const fn required_in(mut self, environments: &'static [Environment]) -> Var {
            self.0.required_in = environments;
            self
        }

        /// `required_when = "..."`.
        pub const fn required_when(mut self, condition: &'static str) -> Var {
            self.0.required_when = Some(condition);
            self
        }

        /// `secret` (or a `Secret<T>` field): never shown, `NAME_FILE` accepted.
        pub const fn secret(mut self) -> Var {
            self.0.secret = true;
            self.0.file = true;
            self
        }

        /// `file`: `NAME_FILE` accepted.
        pub const fn file(mut self) -> Var {
            self.0.file = true;
            self
        }

        /// `range(...)` as written.
        pub const fn range(mut self, range: &'static str) -> Var {
            self.0.range = Some(range);
            self
        }

        /// `min_len = N`.
        pub const fn min_len(mut self, min_len: usize) -> Var {
            self.0.min_len = Some(min_len);
            self
        }

        /// `per_service`.
        pub const fn per_service(mut self) -> Var {
            self.0.per_service = true;
            self
        }

        /// `key_material`.
        pub const fn key_material(mut self) -> Var {
            self.0.key_material = true;
            self
        }

        /// The variable, for a `const` the loader refers to and the struct's `Entry::Var`.
        pub const fn build(self) -> VarSchema {
            self.0
        }
    }
}

impl VarSchema {
    /// Whether the variable must be set in `environment`.
    pub fn required(&self, environment: Environment) -> bool {
        self.presence == Presence::Required || self.required_in.contains(&environment)
    }

    /// The default as the loader applies and renders it.
    pub fn default_value(&self) -> Option<String> {
        match self.render_default {
            Some(render) => Some(render()),
            None => self.default.map(str::to_owned),
        }
    }

    /// "required", "required in staging and production", "optional" or "default 15".
    pub fn requirement_text(&self) -> String {
        self.requirement().text()
    }

    /// The requirement as the one docs renderer (`jwt-config-docs`) describes it.
    fn requirement(&self) -> jwt_config_docs::Requirement {
        jwt_config_docs::Requirement {
            always: self.presence == Presence::Required,
            required_in: self
                .required_in
                .iter()
                .map(|e| e.as_str().to_owned())
                .collect(),
            required_when: self.required_when.map(str::to_owned),
            default: self.default_value(),
            range: self.range.map(str::to_owned),
            min_len: self.min_len,
            per_service: self.per_service,
        }
    }
}

/// A variable of a schema with every prefix applied.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Variable {
    /// The canonical name.
    pub name: String,
    /// Legacy aliases.
    pub aliases: Vec<String>,
    /// The `NAME_FILE` variable, where accepted.
    pub file_variable: Option<String>,
    /// The metadata.
    pub schema: &'static VarSchema,
    /// The path of fields that leads to it (`jwt.secret_key`).
    pub path: String,
}

impl Schema {
    /// Whether an unset `ENVIRONMENT` is a problem: this struct or a flattened one says so.
    pub const fn requires_environment(&self) -> bool {
        if self.environment_required {
            return true;
        }
        let mut i = 0;
        while i < self.entries.len() {
            if let Entry::Flatten(child) = &self.entries[i]
                && child.schema.requires_environment()
            {
                return true;
            }
            i += 1;
        }
        false
    }

    /// Whether a rule of this schema depends on `ENVIRONMENT`: `require_environment` or a
    /// `required_in`, here or in a flattened struct. Such a schema reads `ENVIRONMENT` (and
    /// reports an invalid value) on every load; another reads it only when a `validate` or
    /// `computed` function asks, or for a report.
    pub const fn has_environment_rules(&self) -> bool {
        if self.environment_required {
            return true;
        }
        let mut i = 0;
        while i < self.entries.len() {
            let found = match &self.entries[i] {
                Entry::Var(var) => !var.required_in.is_empty(),
                Entry::Flatten(child) => child.schema.has_environment_rules(),
            };
            if found {
                return true;
            }
            i += 1;
        }
        false
    }

    /// Where `name` is not a name this schema reads but a near miss of one (a typo, in any
    /// family of names): the warning's text, which names the schema and suggests the name
    /// ("did you mean BACKEND_URL?"). What `audit` says of a name a workload sets in its own
    /// definition; a load warns only of names of the schema's families.
    pub fn near_miss(&'static self, name: &str) -> Option<String> {
        crate::unknown::near_miss(self, name)
    }

    /// Every variable, flattened children included, with prefixes applied.
    pub fn variables(&'static self) -> Vec<Variable> {
        let mut out = Vec::new();
        self.collect("", "", &mut out);
        out
    }

    fn collect(&'static self, outer: &str, path: &str, out: &mut Vec<Variable>) {
        let prefix = format!("{outer}{}", self.prefix);
        let prefix = prefix.as_str();
        for entry in self.entries {
            match entry {
                Entry::Var(var) => {
                    let name = prefixed(prefix, var.name).into_owned();
                    out.push(Variable {
                        aliases: var
                            .aliases
                            .iter()
                            .map(|a| prefixed(prefix, a).into_owned())
                            .collect(),
                        file_variable: var.file.then(|| format!("{name}_FILE")),
                        name,
                        schema: var,
                        path: format!("{path}{}", var.field),
                    });
                }
                Entry::Flatten(child) => {
                    let prefix = format!("{prefix}{}", child.prefix);
                    let path = format!("{path}{}.", child.field);
                    child.schema.collect(&prefix, &path, out);
                }
            }
        }
    }

    /// The Markdown reference table of every variable.
    pub fn markdown(&'static self) -> String {
        let items: Vec<jwt_config_docs::Item> = self
            .variables()
            .into_iter()
            .map(|variable| {
                let docs = variable.docs();
                jwt_config_docs::Item::Variable(
                    docs.environment_required(self.requires_environment()),
                )
            })
            .collect();
        jwt_config_docs::table(&items)
    }
}

impl Variable {
    /// This variable as the one docs renderer describes it.
    fn docs(self) -> jwt_config_docs::Variable {
        let var = self.schema;
        jwt_config_docs::Variable {
            name: self.name,
            aliases: self.aliases,
            file_variable: self.file_variable,
            ty: var.ty.to_owned(),
            secret: var.secret,
            requirement: var.requirement(),
            doc: var.doc.to_owned(),
        }
    }
}

/// Applies a prefix, but never to `ENVIRONMENT` (see `never_prefixed`).
pub(crate) fn prefixed<'n>(prefix: &str, name: &'n str) -> std::borrow::Cow<'n, str> {
    if prefix.is_empty() || never_prefixed(name) {
        std::borrow::Cow::Borrowed(name)
    } else {
        std::borrow::Cow::Owned(format!("{prefix}{name}"))
    }
}

const MAX_VARIABLES: usize = 512;
const MAX_DEPTH: usize = 16;
const MESSAGE_LEN: usize = 200;

/// A name as prefix segments, so a const fn can compare names without allocating.
#[derive(Clone, Copy)]
struct SegmentedName {
    parts: [&'static str; MAX_DEPTH],
    len: usize,
}

impl SegmentedName {
    const EMPTY: SegmentedName = SegmentedName {
        parts: [""; MAX_DEPTH],
        len: 0,
    };

    const fn push(mut self, part: &'static str) -> SegmentedName {
        assert!(
            self.len < MAX_DEPTH,
            "jwt-config: flattening is nested too deeply"
        );
        self.parts[self.len] = part;
        self.len += 1;
        self
    }

    const fn byte_len(&self) -> usize {
        let (mut total, mut i) = (0, 0);
        while i < self.len {
            total += self.parts[i].len();
            i += 1;
        }
        total
    }

    const fn byte_at(&self, mut index: usize) -> u8 {
        let mut i = 0;
        while i < self.len {
            let part = self.parts[i].as_bytes();
            if index < part.len() {
                return part[index];
            }
            index -= part.len();
            i += 1;
        }
        0
    }

    const fn equals(&self, other: &SegmentedName) -> bool {
        let length = self.byte_len();
        if length != other.byte_len() {
            return false;
        }
        let mut index = 0;
        while index < length {
            if self.byte_at(index) != other.byte_at(index) {
                return false;
            }
            index += 1;
        }
        true
    }
}

struct Names {
    names: [SegmentedName; MAX_VARIABLES],
    count: usize,
}

const fn collect_names(schema: &'static Schema, outer: SegmentedName, out: &mut Names) {
    let prefix = outer.push(schema.prefix);
    let mut i = 0;
    while i < schema.entries.len() {
        match &schema.entries[i] {
            Entry::Var(var) => {
                if !never_prefixed(var.name) {
                    push_name(out, prefix.push(var.name));
                }
                let mut a = 0;
                while a < var.aliases.len() {
                    push_name(out, prefix.push(var.aliases[a]));
                    a += 1;
                }
            }
            Entry::Flatten(child) => collect_names(child.schema, prefix.push(child.prefix), out),
        }
        i += 1;
    }
}

const fn push_name(out: &mut Names, name: SegmentedName) {
    assert!(
        out.count < MAX_VARIABLES,
        "jwt-config: a schema has too many variables"
    );
    out.names[out.count] = name;
    out.count += 1;
}

/// Fails compilation when two variables of a schema (flattened children and aliases
/// included, prefixes applied) have one name; the message names the variable.
///
/// The derive calls it in a module-level `const _`, so `cargo check` reports it.
pub const fn assert_distinct_variables(schema: &'static Schema) {
    let mut names = Names {
        names: [SegmentedName::EMPTY; MAX_VARIABLES],
        count: 0,
    };
    collect_names(schema, SegmentedName::EMPTY, &mut names);
    let mut i = 0;
    while i < names.count {
        let mut j = i + 1;
        while j < names.count {
            if names.names[i].equals(&names.names[j]) {
                duplicate_panic(&names.names[i]);
            }
            j += 1;
        }
        i += 1;
    }
}

const fn duplicate_panic(name: &SegmentedName) -> ! {
    let head = "jwt-config: two fields (or an alias) read the environment variable `".as_bytes();
    let tail = "`; give each field its own name or a prefix".as_bytes();
    let mut buffer = [b'?'; MESSAGE_LEN];
    let mut n = 0;
    let mut i = 0;
    while i < head.len() {
        buffer[n] = head[i];
        (n, i) = (n + 1, i + 1);
    }
    i = 0;
    while i < name.byte_len() && n < MESSAGE_LEN - tail.len() {
        buffer[n] = name.byte_at(i);
        (n, i) = (n + 1, i + 1);
    }
    i = 0;
    while i < tail.len() {
        buffer[n] = tail[i];
        (n, i) = (n + 1, i + 1);
    }
    let (message, _) = buffer.split_at(n);
    match core::str::from_utf8(message) {
        Ok(text) => panic!("{}", text),
        Err(_) => panic!("jwt-config: two fields read the same environment variable"),
    }
}
