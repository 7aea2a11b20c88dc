//! `audit`: every service instance of a fleet's manifests, Compose files and env files, each
//! loaded with the schema's full rules, then all compared: which shared settings the services
//! disagree on, whether every verifier verifies every signer's key, and what to fix first.

use std::collections::BTreeMap;
use std::io::{self, Write};

use jwt_config::agreement::{self, KeyView};
use jwt_config::{
    Config, ConfigError, Environment, Loaded, Origin, Problem, ProblemKind, Resolved, Source as _,
    Warning, vars,
};
use serde::Serialize;

use super::Outcome;
use super::environment::{Asserted, assert_environment, not_set_problem};
use super::report::{
    Compared, ProblemJson, WarningJson, clean, compared, problem_text, report_unreadable, to_json,
    warning_text,
};
use crate::args::{AuditArgs, Format};
use crate::fleet::{self, Instance, SkippedKind, Unchecked, WORKLOAD_KINDS};
use crate::style::Style;
use crate::{EXIT_OK, EXIT_PROBLEMS};

/// How many services a line of text names before "(+N more)".
const NAMED_IN_TEXT: usize = 5;

/// `audit`: every instance of the inputs, loaded and compared.
pub(crate) fn audit<T: Config>(
    args: &AuditArgs,
    keys_of: Option<fn(&T) -> KeyView>,
    style: Style,
    out: &mut dyn Write,
) -> Outcome {
    let fleet = match fleet::read_inputs(&args.inputs) {
        Ok(fleet) => fleet,
        Err(error) => return report_unreadable(&error, args.format, out),
    };
    let schema_names = schema_names::<T>();
    let audited: Vec<Audited<T>> = fleet
        .instances
        .into_iter()
        .map(|instance| audit_one::<T>(instance, args.environment, &schema_names))
        .collect();
    let mut report = AuditReport::new(&audited, fleet.skipped, keys_of, args.strict);
    report.repeated_directories = fleet.repeated_directories;
    match args.format {
        Format::Json => writeln!(out, "{}", to_json(&report))?,
        Format::Text => write_text(&report, style, out)?,
        Format::Markdown => write_markdown(&report, out)?,
    }
    Ok(if report.passed {
        EXIT_OK
    } else {
        EXIT_PROBLEMS
    })
}

/// Every name a variable of the schema may be set by (canonical, aliases, `_FILE`).
fn schema_names<T: Config>() -> Vec<String> {
    T::SCHEMA
        .variables()
        .into_iter()
        .flat_map(|v| {
            std::iter::once(v.name)
                .chain(v.aliases)
                .chain(v.file_variable)
        })
        .collect()
}

/// One instance after loading.
struct Audited<T> {
    name: String,
    input: String,
    status: Status,
    loaded: Option<Loaded<T>>,
    problems: Vec<Problem>,
    warnings: Vec<Warning>,
    unchecked: Vec<Unchecked>,
    /// Variables set in its own definition, over the shared objects.
    own: std::collections::BTreeSet<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Status {
    /// Loads, every rule holds.
    Valid,
    /// Does not load, or will not start.
    Invalid,
    /// Loads but for values supplied at deploy time.
    Incomplete,
    /// A container of a pod of several that sets nothing of the schema: not a service.
    Sidecar,
}

impl Status {
    fn word(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Invalid => "invalid",
            Status::Incomplete => "not checked",
            Status::Sidecar => "skipped",
        }
    }
}

fn audit_one<T: Config>(
    mut instance: Instance,
    environment: Option<Environment>,
    schema_names: &[String],
) -> Audited<T> {
    let open = instance.unchecked.iter().any(|u| u.variable.is_none());
    let sets_schema = instance
        .source
        .names()
        .any(|name| schema_names.iter().any(|s| s == name));
    if instance.sidecar_candidate && !sets_schema && !open {
        return Audited {
            name: instance.name,
            input: instance.input,
            status: Status::Sidecar,
            loaded: None,
            problems: Vec::new(),
            warnings: Vec::new(),
            unchecked: instance.unchecked,
            own: Default::default(),
        };
    }
    let mut problems = std::mem::take(&mut instance.problems);
    if let Some(expected) = environment {
        assert_instance_environment(&instance, expected, &mut problems);
    }
    let result: Result<Loaded<T>, ConfigError> = T::load_with_report(&instance.source);
    let (loaded, load_problems, warnings) = match result {
        Ok(loaded) => {
            let warnings = loaded.warnings.clone();
            (Some(loaded), Vec::new(), warnings)
        }
        Err(error) => (None, error.problems().to_vec(), error.warnings().to_vec()),
    };
    let explained = load_problems.iter().any(|p| instance.explains(p));
    // The flag's own "not set" says why and how to fix it; the schema's would repeat it.
    let said = |p: &Problem| {
        p.variable() == vars::ENVIRONMENT
            && p.kind() == ProblemKind::Missing
            && problems.iter().any(|q| q.variable() == vars::ENVIRONMENT)
    };
    let load_problems: Vec<Problem> = load_problems.into_iter().filter(|p| !said(p)).collect();
    problems.extend(load_problems.into_iter().filter(|p| !instance.explains(p)));
    let status = match (&loaded, problems.is_empty()) {
        (_, false) => Status::Invalid,
        (Some(_), true) => Status::Valid,
        (None, true) if explained => Status::Incomplete,
        (None, true) => Status::Invalid,
    };
    Audited {
        name: instance.name,
        input: instance.input,
        status,
        loaded: loaded.filter(|_| status == Status::Valid),
        problems,
        warnings,
        unchecked: instance.unchecked,
        own: instance.source.own().clone(),
    }
}

/// `--environment E` asserts and never supplies (the one rule of `environment.rs`): a value
/// set to another environment is a problem, and an instance that sets none starts without
/// one, whatever the flag says. Where an object not in the input may set it, it is unknown.
fn assert_instance_environment(
    instance: &Instance,
    expected: Environment,
    problems: &mut Vec<Problem>,
) {
    let place = instance
        .source
        .location(vars::ENVIRONMENT)
        .map(|l| l.to_string());
    // Set to bytes that are not UTF-8: the schema's own problem, not "not set".
    let text = instance
        .source
        .bytes(vars::ENVIRONMENT)
        .map(|bytes| std::str::from_utf8(bytes).unwrap_or_default());
    match assert_environment(text, place, expected) {
        Asserted::Agrees => {}
        Asserted::Conflict(problem) => problems.push(problem),
        Asserted::NotSet => {
            let unknown = instance
                .unchecked
                .iter()
                .any(|u| u.variable.is_none() || u.variable.as_deref() == Some(vars::ENVIRONMENT));
            if !unknown {
                problems.push(not_set_problem(expected));
            }
        }
    }
}

/// What `audit` reports, for people (text, Markdown) and programs (JSON) alike.
#[derive(Serialize)]
struct AuditReport {
    /// Exit 0: every service valid, every shared setting and key agreeing (and, under
    /// `--strict`, no warning and nothing left for deploy time).
    passed: bool,
    summary: Summary,
    services: Vec<ServiceJson>,
    /// Shared settings on which services disagree: the groups of services that agree.
    differences: Vec<Difference>,
    /// Settings of one service each: shown, not counted.
    per_service: Vec<PerService>,
    /// Secrets too short to compare without revealing them.
    not_compared: Vec<String>,
    /// Signing keys some service cannot verify.
    key_gaps: Vec<KeyGap>,
    /// Objects of kinds `audit` does not read.
    skipped_kinds: Vec<SkippedKind>,
    /// Directories reached again through a link: each real directory is read once.
    repeated_directories: Vec<String>,
}

#[derive(Serialize)]
struct Summary {
    services: usize,
    valid: usize,
    /// Services whose load depends on values supplied at deploy time.
    not_checked: usize,
    /// Valid, and with the largest group on every shared setting and key.
    agreeing: usize,
    skipped_sidecars: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    fix_first: Option<FixFirst>,
}

/// The first thing to fix: services that do not start, then keys, then the setting on
/// which the fewest services differ from the rest.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum FixFirst {
    /// The inputs hold no service at all.
    NoService {
        /// The kinds seen and not read.
        skipped_kinds: Vec<String>,
    },
    Invalid {
        services: Vec<String>,
    },
    /// The service in the most key gaps (as signer or verifier): the odd one out.
    Keys {
        service: String,
        key_ids: Vec<String>,
        gaps: usize,
        /// It only fails to verify (the others verify what it signs).
        only_verifying: bool,
    },
    Difference {
        variable: String,
        services: Vec<String>,
        of: usize,
        /// Nothing tells which value is meant: the size of each tied group (`services` are
        /// theirs).
        #[serde(skip_serializing_if = "Option::is_none")]
        tie: Option<usize>,
    },
    NotChecked {
        services: Vec<String>,
        /// What is missing is known only at run time (`fieldRef`): no input can supply it.
        runtime_only: bool,
    },
    /// Objects with a pod template of a kind `audit` does not read (an Argo Rollout).
    UnreadWorkloads {
        kinds: Vec<String>,
    },
    Warnings {
        services: Vec<String>,
    },
}

#[derive(Serialize)]
struct ServiceJson {
    name: String,
    input: String,
    status: Status,
    problems: Vec<ProblemJson>,
    warnings: Vec<WarningJson>,
    not_checked: Vec<Unchecked>,
}

#[derive(Serialize)]
struct Difference {
    variable: String,
    secret: bool,
    /// Compared by key agreement where the schema holds the JWT settings, not by value.
    #[serde(skip)]
    key_material: bool,
    /// Largest group first; between groups of one size, the one that follows the shared
    /// objects before one whose services set the value themselves.
    groups: Vec<Group>,
    /// The largest groups are as large as each other and nothing (where the values come
    /// from) tells which is meant.
    tie: bool,
}

#[derive(Serialize)]
struct Group {
    /// The value (`None` for a secret, or unset); secrets are told apart by digest, never
    /// shown.
    value: Option<String>,
    set: bool,
    services: Vec<String>,
    /// Some service of the group sets the value in its own definition (an `env` value,
    /// Compose `environment`), over the shared objects.
    overrides: bool,
}

#[derive(Serialize)]
struct PerService {
    variable: String,
    secret: bool,
    values: Vec<ServiceValue>,
}

#[derive(Serialize)]
struct ServiceValue {
    service: String,
    /// `None` for a secret or unset.
    value: Option<String>,
    set: bool,
}

#[derive(Serialize)]
struct KeyGap {
    signer: String,
    /// The signer's key; `None` where the gap concerns no one key (two verifiers with no key
    /// in common, a caller that signs no calls).
    key_id: Option<String>,
    /// The services that cannot verify it.
    services: Vec<String>,
    /// Service calls rather than access and refresh tokens.
    service_calls: bool,
    /// The gap in words: the variables on each side and the fixes.
    message: String,
}

impl AuditReport {
    fn new<T>(
        audited: &[Audited<T>],
        skipped_kinds: Vec<SkippedKind>,
        keys_of: Option<fn(&T) -> KeyView>,
        strict: bool,
    ) -> Self {
        let mut report = AuditReport {
            passed: false,
            summary: Summary {
                services: audited
                    .iter()
                    .filter(|a| a.status != Status::Sidecar)
                    .count(),
                valid: audited.iter().filter(|a| a.status == Status::Valid).count(),
                not_checked: audited
                    .iter()
                    .filter(|a| a.status == Status::Incomplete)
                    .count(),
                agreeing: 0,
                skipped_sidecars: audited
                    .iter()
                    .filter(|a| a.status == Status::Sidecar)
                    .count(),
                fix_first: None,
            },
            services: audited.iter().map(ServiceJson::of).collect(),
            differences: Vec::new(),
            per_service: Vec::new(),
            not_compared: Vec::new(),
            key_gaps: Vec::new(),
            skipped_kinds,
            repeated_directories: Vec::new(),
        };
        let valid: Vec<&Audited<T>> = audited.iter().filter(|a| a.loaded.is_some()).collect();
        report.compare_settings(&valid);
        if let Some(keys_of) = keys_of {
            report.compare_keys(&valid, keys_of);
        }
        report.conclude(audited, strict);
        report
    }

    fn compare_settings<T>(&mut self, valid: &[&Audited<T>]) {
        // Variable name -> each valid service's resolved value, in schema order.
        let mut order: Vec<&str> = Vec::new();
        let mut by_variable: BTreeMap<&str, Vec<(&str, &Resolved, bool)>> = BTreeMap::new();
        for audited in valid {
            let Some(loaded) = &audited.loaded else {
                continue;
            };
            for variable in &loaded.variables {
                let name = variable.variable();
                let unknown = audited
                    .unchecked
                    .iter()
                    .any(|u| u.variable.as_deref() == Some(name));
                if unknown {
                    continue;
                }
                let entry = by_variable.entry(name).or_default();
                if entry.is_empty() {
                    order.push(name);
                }
                let own = audited.own.contains(name)
                    || matches!(variable.origin(), Origin::Alias(alias) if audited.own.contains(alias));
                entry.push((audited.name.as_str(), variable, own));
            }
        }
        for name in order {
            let values = &by_variable[name];
            let (_, first, _) = values[0];
            if first.per_service() {
                self.per_service.push(PerService {
                    variable: name.to_owned(),
                    secret: first.secret(),
                    values: values
                        .iter()
                        .map(|(service, v, _)| ServiceValue {
                            service: (*service).to_owned(),
                            value: v.rendered().map(str::to_owned).filter(|_| !v.secret()),
                            set: v.rendered().is_some(),
                        })
                        .collect(),
                });
                continue;
            }
            if values.iter().any(|(_, v, _)| compared(v) == Compared::Weak) {
                self.not_compared.push(name.to_owned());
                continue;
            }
            let mut groups: Vec<(Compared<'_>, Group)> = Vec::new();
            for (service, variable, own) in values {
                let key = compared(variable);
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, group)) => {
                        group.services.push((*service).to_owned());
                        group.overrides |= *own;
                    }
                    None => groups.push((
                        key,
                        Group {
                            value: variable
                                .rendered()
                                .map(str::to_owned)
                                .filter(|_| !variable.secret()),
                            set: variable.rendered().is_some(),
                            services: vec![(*service).to_owned()],
                            overrides: *own,
                        },
                    )),
                }
            }
            if groups.len() > 1 {
                let mut groups: Vec<Group> = groups.into_iter().map(|(_, g)| g).collect();
                groups.sort_by_key(|g| (std::cmp::Reverse(g.services.len()), g.overrides));
                let tie = groups[0].services.len() == groups[1].services.len()
                    && groups[0].overrides == groups[1].overrides;
                self.differences.push(Difference {
                    variable: name.to_owned(),
                    secret: first.secret(),
                    key_material: first.key_material(),
                    groups,
                    tie,
                });
            }
        }
    }

    /// Every valid service verifies what every other one signs, and every receiver the calls
    /// of the callers it allows (the facade's one rule, `agreement`); key material itself is
    /// compared by that agreement, not by value (an issuer's verifiers hold only its public
    /// key).
    fn compare_keys<T>(&mut self, valid: &[&Audited<T>], keys_of: fn(&T) -> KeyView) {
        // Services with the same keys form one class; classes are compared pairwise, so a
        // fleet that shares its keys costs one comparison, not one per pair of services.
        let mut classes: Vec<(KeyView, Vec<(&str, String)>)> = Vec::new();
        for audited in valid {
            let Some(loaded) = &audited.loaded else {
                continue;
            };
            let view = keys_of(&loaded.value);
            let member = (audited.name.as_str(), view.service_id.clone());
            match classes.iter_mut().find(|(k, _)| k.same_keys(&view)) {
                Some((_, members)) => members.push(member),
                None => classes.push((view, vec![member])),
            }
        }
        for (index, (signer_view, signers)) in classes.iter().enumerate() {
            self.token_gaps(&classes, index);
            for (signer, service_id) in signers {
                let caller = KeyView::new(
                    service_id.clone(),
                    signer_view.token_keys.clone(),
                    signer_view.service_call_keys.clone(),
                    signer_view.allowed_callers.clone(),
                );
                self.service_call_gaps(&classes, index, signer, &caller);
            }
            for (verifier_view, verifiers) in &classes[index + 1..] {
                if let Some(gap) = agreement::common_token_key_gap(signer_view, verifier_view) {
                    let (first, second) = (signers[0].0, verifiers[0].0);
                    self.key_gaps.push(KeyGap {
                        signer: first.to_owned(),
                        key_id: None,
                        services: verifiers
                            .iter()
                            .map(|(name, _)| (*name).to_owned())
                            .collect(),
                        service_calls: false,
                        message: gap.explain(&clean(first), &clean(second)),
                    });
                }
            }
        }
        self.differences.retain(|d| !d.key_material);
    }

    /// Each token key class `index` signs with, against every other class.
    fn token_gaps(&mut self, classes: &[(KeyView, Vec<(&str, String)>)], index: usize) {
        let (signer_view, signers) = &classes[index];
        for key in signer_view.token_keys.iter().filter(|k| k.signs) {
            // Members of the signer's own class verify what they sign (their own key).
            let mut gap = None;
            let mut rejecting: Vec<String> = Vec::new();
            for (verifier_view, verifiers) in classes {
                let found = agreement::token_gaps(signer_view, verifier_view)
                    .into_iter()
                    .find(|g| g.key_id() == Some(key.id.as_str()));
                if let Some(found) = found {
                    gap.get_or_insert(found);
                    rejecting.extend(verifiers.iter().map(|(name, _)| (*name).to_owned()));
                }
            }
            let Some(gap) = gap else {
                continue;
            };
            for (signer, _) in signers {
                self.key_gaps.push(KeyGap {
                    signer: (*signer).to_owned(),
                    key_id: Some(key.id.clone()),
                    message: gap.explain(&clean(signer), &named(&rejecting)),
                    services: rejecting.clone(),
                    service_calls: false,
                });
            }
        }
    }

    /// The calls of `signer` (of class `index`, as `caller`) at every receiver of another
    /// class that allows them.
    fn service_call_gaps(
        &mut self,
        classes: &[(KeyView, Vec<(&str, String)>)],
        index: usize,
        signer: &str,
        caller: &KeyView,
    ) {
        for (other, (receiver_view, receivers)) in classes.iter().enumerate() {
            if other == index {
                continue;
            }
            let Some(gap) = agreement::service_call_gap(caller, receiver_view) else {
                continue;
            };
            let services: Vec<String> = receivers
                .iter()
                .map(|(name, _)| (*name).to_owned())
                .collect();
            self.key_gaps.push(KeyGap {
                signer: signer.to_owned(),
                key_id: gap.key_id().map(str::to_owned),
                message: gap.explain(&clean(signer), &named(&services)),
                services,
                service_calls: true,
            });
        }
    }

    fn conclude<T>(&mut self, audited: &[Audited<T>], strict: bool) {
        let services: Vec<&Audited<T>> = audited
            .iter()
            .filter(|a| a.status != Status::Sidecar)
            .collect();
        let disagreeing = |name: &str| {
            // In a tie nobody holds the fleet's value.
            self.differences.iter().any(|d| {
                let from = usize::from(!d.tie);
                d.groups[from..]
                    .iter()
                    .any(|g| g.services.iter().any(|s| s == name))
            }) || self
                .key_gaps
                .iter()
                .any(|g| g.signer == name || g.services.iter().any(|s| s == name))
        };
        self.summary.agreeing = services
            .iter()
            .filter(|a| a.status == Status::Valid && !disagreeing(&a.name))
            .count();
        let names = |status: Status| -> Vec<String> {
            services
                .iter()
                .filter(|a| a.status == status)
                .map(|a| a.name.clone())
                .collect()
        };
        let invalid = names(Status::Invalid);
        let incomplete = names(Status::Incomplete);
        let unread: Vec<String> = self
            .skipped_kinds
            .iter()
            .filter(|k| k.runs_containers)
            .map(|k| k.kind.clone())
            .collect();
        let deploy_time: Vec<String> = services
            .iter()
            .filter(|a| a.unchecked.iter().any(|u| u.deploy_time))
            .map(|a| a.name.clone())
            .collect();
        let warned: Vec<String> = services
            .iter()
            .filter(|a| !a.warnings.is_empty())
            .map(|a| a.name.clone())
            .collect();
        let smallest = self
            .differences
            .iter()
            .min_by_key(|d| services.len() - d.groups[0].services.len());
        // "ok" only when it is true: no service found, or one left unchecked, fails.
        self.summary.fix_first = if services.is_empty() {
            Some(FixFirst::NoService {
                skipped_kinds: self.skipped_kinds.iter().map(skipped_text).collect(),
            })
        } else if !invalid.is_empty() {
            Some(FixFirst::Invalid {
                services: invalid.clone(),
            })
        } else if let Some(service) = self.odd_one_out() {
            let involved: Vec<&KeyGap> = self
                .key_gaps
                .iter()
                .filter(|g| g.signer == service || g.services.contains(&service))
                .collect();
            let mut key_ids: Vec<String> =
                involved.iter().filter_map(|g| g.key_id.clone()).collect();
            key_ids.dedup();
            Some(FixFirst::Keys {
                only_verifying: involved.iter().all(|g| g.signer != service),
                service,
                key_ids,
                gaps: involved.len(),
            })
        } else if let Some(difference) = smallest {
            let largest = difference.groups[0].services.len();
            let named: Vec<String> = if difference.tie {
                difference
                    .groups
                    .iter()
                    .filter(|g| g.services.len() == largest)
                    .flat_map(|g| g.services.iter().cloned())
                    .collect()
            } else {
                difference.groups[1..]
                    .iter()
                    .flat_map(|g| g.services.iter().cloned())
                    .collect()
            };
            Some(FixFirst::Difference {
                variable: difference.variable.clone(),
                services: named,
                of: difference.groups.iter().map(|g| g.services.len()).sum(),
                tie: difference.tie.then_some(largest),
            })
        } else if !incomplete.is_empty() {
            let runtime_only = services
                .iter()
                .filter(|a| a.status == Status::Incomplete)
                .all(|a| a.unchecked.iter().all(|u| !u.deploy_time));
            Some(FixFirst::NotChecked {
                services: incomplete,
                runtime_only,
            })
        } else if !unread.is_empty() {
            Some(FixFirst::UnreadWorkloads { kinds: unread })
        } else if strict && !deploy_time.is_empty() {
            Some(FixFirst::NotChecked {
                services: deploy_time.clone(),
                runtime_only: false,
            })
        } else if strict && !warned.is_empty() {
            Some(FixFirst::Warnings {
                services: warned.clone(),
            })
        } else {
            None
        };
        self.passed = self.summary.fix_first.is_none();
    }
}

impl AuditReport {
    /// The service named in the most key gaps, a verifier that fails weighing more than a
    /// signer (an issuer that moved to a new key is right; a verifier left behind is not).
    fn odd_one_out(&self) -> Option<String> {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for gap in &self.key_gaps {
            *counts.entry(&gap.signer).or_default() += 1;
            for service in &gap.services {
                *counts.entry(service).or_default() += 2;
            }
        }
        let most = counts.values().copied().max()?;
        // The first in the report's order among those named most.
        self.services
            .iter()
            .map(|s| s.name.as_str())
            .find(|name| counts.get(name) == Some(&most))
            .map(str::to_owned)
    }
}

impl ServiceJson {
    fn of<T>(audited: &Audited<T>) -> Self {
        ServiceJson {
            name: audited.name.clone(),
            input: audited.input.clone(),
            status: audited.status,
            problems: audited.problems.iter().map(ProblemJson::from).collect(),
            warnings: audited.warnings.iter().map(WarningJson::from).collect(),
            not_checked: audited.unchecked.clone(),
        }
    }
}

/// Up to [`NAMED_IN_TEXT`] names, then how many more.
fn named(services: &[String]) -> String {
    let shown: Vec<String> = services
        .iter()
        .take(NAMED_IN_TEXT)
        .map(|s| clean(s).into_owned())
        .collect();
    let more = services.len().saturating_sub(NAMED_IN_TEXT);
    if more > 0 {
        format!("{} (+{more} more)", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

fn group_label(group: &Group, secret: bool, index: usize) -> String {
    match (&group.value, group.set) {
        (_, false) => "(unset)".to_owned(),
        (Some(value), true) if !secret => clean(value).into_owned(),
        _ => format!("secret value #{}", index + 1),
    }
}

/// A kind not read, in words: `Rollout (2, runs containers)`.
fn skipped_text(kind: &SkippedKind) -> String {
    let containers = if kind.runs_containers {
        ", runs containers"
    } else {
        ""
    };
    format!("{} ({}{containers})", clean(&kind.kind), kind.objects.len())
}

fn summary_line(report: &AuditReport) -> String {
    let s = &report.summary;
    let not_checked = if s.not_checked > 0 {
        format!(", {} not checked", s.not_checked)
    } else {
        String::new()
    };
    let mut line = format!(
        "{} service{}, {} valid{not_checked}, {} agree on everything",
        s.services,
        if s.services == 1 { "" } else { "s" },
        s.valid,
        s.agreeing
    );
    if s.skipped_sidecars > 0 {
        line.push_str(&format!(
            " ({} sidecar container(s) skipped)",
            s.skipped_sidecars
        ));
    }
    line
}

fn fix_first_text(fix: &FixFirst) -> String {
    match fix {
        FixFirst::NoService { skipped_kinds } => {
            let seen = if skipped_kinds.is_empty() {
                String::new()
            } else {
                format!("; seen and not read: {}", skipped_kinds.join(", "))
            };
            format!("no service found in the inputs; audit reads {WORKLOAD_KINDS}{seen}")
        }
        FixFirst::UnreadWorkloads { kinds } => format!(
            "objects of kind {} run containers, but audit does not read that kind: their services are not checked; audit reads {WORKLOAD_KINDS}",
            kinds
                .iter()
                .map(|k| clean(k).into_owned())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        FixFirst::Invalid { services } => format!(
            "{} {} not load or start; see the problems above",
            named(services),
            if services.len() == 1 { "does" } else { "do" }
        ),
        FixFirst::Keys {
            service,
            key_ids,
            gaps,
            only_verifying,
        } => {
            let ids = key_ids
                .iter()
                .map(|k| clean(k).into_owned())
                .collect::<Vec<_>>()
                .join(", ");
            if *only_verifying {
                format!(
                    "{} cannot verify key {ids} ({gaps} signer(s)): add it to its JWT_VERIFICATION_KEYS",
                    clean(service)
                )
            } else {
                format!(
                    "{} and the fleet disagree on keys (key {ids}, {gaps} gap(s)): compare its JWT_SECRET_KEY or JWT_VERIFICATION_KEYS with the others'",
                    clean(service)
                )
            }
        }
        FixFirst::Difference {
            variable,
            services,
            of: _,
            tie: Some(size),
        } => {
            let groups = services.len() / (*size).max(1);
            let against = vec![size.to_string(); groups].join(" against ");
            format!(
                "{}: {} disagree, {against}, and nothing tells which value is meant (each is set the same way); decide, then `jwt-config diff` two of them to see the values",
                clean(variable),
                named(services)
            )
        }
        FixFirst::Difference {
            variable,
            services,
            of,
            tie: None,
        } => format!(
            "{} in {} ({} of {of} services differ from the rest); `jwt-config diff` two of them to see the values",
            clean(variable),
            named(services),
            services.len()
        ),
        FixFirst::NotChecked {
            services,
            runtime_only: false,
        } => format!(
            "{}: values supplied at deploy time; add their objects to the input",
            named(services)
        ),
        FixFirst::NotChecked {
            services,
            runtime_only: true,
        } => format!(
            "{}: not checked, their load depends on values known only at run time (fieldRef, resourceFieldRef); set those variables from values in the input to check them",
            named(services)
        ),
        FixFirst::Warnings { services } => format!("warnings in {}", named(services)),
    }
}

fn write_text(report: &AuditReport, style: Style, out: &mut dyn Write) -> io::Result<()> {
    for service in &report.services {
        let word = match service.status {
            Status::Valid => style.good("valid"),
            Status::Invalid => style.bad("invalid"),
            Status::Incomplete => style.warn("not checked"),
            Status::Sidecar => "skipped".to_owned(),
        };
        let note = if service.status == Status::Sidecar {
            "  (a container that sets no variable of the schema)"
        } else {
            ""
        };
        writeln!(
            out,
            "{word:<11} {}  ({}){note}",
            clean(&service.name),
            clean(&service.input)
        )?;
        for problem in &service.problems {
            writeln!(out, "    {}", problem_text(problem, style))?;
        }
        for unchecked in &service.not_checked {
            let variable = unchecked
                .variable
                .as_deref()
                .map_or_else(String::new, |v| format!("{}: ", clean(v)));
            writeln!(
                out,
                "    not checked: {variable}{}",
                clean(&unchecked.reason)
            )?;
        }
        for warning in &service.warnings {
            writeln!(
                out,
                "    {} {}",
                style.warn("warning"),
                warning_text(warning)
            )?;
        }
    }
    for difference in &report.differences {
        let secret = if difference.secret {
            " (secret, compared by digest)"
        } else {
            ""
        };
        writeln!(
            out,
            "{} {}{secret}",
            style.bad("differs"),
            style.name(&clean(&difference.variable))
        )?;
        for (index, group) in difference.groups.iter().enumerate() {
            writeln!(
                out,
                "    {:<24} {}",
                group_label(group, difference.secret, index),
                named(&group.services)
            )?;
        }
    }
    for gap in &report.key_gaps {
        writeln!(
            out,
            "{} keys: {}",
            style.bad("differs"),
            clean(&gap.message)
        )?;
    }
    for entry in report
        .per_service
        .iter()
        .filter(|e| e.values.iter().any(|v| v.set))
    {
        // Grouped by value: `SERVICE_ID: auth (shop/deployment/auth); ...`.
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for value in &entry.values {
            let shown = match (&value.value, value.set) {
                (Some(v), _) => clean(v).into_owned(),
                (None, true) => "(secret, set)".to_owned(),
                (None, false) => "(unset)".to_owned(),
            };
            match groups.iter_mut().find(|(v, _)| *v == shown) {
                Some((_, services)) => services.push(value.service.clone()),
                None => groups.push((shown, vec![value.service.clone()])),
            }
        }
        let text: Vec<String> = groups
            .iter()
            .map(|(value, services)| format!("{value} ({})", named(services)))
            .collect();
        writeln!(
            out,
            "per service, not counted: {}: {}",
            clean(&entry.variable),
            text.join("; ")
        )?;
    }
    for name in &report.not_compared {
        writeln!(
            out,
            "not compared: {} (a secret shorter than 32 bytes gets no digest)",
            clean(name)
        )?;
    }
    // Kinds without containers (Services, Ingresses) are in the JSON; these hold services.
    for kind in report.skipped_kinds.iter().filter(|k| k.runs_containers) {
        writeln!(out, "not read: kind {}", skipped_text(kind))?;
    }
    for path in &report.repeated_directories {
        writeln!(out, "not read again: {}", clean(path))?;
    }
    writeln!(out, "{}", summary_line(report))?;
    match &report.summary.fix_first {
        Some(fix) => writeln!(out, "{} {}", style.bad("fix first:"), fix_first_text(fix)),
        None => match unchecked_values(report) {
            Some(services) => writeln!(
                out,
                "{} every service valid and agreeing as far as checked; values not checked in {} (see above; --strict fails on those supplied at deploy time)",
                style.warn("passed,"),
                named(&services)
            ),
            None => writeln!(out, "{} every service valid and agreeing", style.good("ok")),
        },
    }
}

/// The services with values the inputs cannot tell: "ok" would not be true of them.
fn unchecked_values(report: &AuditReport) -> Option<Vec<String>> {
    let services: Vec<String> = report
        .services
        .iter()
        .filter(|s| s.status != Status::Sidecar && !s.not_checked.is_empty())
        .map(|s| s.name.clone())
        .collect();
    (!services.is_empty()).then_some(services)
}

/// Markdown for a pull-request comment: a summary, a table of services that are not valid,
/// the differences, the key gaps; per-service values folded away.
fn write_markdown(report: &AuditReport, out: &mut dyn Write) -> io::Result<()> {
    let verdict = if report.passed { "passed" } else { "failed" };
    writeln!(out, "### jwt-config audit {verdict}\n")?;
    writeln!(out, "{}.\n", summary_line(report))?;
    if let Some(fix) = &report.summary.fix_first {
        writeln!(out, "**Fix first:** {}\n", md(&fix_first_text(fix)))?;
    } else if let Some(services) = unchecked_values(report) {
        writeln!(
            out,
            "**Not checked:** values of {} (see below; `--strict` fails on those supplied at deploy time)\n",
            md_names(&services)
        )?;
    }
    let attention: Vec<&ServiceJson> = report
        .services
        .iter()
        .filter(|s| {
            s.status != Status::Valid && s.status != Status::Sidecar
                || !s.warnings.is_empty()
                || !s.not_checked.is_empty()
        })
        .collect();
    if !attention.is_empty() {
        writeln!(out, "| service | status | details |\n| --- | --- | --- |")?;
        for service in attention {
            let mut details: Vec<String> = service
                .problems
                .iter()
                .map(|p| format!("`{}`: {}", md_code(&p.variable), md(&p.message)))
                .collect();
            details.extend(
                service
                    .not_checked
                    .iter()
                    .map(|u| format!("not checked: {}", md(&u.reason))),
            );
            details.extend(
                service
                    .warnings
                    .iter()
                    .map(|w| format!("warning `{}`: {}", md_code(&w.variable), md(&w.message))),
            );
            writeln!(
                out,
                "| `{}` | {} | {} |",
                md_code(&service.name),
                service.status.word(),
                details.join("<br>")
            )?;
        }
        writeln!(out)?;
    }
    if !report.differences.is_empty() {
        writeln!(out, "| setting | value | services |\n| --- | --- | --- |")?;
        for difference in &report.differences {
            for (index, group) in difference.groups.iter().enumerate() {
                let setting = if index == 0 {
                    format!("`{}`", md_code(&difference.variable))
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "| {setting} | {} | {} |",
                    md(&group_label(group, difference.secret, index)),
                    md_names(&group.services)
                )?;
            }
        }
        writeln!(out)?;
    }
    for gap in &report.key_gaps {
        writeln!(out, "- keys: {}", md(&gap.message))?;
    }
    if !report.per_service.is_empty() {
        writeln!(
            out,
            "<details><summary>Per-service settings (not counted)</summary>\n"
        )?;
        writeln!(out, "| setting | service | value |\n| --- | --- | --- |")?;
        for entry in &report.per_service {
            for value in &entry.values {
                let shown = match (&value.value, value.set) {
                    (Some(v), _) => format!("`{}`", md_code(v)),
                    (None, true) => "(secret)".to_owned(),
                    (None, false) => "(unset)".to_owned(),
                };
                writeln!(
                    out,
                    "| `{}` | `{}` | {shown} |",
                    md_code(&entry.variable),
                    md_code(&value.service)
                )?;
            }
        }
        writeln!(out, "\n</details>")?;
    }
    Ok(())
}

/// Text inside a Markdown table cell: control characters escaped, pipes and markup
/// characters neutralised.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in clean(text).chars() {
        if matches!(c, '|' | '`' | '*' | '_' | '<' | '>' | '[' | ']' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Service names as code spans, comma-separated.
fn md_names(services: &[String]) -> String {
    let names: Vec<String> = services
        .iter()
        .map(|s| format!("`{}`", md_code(s)))
        .collect();
    names.join(", ")
}

/// Text inside a code span in a table cell: no backticks, pipes escaped.
fn md_code(text: &str) -> String {
    clean(text).replace('`', "'").replace('|', "\\|")
}
