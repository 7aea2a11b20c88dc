//! One pass over a source for a whole load: every name a schema reads (prefixes, aliases and
//! `_FILE` variants applied) is a fact of the schema, tabled once a process; a load walks the
//! source's variables once, keeps the values of those names and notes the names of the
//! schema's families it does not read (the near-miss names `unknown.rs` warns about). The
//! values are read afresh on every load: nothing but the schema is remembered.

use std::ffi::{OsStr, OsString};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::environment::{ENVIRONMENT_VARIABLE, never_prefixed};
use crate::schema::{Entry, Schema, VarSchema, prefixed};

/// Every name a schema reads, and its name families, built once a process from the schema.
#[derive(Debug)]
pub struct NameTable {
    /// The names, `ENVIRONMENT` first; a name read by two variables is there twice.
    names: Vec<Box<[u8]>>,
    /// The ids of secrets' names: their values are wiped when a load leaves them behind.
    secret_ids: Vec<u32>,
    /// Whether the walk keeps `ENVIRONMENT` (a schema with a rule by environment reads it on
    /// every load); otherwise a load that asks for it reads it from the source.
    environment_kept: bool,
    /// The variables in the order a derived load reads them.
    vars: Vec<VarNames>,
    /// The prefixes of the schema's name families (`JWT_`, a struct's `APP_`).
    families: Vec<String>,
    /// Open addressing over `names`: `u32::MAX` is empty; equal names are chained.
    slots: Vec<u32>,
    /// The next id with the same name, `u32::MAX` for none.
    same_name: Vec<u32>,
    filter: NameFilter,
}

/// Which names may concern a load, from their first two bytes: a source walking many
/// variables ([`Source::for_each_variable`](crate::Source::for_each_variable)) may skip the
/// ones it rules out before it even measures them. Only a hint: the load checks every name
/// it is given.
#[derive(Clone, Debug)]
pub struct NameFilter {
    /// Bit `pair(a, b)` is set when a name or a family starts with `a`, `b`.
    pairs: [u64; 16],
    /// A name or family shorter than two bytes: nothing is ruled out.
    off: bool,
}

impl NameFilter {
    /// A filter that rules nothing out.
    pub const fn everything() -> Self {
        NameFilter {
            pairs: [u64::MAX; 16],
            off: true,
        }
    }

    /// Whether a name that starts with `start` may concern the load: pass its first two
    /// bytes, or the whole name when it is shorter. `false` rules the name out.
    #[inline]
    pub fn may_concern(&self, start: &[u8]) -> bool {
        match start {
            [a, b, ..] => self.may_start_with(*a, *b),
            _ => self.off,
        }
    }

    /// [`NameFilter::may_concern`] of a name that starts with `a`, `b` (or of a one-byte
    /// name `a` followed by `=`, which this may not rule out): one load and test.
    #[inline]
    pub fn may_start_with(&self, a: u8, b: u8) -> bool {
        let bit = pair(a, b);
        self.pairs[bit / 64] & (1 << (bit % 64)) != 0
    }

    fn admit(&mut self, start: &[u8]) {
        match start {
            [a, b, ..] => {
                let bit = pair(*a, *b);
                self.pairs[bit / 64] |= 1 << (bit % 64);
            }
            _ => {
                // Nothing is ruled out by its first two bytes, nor by any pair.
                self.off = true;
                self.pairs = [u64::MAX; 16];
            }
        }
    }
}

/// One variable's names in a [`NameTable`]: ids of the canonical name and the aliases, then
/// of their `_FILE` variants where the variable accepts them.
#[derive(Debug)]
struct VarNames {
    /// The unprefixed canonical name, to match the variable a load asks for.
    name: &'static str,
    /// Its aliases and whether it accepts `_FILE`: a variable of the same name that reads
    /// other names (another struct's, loaded by hand) is not this one.
    aliases: &'static [&'static str],
    file: bool,
    /// Every prefix in force over it, concatenated.
    prefix: String,
    ids: Box<[u32]>,
    /// The address of the `VarSchema` a load last asked for it with: recognised by one
    /// comparison next time (a constant's address is not guaranteed to be the same
    /// everywhere, so a different one is compared by name, and remembered).
    seen: AtomicUsize,
}

/// The id of `ENVIRONMENT` in every table.
const ENVIRONMENT_ID: u32 = 0;
const EMPTY: u32 = u32::MAX;

impl NameTable {
    /// The table of `schema`: all its names with every prefix applied, by the one rule of
    /// `schema::prefixed`.
    pub fn new(schema: &'static Schema) -> NameTable {
        let environment_kept = schema.has_environment_rules();
        // Id 0 is `ENVIRONMENT`'s, or a name no variable has (names are never empty).
        let environment: &[u8] = if environment_kept {
            ENVIRONMENT_VARIABLE.as_bytes()
        } else {
            b""
        };
        let mut table = NameTable {
            names: vec![environment.into()],
            environment_kept,
            secret_ids: Vec::new(),
            vars: Vec::new(),
            families: crate::unknown::families(schema),
            slots: Vec::new(),
            same_name: Vec::new(),
            filter: NameFilter {
                pairs: [0; 16],
                off: false,
            },
        };
        table.add_schema(schema, &mut String::new());
        table.index();
        table
    }

    fn add_schema(&mut self, schema: &'static Schema, prefix: &mut String) {
        let outer = prefix.len();
        prefix.push_str(schema.prefix);
        for entry in schema.entries {
            match entry {
                Entry::Var(var) => self.add_var(var, prefix),
                Entry::Flatten(child) => {
                    let before = prefix.len();
                    prefix.push_str(child.prefix);
                    self.add_schema(child.schema, prefix);
                    prefix.truncate(before);
                }
            }
        }
        prefix.truncate(outer);
    }

    fn add_var(&mut self, var: &'static VarSchema, prefix: &str) {
        let bases: Vec<String> = std::iter::once(var.name)
            .chain(var.aliases.iter().copied())
            .map(|name| prefixed(prefix, name).into_owned())
            .collect();
        let files = bases
            .iter()
            .filter(|_| var.file)
            .map(|b| format!("{b}_FILE"));
        let names: Vec<String> = bases.iter().cloned().chain(files).collect();
        let ids = names
            .into_iter()
            .map(|name| {
                self.names.push(name.into_bytes().into_boxed_slice());
                let id = u32::try_from(self.names.len() - 1).expect("fewer than 4 billion names");
                if var.secret {
                    self.secret_ids.push(id);
                }
                id
            })
            .collect();
        self.vars.push(VarNames {
            name: var.name,
            aliases: var.aliases,
            file: var.file,
            prefix: prefix.to_owned(),
            ids,
            seen: AtomicUsize::new(0),
        });
    }

    /// Builds the lookup structures once every name is in.
    fn index(&mut self) {
        let size = (self.names.len() * 4).next_power_of_two();
        self.slots = vec![EMPTY; size];
        self.same_name = vec![EMPTY; self.names.len()];
        for id in (0..self.names.len()).rev() {
            let id32 = u32::try_from(id).expect("fewer than 4 billion names");
            let mut at = hash(&self.names[id]) & (size - 1);
            loop {
                match self.slots[at] {
                    EMPTY => {
                        self.slots[at] = id32;
                        break;
                    }
                    other if self.names[other as usize] == self.names[id] => {
                        // Chained in id order: the earlier id stays in the slot.
                        self.same_name[id] = other;
                        self.slots[at] = id32;
                        break;
                    }
                    _ => at = (at + 1) & (size - 1),
                }
            }
        }
        for name in self.names.iter().filter(|name| !name.is_empty()) {
            self.filter.admit(name);
        }
        for family in &self.families {
            self.filter.admit(family.as_bytes());
        }
    }

    /// The first id of `name`, if the schema reads it.
    #[inline]
    fn id_of(&self, name: &[u8]) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut at = hash(name) & mask;
        loop {
            match self.slots[at] {
                EMPTY => return None,
                id if *self.names[id as usize] == *name => return Some(id),
                _ => at = (at + 1) & mask,
            }
        }
    }

    /// Whether `name` belongs to a family of the schema without being one of its names.
    fn is_unknown(&self, name: &str) -> bool {
        self.families.iter().any(|f| name.starts_with(f.as_str()))
            && !never_prefixed(name)
            && self.id_of(name.as_bytes()).is_none()
    }

    /// The prefixes of the schema's name families.
    pub(crate) fn families(&self) -> &[String] {
        &self.families
    }
}

/// Where generated code keeps its schema's table: built on the first load.
#[derive(Debug, Default)]
pub struct NameTableCell(OnceLock<NameTable>);

impl NameTableCell {
    /// An empty cell, for a `static`.
    pub const fn new() -> Self {
        NameTableCell(OnceLock::new())
    }

    /// The table of `schema`, built on first use.
    pub fn get(&self, schema: &'static Schema) -> &NameTable {
        self.0.get_or_init(|| NameTable::new(schema))
    }
}

/// A bit for a name's first two bytes.
#[inline]
fn pair(a: u8, b: u8) -> usize {
    (usize::from(a) * 31 + usize::from(b)) & 1023
}

/// A cheap hash of a variable's name: its length and its first and last eight bytes, which
/// tell most names of one schema apart; equal hashes are compared in full.
#[inline]
fn hash(name: &[u8]) -> usize {
    let n = name.len();
    let (head, tail) = match (name.first_chunk::<8>(), name.last_chunk::<8>()) {
        (Some(head), Some(tail)) => (u64::from_le_bytes(*head), u64::from_le_bytes(*tail)),
        _ => {
            let mut word = [0u8; 8];
            word[..n].copy_from_slice(name);
            (u64::from_le_bytes(word), 0)
        }
    };
    let mixed = (head ^ tail.rotate_left(29) ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 32) as usize
}

/// What one pass over a source found for one load: the values of the schema's names, taken
/// by the variable that reads them, and the names of its families it does not read.
pub(crate) struct Snapshot {
    table: &'static NameTable,
    values: Vec<Option<OsString>>,
    /// The next variable a derived load will ask for.
    cursor: usize,
    pub(crate) unknown: Vec<String>,
}

impl Snapshot {
    /// Walks `source` once; `None` when it cannot list its variables (then the load asks it
    /// name by name).
    pub(crate) fn take(source: &dyn crate::Source, table: &'static NameTable) -> Option<Snapshot> {
        let mut values: Vec<Option<OsString>> = Vec::with_capacity(table.names.len());
        values.resize_with(table.names.len(), || None);
        let mut unknown = Vec::new();
        let filter = &table.filter;
        let listed = source.for_each_variable(filter, &mut |name: &OsStr, value: &OsStr| {
            let bytes = name.as_encoded_bytes();
            if !filter.may_concern(bytes) {
                return;
            }
            let mut id = match table.id_of(bytes) {
                Some(id) => id,
                None => {
                    if let Some(name) = name.to_str()
                        && table.is_unknown(name)
                        && !unknown.iter().any(|u| u == name)
                    {
                        unknown.push(name.to_owned());
                    }
                    return;
                }
            };
            // The first of two equal names wins, as `getenv` finds it.
            while id != EMPTY {
                let slot = &mut values[id as usize];
                if slot.is_none() {
                    *slot = Some(value.to_owned());
                }
                id = table.same_name[id as usize];
            }
        });
        // Dropped, a snapshot wipes what it holds, secrets included.
        let snapshot = Snapshot {
            table,
            values,
            cursor: 0,
            unknown,
        };
        listed.then_some(snapshot)
    }

    /// The values of `var`'s names under `prefix`: each variable's values are handed out
    /// once, in the order a derived load asks for them. `None` for a variable the table does
    /// not hold, or holds no more (the load then asks the source itself).
    #[inline(always)]
    pub(crate) fn var(&mut self, var: &VarSchema, prefix: &str) -> Option<VarValues<'_>> {
        let vars = &self.table.vars;
        let address = std::ptr::from_ref(var) as usize;
        let same_prefix = |names: &VarNames| {
            names.prefix.len() == prefix.len() && (prefix.is_empty() || names.prefix == prefix)
        };
        // The variable at the cursor, as a derived load asks, is recognised by its address.
        let position = match vars.get(self.cursor) {
            Some(next) if next.seen.load(Ordering::Relaxed) == address && same_prefix(next) => {
                self.cursor
            }
            _ => {
                let position = (self.cursor..vars.len()).find(|&i| {
                    let names = &vars[i];
                    names.name == var.name
                        && names.aliases == var.aliases
                        && names.file == var.file
                        && same_prefix(names)
                })?;
                vars[position].seen.store(address, Ordering::Relaxed);
                position
            }
        };
        self.cursor = position + 1;
        Some(VarValues {
            values: &mut self.values,
            ids: &vars[position].ids,
        })
    }

    /// The value of `ENVIRONMENT` when the walk kept it; `None` when it did not (then the
    /// source is asked).
    pub(crate) fn environment(&self) -> Option<Option<&OsStr>> {
        self.table
            .environment_kept
            .then(|| self.values[ENVIRONMENT_ID as usize].as_deref())
    }
}

/// Counts only: the values may be secrets.
impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("values", &self.values.iter().flatten().count())
            .field("unknown", &self.unknown)
            .finish()
    }
}

/// Counts only: the values may be secrets.
impl std::fmt::Debug for VarValues<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VarValues")
            .field("names", &self.ids.len())
            .finish()
    }
}

impl Drop for Snapshot {
    /// A secret's value that a load did not take (when it stops early) is wiped, as the
    /// loader wipes a secret's text.
    fn drop(&mut self) {
        for &id in &self.table.secret_ids {
            if let Some(value) = self.values[id as usize].take() {
                zeroize::Zeroize::zeroize(&mut value.into_encoded_bytes());
            }
        }
    }
}

/// The values of one variable's names, in the order of the table: canonical, aliases, then
/// their `_FILE` variants.
pub(crate) struct VarValues<'s> {
    values: &'s mut [Option<OsString>],
    ids: &'static [u32],
}

impl VarValues<'_> {
    /// The value of name `index` (0 canonical, `i` alias `i - 1`), or of its `_FILE` variant,
    /// taken.
    #[inline]
    pub(crate) fn take(&mut self, var: &VarSchema, index: usize, file: bool) -> Option<OsString> {
        let at = if file {
            1 + var.aliases.len() + index
        } else {
            index
        };
        let id = *self.ids.get(at)?;
        self.values[id as usize].take()
    }

    /// Whether no name but the canonical one is set (aliases and `_FILE` variants unset).
    #[inline]
    pub(crate) fn only_canonical(&self) -> bool {
        self.ids[1..]
            .iter()
            .all(|&id| self.values[id as usize].is_none())
    }

    /// Puts the canonical name's value back, for the general way to read it again.
    #[inline]
    pub(crate) fn put_back(&mut self, value: OsString) {
        self.values[self.ids[0] as usize] = Some(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Presence;
    use crate::schema::build::{Var, schema};

    static KEY: Entry = Entry::Var(
        Var::new("key", "APP_KEY", "String", "", Presence::Required)
            .secret()
            .build(),
    );
    static SCHEMA: Schema = schema("S", "", "", false, std::slice::from_ref(&KEY));

    #[test]
    fn a_snapshot_shows_counts_never_values() {
        let table: &'static NameTable = Box::leak(Box::new(NameTable::new(&SCHEMA)));
        let source = crate::MapSource::new().with("APP_KEY", "hunter2-hunter2-hunter2");
        let mut snapshot = Snapshot::take(&source, table).unwrap();
        let shown = format!("{snapshot:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let Entry::Var(var) = &KEY else {
            unreachable!()
        };
        let values = snapshot.var(var, "").unwrap();
        assert!(!format!("{values:?}").contains("hunter2"));
    }

    #[test]
    fn names_of_one_schema_are_found_and_others_ruled_out() {
        let table = NameTable::new(&SCHEMA);
        // No rule by environment: `ENVIRONMENT` is not kept (a load that asks reads it).
        assert_eq!(table.id_of(b"ENVIRONMENT"), None);
        assert!(!table.environment_kept);
        for name in ["APP_KEY", "APP_KEY_FILE"] {
            assert!(table.id_of(name.as_bytes()).is_some(), "{name}");
            assert!(table.filter.may_concern(name.as_bytes()), "{name}");
        }
        assert_eq!(table.id_of(b"APP_KEYS"), None);
        assert!(!table.filter.may_concern(b"PATH"));
        assert!(!table.filter.may_concern(b"A"));
    }
}
