//! A fleet as its deploy inputs describe it: every service instance of Kubernetes manifests,
//! Compose files and env files, with the environment it will start with. Nothing here talks
//! to a cluster or reads a file a container would read; what the inputs cannot tell is kept
//! as "not checked", never guessed.

mod compose;
mod expand;
mod kubernetes;
mod source;

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use jwt_config::{EnvFile, Problem, Source as _, Substitution, vars};

pub(crate) use source::FleetSource;

use crate::commands::UsageError;

/// One service instance: a container of a workload, a Compose service, an env file.
pub(crate) struct Instance {
    /// How the report names it: `namespace/kind/name` (`:container` in a pod of several), the
    /// Compose service, the env file's `SERVICE_ID` or file name.
    pub(crate) name: String,
    /// The input it was read from.
    pub(crate) input: String,
    /// The environment it starts with, as far as the inputs tell.
    pub(crate) source: FleetSource,
    /// What the inputs cannot tell.
    pub(crate) unchecked: Vec<Unchecked>,
    /// What is wrong before the service even starts (a key missing from a ConfigMap).
    pub(crate) problems: Vec<Problem>,
    /// A container sharing its pod with others: one that sets no variable of the schema is a
    /// sidecar, not a service.
    pub(crate) sidecar_candidate: bool,
    /// The workload's own name: a Kubernetes object's `metadata.name`, the Compose service,
    /// the env file's service.
    pub(crate) workload: String,
    /// The labels and annotations of the workload and of its pod template (a Compose
    /// service's `labels`): what a rule that maps workloads to schemas reads.
    pub(crate) labels: BTreeMap<String, String>,
}

/// A value the inputs cannot tell.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct Unchecked {
    /// The variable; `None` when a whole `envFrom` object is not in the input (then any
    /// variable may come from it).
    pub(crate) variable: Option<String>,
    /// Why, in words: "Secret default/jwt is not in the input".
    pub(crate) reason: String,
    /// Supplied at deploy time (an object not in the input: a problem under `--strict`), as
    /// opposed to a runtime value (`fieldRef`).
    pub(crate) deploy_time: bool,
}

impl Instance {
    fn new(name: String, input: &str) -> Self {
        Instance {
            workload: name.clone(),
            labels: BTreeMap::new(),
            name,
            input: input.to_owned(),
            source: FleetSource::default(),
            unchecked: Vec::new(),
            problems: Vec::new(),
            sidecar_candidate: false,
        }
    }

    /// Whether a problem about `variable` comes from what the inputs cannot tell.
    pub(crate) fn explains(&self, problem: &Problem) -> bool {
        let variable = problem.variable();
        self.unchecked.iter().any(|u| match &u.variable {
            // The variable itself, or a missing one whose rule names it ("required ... unless
            // SERVICE_PRIVATE_KEY is set"): the object not in the input may supply it.
            Some(name) => {
                variable == name
                    || variable.strip_suffix("_FILE") == Some(name.as_str())
                    || (problem.kind() == jwt_config::ProblemKind::Missing
                        && names_variable(problem.message(), name))
            }
            // An object whose keys are unknown may supply any missing variable.
            None => problem.kind() == jwt_config::ProblemKind::Missing,
        })
    }
}

/// Whether `message` names `variable` as a whole word (not `SERVICE_PRIVATE_KEY_FILE` for
/// `SERVICE_PRIVATE_KEY`).
fn names_variable(message: &str, variable: &str) -> bool {
    let part_of_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    message.match_indices(variable).any(|(at, _)| {
        let before = message[..at].chars().next_back();
        let after = message[at + variable.len()..].chars().next();
        !before.is_some_and(part_of_name) && !after.is_some_and(part_of_name)
    })
}

/// The kinds of workload whose containers are services; the words of the report.
pub(crate) const WORKLOAD_KINDS: &str = "Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, \
     ReplicationControllers, Jobs and CronJobs (with their ConfigMaps and Secrets), Compose \
     services and env files";

/// Objects of one kind the inputs hold that `audit` does not read.
#[derive(Clone, Debug, serde::Serialize)]
pub(crate) struct SkippedKind {
    pub(crate) kind: String,
    /// `input: namespace/name` of each.
    pub(crate) objects: Vec<String>,
    /// It has a pod template (an Argo Rollout, a Knative Service...): services not checked.
    pub(crate) runs_containers: bool,
}

/// What the inputs hold: the service instances, and what was not read.
pub(crate) struct Fleet {
    pub(crate) instances: Vec<Instance>,
    pub(crate) skipped: Vec<SkippedKind>,
    /// Directories reached a second time (through a link) and not read again.
    pub(crate) repeated_directories: Vec<String>,
}

/// Every instance of the inputs (`-` is standard input). Kubernetes objects of all inputs are
/// one pool: a Deployment in one file finds its ConfigMap in another.
pub(crate) fn read_inputs(paths: &[PathBuf]) -> Result<Fleet, UsageError> {
    // A link or an `env_file` may lead only into a directory given (or holding a file given):
    // an input never makes audit read the checking machine's other files.
    let roots: Vec<PathBuf> = paths
        .iter()
        .filter(|p| *p != Path::new("-"))
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .map(|real| {
            if real.is_dir() {
                real
            } else {
                real.parent().map(Path::to_path_buf).unwrap_or(real)
            }
        })
        .collect();
    let mut walk = Walk {
        roots: roots.clone(),
        ..Walk::default()
    };
    for path in paths {
        walk.collect(path)?;
    }
    let Walk {
        files, repeated, ..
    } = walk;
    let mut pool = kubernetes::Pool::default();
    let mut instances = Vec::new();
    for (name, kind) in files {
        match kind {
            InputKind::Env => instances.push(env_file_instance(&name)?),
            InputKind::Yaml => {
                let text = read_text(&name)?;
                let shown = shown(&name);
                let documents = parse_yaml(&shown, &text)?;
                for document in documents {
                    if compose::is_compose(&document) {
                        let base = name.parent().unwrap_or(Path::new("."));
                        instances.extend(compose::instances(&shown, base, &roots, &document)?);
                    } else {
                        pool.add(&shown, document)?;
                    }
                }
            }
        }
    }
    instances.extend(pool.instances()?);
    name_apart(&mut instances);
    Ok(Fleet {
        instances,
        skipped: pool.skipped(),
        repeated_directories: repeated,
    })
}

/// Instances of one name (two env files of one `SERVICE_ID`, a Compose service and an env
/// file) named apart by their input: every comparison tells a service from itself by name,
/// so two of one name would never be compared with each other.
fn name_apart(instances: &mut [Instance]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for instance in instances.iter() {
        *seen.entry(instance.name.clone()).or_default() += 1;
    }
    for instance in instances.iter_mut() {
        if seen.get(&instance.name).is_some_and(|count| *count > 1) {
            instance.name = format!("{} ({})", instance.name, instance.input);
        }
    }
}

#[derive(Clone, Copy)]
enum InputKind {
    Yaml,
    Env,
}

fn shown(path: &Path) -> String {
    if path == Path::new("-") {
        "<stdin>".to_owned()
    } else {
        path.display().to_string()
    }
}

fn input_error(text: String) -> UsageError {
    UsageError::new(text)
}

/// The files of the inputs, each real directory read once: a link to a directory already
/// read (two links to `.`, a link to a parent) is noted, not followed again, so a walk
/// always ends.
#[derive(Default)]
struct Walk {
    /// The real directories of the inputs: what links may lead into.
    roots: Vec<PathBuf>,
    files: Vec<(PathBuf, InputKind)>,
    visited: std::collections::HashSet<PathBuf>,
    repeated: Vec<String>,
}

impl Walk {
    /// A path given on the command line: a file (YAML by its extension, else an env file), a
    /// directory (its YAML and env files, recursively, in name order), or `-`.
    fn collect(&mut self, path: &Path) -> Result<(), UsageError> {
        if path == Path::new("-") {
            self.files.push((path.to_owned(), InputKind::Yaml));
            return Ok(());
        }
        let unreadable =
            |e: std::io::Error| input_error(format!("{}: cannot be read ({e})", path.display()));
        let metadata = std::fs::metadata(path).map_err(unreadable)?;
        if !metadata.is_dir() {
            let kind = if is_yaml(path) {
                InputKind::Yaml
            } else {
                InputKind::Env
            };
            self.files.push((path.to_owned(), kind));
            return Ok(());
        }
        self.directory(path)
    }

    fn directory(&mut self, path: &Path) -> Result<(), UsageError> {
        let unreadable =
            |e: std::io::Error| input_error(format!("{}: cannot be read ({e})", path.display()));
        let real = std::fs::canonicalize(path).map_err(unreadable)?;
        if !self.visited.insert(real.clone()) {
            self.repeated.push(format!(
                "{} (the directory {}, already read)",
                path.display(),
                real.display()
            ));
            return Ok(());
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(unreadable)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for entry in entries {
            if !(is_yaml(&entry) || is_env_file(&entry) || entry.is_dir()) {
                continue;
            }
            check_inside(&entry, &self.roots)?;
            if entry.is_dir() {
                self.directory(&entry)?;
            } else if is_yaml(&entry) {
                self.files.push((entry, InputKind::Yaml));
            } else if is_env_file(&entry) {
                self.files.push((entry, InputKind::Env));
            }
        }
        Ok(())
    }
}

/// An entry of a directory input read by audit: it must be a regular file or a directory
/// (a FIFO or a device would hang or never end), and a link must lead inside an input.
fn check_inside(entry: &Path, roots: &[PathBuf]) -> Result<(), UsageError> {
    let refused = |why: String| {
        input_error(format!(
            "{}: {why}; audit reads only files under the inputs it is given: give that file or its directory as an input, or remove it",
            shown(entry)
        ))
    };
    let real = std::fs::canonicalize(entry)
        .map_err(|e| refused(format!("cannot be resolved ({})", e.kind())))?;
    if !roots.iter().any(|root| real.starts_with(root)) {
        return Err(refused(format!(
            "leads out of the inputs (to {})",
            real.display()
        )));
    }
    let metadata =
        std::fs::metadata(&real).map_err(|e| refused(format!("cannot be read ({})", e.kind())))?;
    if !metadata.is_dir() && !metadata.is_file() {
        return Err(refused("is not a regular file".to_owned()));
    }
    Ok(())
}

/// Whether `path` lies inside one of `roots` once links and `..` are resolved.
pub(crate) fn is_inside(path: &Path, roots: &[PathBuf]) -> bool {
    std::fs::canonicalize(path).is_ok_and(|real| roots.iter().any(|root| real.starts_with(root)))
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml" | "json")
    )
}

fn is_env_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.ends_with(".env") || name.starts_with(".env")
}

/// Inputs larger than this are refused: a fleet's manifests are megabytes, not gigabytes.
const MAX_INPUT_SIZE: u64 = 256 * 1024 * 1024;

fn read_text(path: &Path) -> Result<String, UsageError> {
    let failed = |e: std::io::Error| input_error(format!("{}: cannot be read ({e})", shown(path)));
    let text = if path == Path::new("-") {
        read_bounded(std::io::stdin(), MAX_INPUT_SIZE).map_err(failed)?
    } else {
        let metadata = std::fs::metadata(path).map_err(failed)?;
        if !metadata.is_file() {
            return Err(input_error(format!(
                "{}: is not a regular file (a FIFO or a device would never end); give a file",
                shown(path)
            )));
        }
        read_bounded(std::fs::File::open(path).map_err(failed)?, MAX_INPUT_SIZE).map_err(failed)?
    };
    // What is beyond the bound is never silently left out: the verdict would be of a part.
    text.ok_or_else(|| {
        input_error(format!(
            "{}: is larger than {} MiB; split it into several inputs",
            shown(path),
            MAX_INPUT_SIZE / (1024 * 1024)
        ))
    })
}

/// At most `limit` bytes of text; `None` when there is more.
fn read_bounded(reader: impl std::io::Read, limit: u64) -> std::io::Result<Option<String>> {
    let mut text = String::new();
    reader.take(limit + 1).read_to_string(&mut text)?;
    Ok((text.len() as u64 <= limit).then_some(text))
}

/// Nodes a YAML stream may hold per byte of its text, aliases expanded: without aliases a node
/// takes at least two bytes (`a,`), so this leaves room for ordinary anchors (Compose's
/// `x-common`) while an expansion bomb is refused.
const NODES_PER_INPUT_BYTE: usize = 4;
/// Nodes every stream may hold whatever its size.
const BASE_NODES: usize = 100_000;
/// Bytes of scalars every stream may hold whatever its size (then 4 per byte of input).
const BASE_SCALAR_BYTES: usize = 1024 * 1024;

/// Every document of a YAML stream, as data. A syntax error names the file and line. The
/// parser's alias limits apply to each document anew, so the whole stream's nodes (aliases
/// expanded) are bounded here, relative to the size of the text.
fn parse_yaml(shown: &str, text: &str) -> Result<Vec<serde_json::Value>, UsageError> {
    let max_nodes = text
        .len()
        .saturating_mul(NODES_PER_INPUT_BYTE)
        .saturating_add(BASE_NODES);
    // Aliases repeat scalars too: their bytes are bounded the same way.
    let max_scalar_bytes = text
        .len()
        .saturating_mul(NODES_PER_INPUT_BYTE)
        .saturating_add(BASE_SCALAR_BYTES)
        .min(MAX_INPUT_SIZE as usize);
    let mut alias_limits = serde_saphyr::options::AliasLimits::default();
    alias_limits.max_total_replayed_events = max_nodes;
    // The document count is bounded by the input's size (`MAX_INPUT_SIZE`); a fleet's stream
    // holds thousands, over the parser's default of 1,024.
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_documents: 10_000_000,
            max_nodes: max_nodes,
            max_events: max_nodes.saturating_mul(4),
            max_total_scalar_bytes: max_scalar_bytes,
        },
        alias_limits: alias_limits,
    };
    serde_saphyr::from_multiple_with_options::<serde_json::Value>(text, options).map_err(|error| {
        let line = error
            .location()
            .map(|l| format!(" line {}", l.line()))
            .unwrap_or_default();
        let message = error.to_string();
        // The breach may be wrapped (with the alias's location); its words are stable.
        let expansion = [
            "budget breached: Nodes",
            "budget breached: Events",
            "budget breached: ScalarBytes",
            "total_replayed_events",
        ]
        .iter()
        .any(|words| message.contains(words));
        if expansion {
            return input_error(format!(
                "{shown}{line}: refused: its aliases expand to more than {max_nodes} nodes or \
                 {max_scalar_bytes} bytes of text ({NODES_PER_INPUT_BYTE} per byte of input, \
                 plus a margin); write the values out instead of repeating anchors"
            ));
        }
        let first = message.lines().next().unwrap_or("invalid YAML");
        input_error(format!("{shown}{line}: not valid YAML: {first}"))
    })
}

/// An env file as one service: named by its `SERVICE_ID`, else by its file name.
fn env_file_instance(path: &Path) -> Result<Instance, UsageError> {
    let file = EnvFile::load(path, Substitution::Refused)?;
    let shown = shown(path);
    let name = file
        .get(vars::SERVICE_ID)
        .and_then(|id| id.into_string().ok())
        .filter(|id| !id.trim().is_empty())
        .unwrap_or_else(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| shown.clone())
        });
    let mut instance = Instance::new(name, &shown);
    // Its workload: the service, else the file's name without its extension.
    if file.get(vars::SERVICE_ID).is_none() {
        instance.workload = path
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_else(|| instance.name.clone());
    }
    instance.source.absorb(&file);
    instance.note_container_files(&shown);
    Ok(instance)
}

impl Instance {
    /// `NAME_FILE` of an env file or a Compose service names a file inside the container:
    /// never read from this machine, not checked.
    fn note_container_files(&mut self, input: &str) {
        let files: Vec<String> = self
            .source
            .names()
            .filter(|name| name.ends_with("_FILE"))
            .map(str::to_owned)
            .collect();
        for name in files {
            let variable = name.strip_suffix("_FILE").unwrap_or(&name).to_owned();
            // NAME set too: "both set" is certain, whatever the file holds.
            if self.source.bytes(&variable).is_some() {
                continue;
            }
            self.unchecked.push(Unchecked {
                variable: Some(variable),
                reason: format!(
                    "{name} names a file inside the container ({input} does not hold it)"
                ),
                deploy_time: true,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A document of 9^5 leaves built from five lines of aliases.
    fn alias_bomb(index: usize) -> String {
        let mut doc =
            format!("---\nx{index}: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
        for (name, previous) in [("b", "a"), ("c", "b"), ("d", "c"), ("e", "d")] {
            let items = vec![format!("*{previous}"); 9].join(",");
            doc.push_str(&format!("{name}: &{name} [{items}]\n"));
        }
        doc
    }

    #[test]
    fn alias_expansion_is_bounded_across_the_stream_relative_to_its_size() {
        // Each document is small and under any per-document limit; together they would
        // expand to over a million nodes from a few kilobytes.
        let stream: String = (0..20).map(alias_bomb).collect();
        assert!(stream.len() < 8 * 1024, "{}", stream.len());
        let Err(error) = parse_yaml("bombs.yaml", &stream) else {
            panic!("accepted");
        };
        let message = error.to_string();
        assert!(
            message.contains("bombs.yaml") && message.contains("aliases expand"),
            "{message}"
        );
    }

    #[test]
    fn an_input_over_the_bound_is_refused_never_cut() {
        assert_eq!(
            read_bounded(&b"0123456789"[..], 10).unwrap().as_deref(),
            Some("0123456789")
        );
        assert_eq!(read_bounded(&b"0123456789a"[..], 10).unwrap(), None);
    }

    #[test]
    fn long_scalars_repeated_by_aliases_are_bounded_too() {
        // Few nodes, but each a copy of a 2 KB string: 9^4 copies, 13 MB from 2.5 KB.
        let long = "x".repeat(2048);
        let mut doc = format!("a: &a \"{long}\"\n");
        for (name, previous) in [("b", "a"), ("c", "b"), ("d", "c"), ("e", "d")] {
            let items = vec![format!("*{previous}"); 9].join(",");
            doc.push_str(&format!("{name}: &{name} [{items}]\n"));
        }
        let Err(error) = parse_yaml("long.yaml", &doc) else {
            panic!("accepted");
        };
        assert!(error.to_string().contains("aliases expand"), "{error}");
    }

    #[test]
    fn a_few_aliases_of_an_ordinary_compose_file_are_read() {
        let text =
            "x-common: &common\n  environment: {A: b}\nservices:\n  one: *common\n  two: *common\n";
        assert_eq!(parse_yaml("c.yaml", text).unwrap().len(), 1);
    }
}
