//! Kubernetes manifests: every container of every workload is a service instance, its
//! environment resolved as the kubelet resolves it. `envFrom` first (ConfigMaps and Secrets,
//! with `prefix`, a later source winning), then `env` in order (`value` with `$(VAR)`
//! expansion, `configMapKeyRef`, `secretKeyRef`; `fieldRef` and `resourceFieldRef` are
//! runtime values), each entry replacing an earlier one of the same name. Objects are found
//! in the workload's namespace (`default` where a manifest names none). Files of Secret and
//! ConfigMap volumes are what a `NAME_FILE` may point to.
//!
//! Only the few fields read here are typed (the Kubernetes API crates would cost more build
//! time than they give); everything else in a manifest is ignored.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use jwt_config::{Location, Problem, ProblemKind, Source as _};
use serde::Deserialize;
use serde_json::Value;
use zeroize::Zeroizing;

use super::expand::{Lookup, expand};
use super::{Instance, SkippedKind, Unchecked, input_error};
use crate::commands::UsageError;

/// The kinds whose pod template runs containers, and where the pod spec is.
fn pod_spec(kind: &str, object: &Value) -> Option<Value> {
    let path: &[&str] = match kind {
        "Pod" => &["spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => return None,
    };
    path.iter()
        .try_fold(object, |value, key| value.get(key))
        .cloned()
}

/// The labels and annotations of a workload and of its pod template, the template's over the
/// object's and annotations over labels (string values only).
fn labels(kind: &str, object: &Value) -> BTreeMap<String, String> {
    let template: &[&str] = match kind {
        "Pod" => &[],
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        _ => &["spec", "template"],
    };
    let mut labels = BTreeMap::new();
    let template = template
        .iter()
        .try_fold(object, |value, key| value.get(key));
    for metadata in [Some(object), template].into_iter().flatten() {
        for field in ["labels", "annotations"] {
            let Some(Value::Object(entries)) = metadata.pointer(&format!("/metadata/{field}"))
            else {
                continue;
            };
            for (key, value) in entries {
                if let Some(text) = value.as_str() {
                    labels.insert(key.clone(), text.to_owned());
                }
            }
        }
    }
    labels
}

/// Every object of the inputs, ConfigMaps and Secrets indexed by namespace and name.
#[derive(Default)]
pub(crate) struct Pool {
    workloads: Vec<Workload>,
    /// Where each workload is in `workloads`: a later document for the same object replaces
    /// the earlier one, as applying them in order would.
    workload_index: HashMap<(String, String, String), usize>,
    objects: HashMap<(ObjectKind, String, String), Data>,
    /// Objects of kinds not read, by kind: said in the report, never silently dropped.
    skipped: BTreeMap<String, SkippedKind>,
}

struct Workload {
    input: String,
    kind: String,
    namespace: String,
    name: String,
    spec: Value,
    /// Labels and annotations of the object and of its pod template.
    labels: BTreeMap<String, String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum ObjectKind {
    ConfigMap,
    Secret,
}

impl ObjectKind {
    fn word(self) -> &'static str {
        match self {
            ObjectKind::ConfigMap => "ConfigMap",
            ObjectKind::Secret => "Secret",
        }
    }
}

/// A ConfigMap's or Secret's keys and values (a Secret's `data` decoded, `stringData` over
/// it), and the input it came from.
struct Data {
    input: String,
    entries: BTreeMap<String, Entry>,
}

struct Entry {
    value: Zeroizing<Vec<u8>>,
    /// Written as a YAML number or boolean: the API server refuses it.
    not_a_string: bool,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

impl Pool {
    /// Adds one document (a `List`'s items each).
    pub(crate) fn add(&mut self, input: &str, document: Value) -> Result<(), UsageError> {
        let kind = document
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if kind == "List" || kind.ends_with("List") {
            if let Some(Value::Array(items)) = document.get("items") {
                for item in items.clone() {
                    self.add(input, item)?;
                }
            }
            return Ok(());
        }
        let metadata: Metadata = document
            .get("metadata")
            .cloned()
            .and_then(|m| serde_json::from_value(m).ok())
            .unwrap_or(Metadata {
                name: String::new(),
                namespace: None,
            });
        let namespace = metadata
            .namespace
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| "default".to_owned());
        let object_kind = match kind.as_str() {
            "ConfigMap" => Some(ObjectKind::ConfigMap),
            "Secret" => Some(ObjectKind::Secret),
            _ => None,
        };
        if let Some(object_kind) = object_kind {
            let what = format!("{input}: {kind} {namespace}/{}", metadata.name);
            let data = Data {
                input: input.to_owned(),
                entries: read_data(object_kind, &document, &what)?,
            };
            self.objects
                .insert((object_kind, namespace, metadata.name), data);
        } else if let Some(spec) = pod_spec(&kind, &document) {
            let labels = labels(&kind, &document);
            self.add_workload(input, kind, namespace, metadata.name, spec, labels);
        } else {
            let runs_containers = ["/spec/template/spec/containers", "/spec/containers"]
                .iter()
                .any(|p| document.pointer(p).is_some());
            let skipped = self
                .skipped
                .entry(kind.clone())
                .or_insert_with(|| SkippedKind {
                    kind: if kind.is_empty() {
                        "(no kind)".to_owned()
                    } else {
                        kind
                    },
                    objects: Vec::new(),
                    runs_containers: false,
                });
            skipped.runs_containers |= runs_containers;
            skipped
                .objects
                .push(format!("{input}: {namespace}/{}", metadata.name));
        }
        Ok(())
    }

    fn add_workload(
        &mut self,
        input: &str,
        kind: String,
        namespace: String,
        name: String,
        spec: Value,
        labels: BTreeMap<String, String>,
    ) {
        let key = (kind.clone(), namespace.clone(), name.clone());
        let workload = Workload {
            input: input.to_owned(),
            kind,
            namespace,
            name,
            spec,
            labels,
        };
        match self.workload_index.get(&key) {
            Some(&index) => self.workloads[index] = workload,
            None => {
                self.workload_index.insert(key, self.workloads.len());
                self.workloads.push(workload);
            }
        }
    }

    /// The kinds of the input that were not read, in name order.
    pub(crate) fn skipped(&self) -> Vec<SkippedKind> {
        self.skipped.values().cloned().collect()
    }

    /// Every container of every workload, as an instance.
    pub(crate) fn instances(&self) -> Result<Vec<Instance>, UsageError> {
        let mut out = Vec::new();
        for workload in &self.workloads {
            let what = format!(
                "{}: {} {}/{}",
                workload.input, workload.kind, workload.namespace, workload.name
            );
            let spec: PodSpec = serde_json::from_value(workload.spec.clone())
                .map_err(|e| input_error(format!("{what}: the pod spec cannot be read: {e}")))?;
            let several = spec.containers.len() > 1;
            for container in &spec.containers {
                let mut name = format!(
                    "{}/{}/{}",
                    workload.namespace,
                    workload.kind.to_lowercase(),
                    workload.name
                );
                if several {
                    name = format!("{name}:{}", container.name);
                }
                let mut instance = Instance::new(name, &workload.input);
                instance.sidecar_candidate = several;
                instance.workload.clone_from(&workload.name);
                instance.labels.clone_from(&workload.labels);
                let resolver = Resolver {
                    pool: self,
                    namespace: &workload.namespace,
                    input: &workload.input,
                };
                resolver.environment(container, &mut instance);
                resolver.volumes(&spec.volumes, container, &mut instance);
                instance.problems.extend(resolver.missing_items(&spec));
                out.push(instance);
            }
        }
        Ok(out)
    }

    fn object(&self, kind: ObjectKind, namespace: &str, name: &str) -> Option<&Data> {
        self.objects
            .get(&(kind, namespace.to_owned(), name.to_owned()))
    }
}

/// A ConfigMap's `data`, or a Secret's `data` (base64) with `stringData` over it.
fn read_data(
    kind: ObjectKind,
    document: &Value,
    what: &str,
) -> Result<BTreeMap<String, Entry>, UsageError> {
    let mut entries = BTreeMap::new();
    let mut read = |field: &str, base64: bool| -> Result<(), UsageError> {
        let Some(Value::Object(map)) = document.get(field) else {
            return Ok(());
        };
        for (key, value) in map {
            let (text, not_a_string) = scalar_text(value);
            let value = if base64 {
                let compact: String = text.split_whitespace().collect();
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .map_err(|_| {
                        input_error(format!(
                            "{what}: data key {key} is not valid base64 (Kubernetes refuses it; \
                             use stringData for plain text)"
                        ))
                    })?
            } else {
                text.into_bytes()
            };
            entries.insert(
                key.clone(),
                Entry {
                    value: Zeroizing::new(value),
                    not_a_string,
                },
            );
        }
        Ok(())
    };
    match kind {
        ObjectKind::ConfigMap => read("data", false)?,
        ObjectKind::Secret => {
            read("data", true)?;
            read("stringData", false)?;
        }
    }
    Ok(entries)
}

/// A YAML scalar as text, and whether it was written as something other than a string.
fn scalar_text(value: &Value) -> (String, bool) {
    match value {
        Value::String(text) => (text.clone(), false),
        Value::Null => (String::new(), true),
        other => (other.to_string(), true),
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PodSpec {
    containers: Vec<Container>,
    volumes: Vec<Volume>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Container {
    name: String,
    env: Vec<EnvVar>,
    env_from: Vec<EnvFrom>,
    volume_mounts: Vec<VolumeMount>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct EnvVar {
    name: String,
    value: Option<Value>,
    value_from: Option<ValueFrom>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ValueFrom {
    config_map_key_ref: Option<KeyRef>,
    secret_key_ref: Option<KeyRef>,
    field_ref: Option<FieldRef>,
    resource_field_ref: Option<ResourceFieldRef>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct KeyRef {
    name: String,
    key: String,
    optional: bool,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct FieldRef {
    field_path: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ResourceFieldRef {
    resource: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct EnvFrom {
    prefix: String,
    config_map_ref: Option<ObjectRef>,
    secret_ref: Option<ObjectRef>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ObjectRef {
    name: String,
    optional: bool,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct VolumeMount {
    name: String,
    mount_path: String,
    sub_path: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Volume {
    name: String,
    secret: Option<VolumeObject>,
    config_map: Option<VolumeObject>,
    projected: Option<Projected>,
}

/// A Secret (`secretName`) or ConfigMap (`name`) volume, or a projected source.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct VolumeObject {
    secret_name: String,
    name: String,
    items: Vec<KeyToPath>,
    optional: bool,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Projected {
    sources: Vec<ProjectedSource>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ProjectedSource {
    secret: Option<VolumeObject>,
    config_map: Option<VolumeObject>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct KeyToPath {
    key: String,
    path: String,
}

/// The Secrets and ConfigMaps a volume projects.
fn volume_objects(volume: &Volume) -> Vec<(ObjectKind, &VolumeObject)> {
    let mut objects: Vec<(ObjectKind, &VolumeObject)> = Vec::new();
    if let Some(secret) = &volume.secret {
        objects.push((ObjectKind::Secret, secret));
    }
    if let Some(config_map) = &volume.config_map {
        objects.push((ObjectKind::ConfigMap, config_map));
    }
    if let Some(projected) = &volume.projected {
        for source in &projected.sources {
            if let Some(secret) = &source.secret {
                objects.push((ObjectKind::Secret, secret));
            }
            if let Some(config_map) = &source.config_map {
                objects.push((ObjectKind::ConfigMap, config_map));
            }
        }
    }
    objects
}

/// Resolves one container's environment and files within its workload's namespace.
struct Resolver<'a> {
    pool: &'a Pool,
    namespace: &'a str,
    input: &'a str,
}

impl Resolver<'_> {
    fn environment(&self, container: &Container, instance: &mut Instance) {
        for from in &container.env_from {
            let (kind, reference) = match (&from.config_map_ref, &from.secret_ref) {
                (Some(r), _) => (ObjectKind::ConfigMap, r),
                (None, Some(r)) => (ObjectKind::Secret, r),
                (None, None) => continue,
            };
            self.env_from(kind, reference, &from.prefix, instance);
        }
        for var in &container.env {
            self.env_var(var, instance);
        }
    }

    fn env_from(
        &self,
        kind: ObjectKind,
        reference: &ObjectRef,
        prefix: &str,
        instance: &mut Instance,
    ) {
        let shown = format!("{} {}/{}", kind.word(), self.namespace, reference.name);
        let Some(data) = self.pool.object(kind, self.namespace, &reference.name) else {
            let optional = if reference.optional { "optional " } else { "" };
            instance.unchecked.push(Unchecked {
                variable: None,
                reason: format!(
                    "envFrom {optional}{shown} is not in the input: supplied at deploy time, not checked"
                ),
                deploy_time: true,
            });
            return;
        };
        for (key, entry) in &data.entries {
            let name = format!("{prefix}{key}");
            // The kubelet skips keys that cannot be variable names.
            if key.is_empty() || name.contains('=') {
                continue;
            }
            let origin = format!("{}: {shown} key {key} (envFrom)", data.input);
            self.set(instance, &name, entry, origin);
        }
    }

    fn env_var(&self, var: &EnvVar, instance: &mut Instance) {
        let name = var.name.as_str();
        // `$(NAME)` in NAME's own value refers to its earlier definition: when that one is
        // unknown (a Secret not in the input), so is the new value.
        let was_unknown = instance
            .unchecked
            .iter()
            .any(|u| u.variable.as_deref() == Some(name));
        instance
            .unchecked
            .retain(|u| u.variable.as_deref() != Some(name));
        let Some(from) = &var.value_from else {
            let (text, not_a_string) = var
                .value
                .as_ref()
                .map_or((String::new(), false), scalar_text);
            if not_a_string && var.value.as_ref().is_some_and(|v| !v.is_null()) {
                self.refused_scalar(instance, name, "env value");
            }
            let unknown: Vec<&str> = instance
                .unchecked
                .iter()
                .filter_map(|u| u.variable.as_deref())
                .collect();
            // An `envFrom` object not in the input may define any name.
            let open = instance.unchecked.iter().any(|u| u.variable.is_none());
            let source = &instance.source;
            let expanded = expand(&text, |reference| match source.bytes(reference) {
                _ if unknown.contains(&reference) => Lookup::Unknown,
                _ if was_unknown && reference == name => Lookup::Unknown,
                Some(value) => Lookup::Defined(value),
                None if open => Lookup::Unknown,
                None => Lookup::Undefined,
            });
            match expanded {
                Some(value) => {
                    let origin = Location::named(format!("{}: env {name}", self.input));
                    instance.source.set_own(name, Zeroizing::new(value), origin);
                }
                None => self.unknown(
                    instance,
                    name,
                    "refers with $(...) to a value not in the input".into(),
                    true,
                ),
            }
            return;
        };
        if let Some(field) = &from.field_ref {
            let reason = format!("a runtime value (fieldRef {})", field.field_path);
            self.unknown(instance, name, reason, false);
        } else if let Some(resource) = &from.resource_field_ref {
            let reason = format!("a runtime value (resourceFieldRef {})", resource.resource);
            self.unknown(instance, name, reason, false);
        } else if let Some(reference) = &from.config_map_key_ref {
            self.key_ref(ObjectKind::ConfigMap, reference, name, instance);
        } else if let Some(reference) = &from.secret_key_ref {
            self.key_ref(ObjectKind::Secret, reference, name, instance);
        }
    }

    fn key_ref(&self, kind: ObjectKind, reference: &KeyRef, name: &str, instance: &mut Instance) {
        let shown = format!("{} {}/{}", kind.word(), self.namespace, reference.name);
        let Some(data) = self.pool.object(kind, self.namespace, &reference.name) else {
            let reason =
                format!("{shown} is not in the input: supplied at deploy time, not checked");
            self.unknown(instance, name, reason, true);
            return;
        };
        match data.entries.get(&reference.key) {
            Some(entry) => {
                let origin = format!("{}: {shown} key {}", data.input, reference.key);
                self.set(instance, name, entry, origin);
            }
            None if reference.optional => instance.source.unset(name),
            None => {
                instance.source.unset(name);
                instance.problems.push(Problem::new(
                    name,
                    ProblemKind::Missing,
                    format!(
                        "comes from {shown} key {}, which that object does not have: the pod will not start",
                        reference.key
                    ),
                ));
            }
        }
    }

    fn set(&self, instance: &mut Instance, name: &str, entry: &Entry, origin: String) {
        if entry.not_a_string {
            self.refused_scalar(instance, name, "data value");
        }
        // As the kubelet hands it over: the bytes, never re-encoded.
        instance
            .unchecked
            .retain(|u| u.variable.as_deref() != Some(name));
        instance
            .source
            .set_bytes(name, entry.value.clone(), Location::named(origin));
    }

    fn unknown(&self, instance: &mut Instance, name: &str, reason: String, deploy_time: bool) {
        instance.source.unset(name);
        instance.unchecked.push(Unchecked {
            variable: Some(name.to_owned()),
            reason,
            deploy_time,
        });
    }

    fn refused_scalar(&self, instance: &mut Instance, name: &str, what: &str) {
        instance.problems.push(Problem::new(
            name,
            ProblemKind::Invalid,
            format!("its {what} is a YAML number, boolean or null: Kubernetes accepts only strings; quote it"),
        ));
    }

    /// The files a container's Secret and ConfigMap volumes hold, and the `NAME_FILE`
    /// variables whose file no input can tell.
    /// Items of the pod's volumes whose key their object (in the input) lacks: the kubelet
    /// fails such a volume, and the whole pod with it, whichever container mounts it.
    fn missing_items(&self, spec: &PodSpec) -> Vec<Problem> {
        let mut problems = Vec::new();
        for volume in &spec.volumes {
            let mounted_by: Vec<&str> = spec
                .containers
                .iter()
                .filter(|c| c.volume_mounts.iter().any(|m| m.name == volume.name))
                .map(|c| c.name.as_str())
                .collect();
            if mounted_by.is_empty() {
                continue; // The kubelet sets up only the volumes a container mounts.
            }
            for (kind, object) in volume_objects(volume) {
                let name = if object.secret_name.is_empty() {
                    &object.name
                } else {
                    &object.secret_name
                };
                let Some(data) = self.pool.object(kind, self.namespace, name) else {
                    continue;
                };
                let shown = format!("{} {}/{name}", kind.word(), self.namespace);
                for item in object.items.iter().filter(|_| !object.optional) {
                    if data.entries.contains_key(&item.key) {
                        continue;
                    }
                    problems.push(Problem::new(
                        format!("volume {}", volume.name),
                        ProblemKind::Missing,
                        format!(
                            "(mounted by {}) mounts key {} of {shown}, which that object does not have: the pod will not start",
                            mounted_by.join(", "),
                            item.key
                        ),
                    ));
                }
            }
        }
        problems
    }

    fn volumes(&self, volumes: &[Volume], container: &Container, instance: &mut Instance) {
        let mut unknown_mounts: Vec<(PathBuf, String)> = Vec::new();
        for mount in &container.volume_mounts {
            let Some(volume) = volumes.iter().find(|v| v.name == mount.name) else {
                continue;
            };
            for (kind, object) in volume_objects(volume) {
                self.mount(kind, object, mount, instance, &mut unknown_mounts);
            }
        }
        let files: Vec<(String, PathBuf)> = instance
            .source
            .names()
            .filter(|name| name.ends_with("_FILE"))
            .filter_map(|name| {
                let path = instance.source.get(name)?;
                Some((name.to_owned(), PathBuf::from(path)))
            })
            .collect();
        for (file_variable, path) in files {
            let variable = file_variable
                .strip_suffix("_FILE")
                .unwrap_or(&file_variable)
                .to_owned();
            // A file the volumes hold (or refuse) is read by the loader; with NAME set too,
            // "both set" is certain whatever the file holds.
            if instance.source.has_file(&path) || instance.source.bytes(&variable).is_some() {
                continue;
            }
            let reason = match unknown_mounts
                .iter()
                .find(|(mount, _)| path.starts_with(mount))
            {
                Some((_, why)) => why.clone(),
                None => format!(
                    "{file_variable} names {}, on no Secret or ConfigMap volume of the manifests (a file of the image?): not checked",
                    path.display()
                ),
            };
            instance.unchecked.push(Unchecked {
                variable: Some(variable),
                reason,
                deploy_time: true,
            });
        }
    }

    fn mount(
        &self,
        kind: ObjectKind,
        object: &VolumeObject,
        mount: &VolumeMount,
        instance: &mut Instance,
        unknown_mounts: &mut Vec<(PathBuf, String)>,
    ) {
        let name = if object.secret_name.is_empty() {
            &object.name
        } else {
            &object.secret_name
        };
        let shown = format!("{} {}/{name}", kind.word(), self.namespace);
        let root = Path::new(&mount.mount_path);
        let Some(data) = self.pool.object(kind, self.namespace, name) else {
            let reason = format!(
                "mounted at {} from {shown}, which is not in the input: supplied at deploy time, not checked",
                mount.mount_path
            );
            unknown_mounts.push((root.to_owned(), reason));
            return;
        };
        // Each key at its own path, or only the listed items at theirs.
        let files: Vec<(&str, &str)> = if object.items.is_empty() {
            data.entries
                .keys()
                .map(|k| (k.as_str(), k.as_str()))
                .collect()
        } else {
            object
                .items
                .iter()
                .map(|i| (i.key.as_str(), i.path.as_str()))
                .collect()
        };
        for (key, relative) in files {
            let path = if mount.sub_path.is_empty() {
                root.join(relative)
            } else if mount.sub_path == relative {
                root.to_owned()
            } else {
                PathBuf::new()
            };
            let Some(entry) = data.entries.get(key) else {
                // The kubelet fails the volume, and the pod with it, unless it is optional.
                // (`missing_items` reports it once for the whole pod.)
                if !object.optional && !path.as_os_str().is_empty() {
                    instance
                        .source
                        .refuse_file(path, format!("{shown} lacks key {key}"));
                }
                continue;
            };
            if path.as_os_str().is_empty() {
                continue;
            }
            let origin = format!("{}: {shown} key {key}", data.input);
            instance.source.mount(path, entry.value.clone(), origin);
        }
    }
}

#[cfg(test)]
mod tests {
    use jwt_config::Source as _;

    use super::*;

    /// The instances of a YAML stream.
    fn instances(yaml: &str) -> Vec<Instance> {
        let mut pool = Pool::default();
        for document in crate::fleet::parse_yaml("test.yaml", yaml).unwrap() {
            pool.add("test.yaml", document).unwrap();
        }
        pool.instances().unwrap()
    }

    fn value(instance: &Instance, name: &str) -> Option<String> {
        instance.source.value(name).map(str::to_owned)
    }

    const OBJECTS: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: first}
data: {A: from-first, B: from-first}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: second}
data: {B: from-second, C: from-second}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
data:
  TOKEN: ZnJvbS1kYXRh
  BOTH: ZnJvbS1kYXRh
stringData:
  BOTH: from-string-data
---
apiVersion: v1
kind: ConfigMap
metadata: {name: first, namespace: other}
data: {A: from-other-namespace}
"#;

    fn pod(containers: &str) -> String {
        format!(
            "{OBJECTS}---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n{containers}"
        )
    }

    #[test]
    fn env_from_sources_apply_in_order_and_env_wins_over_them() {
        let yaml = pod(r#"
    - name: app
      envFrom:
        - configMapRef: {name: first}
        - configMapRef: {name: second}
      env:
        - {name: C, value: from-env}
        - {name: C, value: from-a-later-env}
"#);
        let instance = &instances(&yaml)[0];
        assert_eq!(value(instance, "A").as_deref(), Some("from-first"));
        assert_eq!(value(instance, "B").as_deref(), Some("from-second"));
        assert_eq!(value(instance, "C").as_deref(), Some("from-a-later-env"));
        assert!(instance.unchecked.is_empty() && instance.problems.is_empty());
        let origin = instance.source.location("B").unwrap().source;
        assert_eq!(
            origin,
            "test.yaml: ConfigMap default/second key B (envFrom)"
        );
    }

    #[test]
    fn a_prefix_is_put_before_every_key() {
        let yaml = pod(r#"
    - name: app
      envFrom:
        - {prefix: JWT_, configMapRef: {name: second}}
"#);
        let instance = &instances(&yaml)[0];
        assert_eq!(value(instance, "JWT_B").as_deref(), Some("from-second"));
        assert_eq!(value(instance, "B"), None);
    }

    #[test]
    fn a_secret_is_decoded_and_string_data_wins_over_data() {
        let yaml = pod(r#"
    - name: app
      envFrom:
        - secretRef: {name: creds}
"#);
        let instance = &instances(&yaml)[0];
        assert_eq!(value(instance, "TOKEN").as_deref(), Some("from-data"));
        assert_eq!(value(instance, "BOTH").as_deref(), Some("from-string-data"));
    }

    #[test]
    fn objects_are_found_in_the_workloads_namespace_only() {
        let yaml = format!(
            "{OBJECTS}---\nkind: Deployment\nmetadata: {{name: d, namespace: other}}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          envFrom:\n            - configMapRef: {{name: first}}\n            - configMapRef: {{name: second}}\n"
        );
        let instance = &instances(&yaml)[0];
        assert_eq!(instance.name, "other/deployment/d");
        assert_eq!(
            value(instance, "A").as_deref(),
            Some("from-other-namespace")
        );
        // `second` lives in `default`, not in `other`.
        assert_eq!(instance.unchecked.len(), 1);
        assert!(
            instance.unchecked[0]
                .reason
                .contains("ConfigMap other/second is not in the input")
        );
        assert!(instance.unchecked[0].variable.is_none());
    }

    #[test]
    fn key_references_optional_or_missing() {
        let yaml = pod(r#"
    - name: app
      env:
        - name: PRESENT
          valueFrom: {configMapKeyRef: {name: first, key: A}}
        - name: OPTIONAL_KEY
          valueFrom: {configMapKeyRef: {name: first, key: NOPE, optional: true}}
        - name: MISSING_KEY
          valueFrom: {secretKeyRef: {name: creds, key: NOPE}}
        - name: MISSING_OBJECT
          valueFrom: {secretKeyRef: {name: vault-synced, key: X}}
        - name: OPTIONAL_OBJECT
          valueFrom: {configMapKeyRef: {name: elsewhere, key: X, optional: true}}
"#);
        let instance = &instances(&yaml)[0];
        assert_eq!(value(instance, "PRESENT").as_deref(), Some("from-first"));
        assert_eq!(value(instance, "OPTIONAL_KEY"), None);
        // A missing key of an object in the input: the pod will not start.
        assert_eq!(instance.problems.len(), 1);
        assert_eq!(instance.problems[0].variable(), "MISSING_KEY");
        assert!(
            instance.problems[0]
                .message()
                .contains("the pod will not start")
        );
        // An object not in the input: supplied at deploy time, never guessed.
        let unchecked: Vec<_> = instance
            .unchecked
            .iter()
            .map(|u| (u.variable.as_deref().unwrap(), u.deploy_time))
            .collect();
        assert_eq!(
            unchecked,
            [("MISSING_OBJECT", true), ("OPTIONAL_OBJECT", true)]
        );
        assert!(
            instance.unchecked[0]
                .reason
                .contains("Secret default/vault-synced is not in the input")
        );
    }

    #[test]
    fn dollar_references_expand_against_what_is_defined_before() {
        let yaml = pod(r#"
    - name: app
      envFrom:
        - configMapRef: {name: first}
      env:
        - {name: URL, value: "https://$(A)/$(LATER)"}
        - {name: LATER, value: x}
        - {name: ESCAPED, value: "$$(A)"}
        - {name: FIELD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: FROM_FIELD, value: "$(FIELD)-suffix"}
"#);
        let instance = &instances(&yaml)[0];
        assert_eq!(
            value(instance, "URL").as_deref(),
            Some("https://from-first/$(LATER)")
        );
        assert_eq!(value(instance, "ESCAPED").as_deref(), Some("$(A)"));
        // A runtime value is shown as such, not as a deploy-time gap.
        let field = instance
            .unchecked
            .iter()
            .find(|u| u.variable.as_deref() == Some("FIELD"))
            .unwrap();
        assert!(!field.deploy_time && field.reason.contains("fieldRef metadata.name"));
        assert_eq!(value(instance, "FROM_FIELD"), None);
    }

    #[test]
    fn a_reference_to_its_own_name_after_a_deploy_time_definition_is_unknown() {
        let yaml = pod(r#"
    - name: app
      envFrom:
        - configMapRef: {name: first}
      env:
        - name: JWT_AUDIENCE
          valueFrom: {secretKeyRef: {name: vault-synced, key: aud}}
        - {name: JWT_AUDIENCE, value: "$(JWT_AUDIENCE),billing"}
        - {name: A, value: "$(A),more"}
"#);
        let instance = &instances(&yaml)[0];
        assert_eq!(value(instance, "JWT_AUDIENCE"), None);
        let unchecked: Vec<_> = instance
            .unchecked
            .iter()
            .map(|u| (u.variable.as_deref().unwrap(), u.deploy_time))
            .collect();
        assert_eq!(unchecked, [("JWT_AUDIENCE", true)]);
        // A known earlier value is expanded, as the kubelet does.
        assert_eq!(value(instance, "A").as_deref(), Some("from-first,more"));
    }

    #[test]
    fn a_number_where_kubernetes_wants_a_string_is_a_problem() {
        let yaml = pod(r#"
    - name: app
      env:
        - {name: JWT_ACCESS_TOKEN_EXPIRE_MINUTES, value: 15}
"#);
        let instance = &instances(&yaml)[0];
        assert_eq!(
            instance.problems[0].variable(),
            "JWT_ACCESS_TOKEN_EXPIRE_MINUTES"
        );
        assert!(instance.problems[0].message().contains("quote it"));
    }

    #[test]
    fn secret_volumes_hold_the_files_file_variables_point_to() {
        let yaml = format!(
            "{}{}",
            pod(r#"
    - name: app
      env:
        - {name: TOKEN_FILE, value: /secrets/token}
        - {name: BOTH_FILE, value: /single}
        - {name: ELSEWHERE_FILE, value: /vault/x}
        - {name: IMAGE_FILE, value: /etc/app/key}
      volumeMounts:
        - {name: creds, mountPath: /secrets}
        - {name: one, mountPath: /single, subPath: renamed}
        - {name: vault, mountPath: /vault}
"#),
            r#"  volumes:
    - name: creds
      secret: {secretName: creds, items: [{key: TOKEN, path: token}]}
    - name: one
      projected:
        sources:
          - secret: {name: creds, items: [{key: BOTH, path: renamed}]}
    - name: vault
      secret: {secretName: vault-synced}
"#
        );
        let instance = &instances(&yaml)[0];
        let read = |path: &str| {
            instance
                .source
                .read_file(Path::new(path), 1024)
                .map(|bytes| String::from_utf8(bytes.to_vec()).unwrap())
        };
        assert_eq!(read("/secrets/token").as_deref(), Ok("from-data"));
        assert_eq!(read("/single").as_deref(), Ok("from-string-data"));
        assert!(read("/etc/passwd").is_err(), "never this machine's files");
        let reasons: Vec<(&str, &str)> = instance
            .unchecked
            .iter()
            .map(|u| (u.variable.as_deref().unwrap(), u.reason.as_str()))
            .collect();
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert!(
            reasons[0].0 == "ELSEWHERE" && reasons[0].1.contains("Secret default/vault-synced")
        );
        assert!(reasons[1].0 == "IMAGE" && reasons[1].1.contains("a file of the image?"));
    }

    #[test]
    fn a_later_document_for_the_same_workload_replaces_the_earlier() {
        let first = pod("    - name: app\n      env: [{name: X, value: one}]\n");
        let yaml = format!(
            "{first}---\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  containers:\n    - name: app\n      env: [{{name: X, value: two}}]\n"
        );
        let all = instances(&yaml);
        assert_eq!(all.len(), 1);
        assert_eq!(value(&all[0], "X").as_deref(), Some("two"));
    }

    #[test]
    fn every_workload_kind_runs_containers() {
        let spec = "containers: [{name: app, env: [{name: X, value: y}]}]";
        let yaml = [
            format!("kind: Deployment\nmetadata: {{name: a}}\nspec: {{template: {{spec: {{{spec}}}}}}}"),
            format!("kind: StatefulSet\nmetadata: {{name: b}}\nspec: {{template: {{spec: {{{spec}}}}}}}"),
            format!("kind: DaemonSet\nmetadata: {{name: c}}\nspec: {{template: {{spec: {{{spec}}}}}}}"),
            format!("kind: Job\nmetadata: {{name: d}}\nspec: {{template: {{spec: {{{spec}}}}}}}"),
            format!("kind: CronJob\nmetadata: {{name: e}}\nspec: {{jobTemplate: {{spec: {{template: {{spec: {{{spec}}}}}}}}}}}"),
            format!("kind: Pod\nmetadata: {{name: f}}\nspec: {{{spec}}}"),
            "kind: Service\nmetadata: {name: g}\nspec: {ports: [{port: 80}]}".to_owned(),
        ]
        .join("\n---\n");
        let names: Vec<String> = instances(&yaml).into_iter().map(|i| i.name).collect();
        assert_eq!(
            names,
            [
                "default/deployment/a",
                "default/statefulset/b",
                "default/daemonset/c",
                "default/job/d",
                "default/cronjob/e",
                "default/pod/f"
            ]
        );
    }
}
