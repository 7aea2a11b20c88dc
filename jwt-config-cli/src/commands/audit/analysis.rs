//! Analysis: the valid services compared, setting by setting (the groups of services that
//! agree) and key by key (the facade's one rule, `agreement`), and what to fix first.

use std::collections::BTreeMap;

use jwt_config::agreement::{self, KeyView};
use jwt_config::{Origin, Resolved};
use serde::Serialize;

use super::load::{Audited, Status};
use super::named;
use crate::commands::report::{Compared, ProblemJson, WarningJson, clean, compared};
use crate::fleet::{SkippedKind, Unchecked};

/// What `audit` reports, for people (text, Markdown) and programs (JSON) alike.
#[derive(Serialize)]
pub(crate) struct AuditReport {
    /// Exit 0: every service valid, every shared setting and key agreeing (and, under
    /// `--strict`, no warning and nothing left for deploy time).
    pub(crate) passed: bool,
    pub(crate) summary: Summary,
    pub(crate) services: Vec<ServiceJson>,
    /// Shared settings on which services disagree: the groups of services that agree.
    pub(crate) differences: Vec<Difference>,
    /// Settings of one service each: shown, not counted.
    pub(crate) per_service: Vec<PerService>,
    /// Every shared setting compared, in schema order (a JUnit test case each).
    #[serde(skip)]
    pub(crate) shared_settings: Vec<String>,
    /// Secrets too short to compare without revealing them.
    pub(crate) not_compared: Vec<String>,
    /// Signing keys some service cannot verify.
    pub(crate) key_gaps: Vec<KeyGap>,
    /// Who may call whom: each valid service that accepts service calls, with the services of
    /// the fleet it allows.
    pub(crate) calls: Vec<Calls>,
    /// Callers' keys that receivers verify but the callers do not sign with: a bundle older
    /// than the callers' keys, or a rotation in progress.
    pub(crate) stale_keys: Vec<StaleKey>,
    /// Objects of kinds `audit` does not read.
    pub(crate) skipped_kinds: Vec<SkippedKind>,
    /// Directories reached again through a link: each real directory is read once.
    pub(crate) repeated_directories: Vec<String>,
}

#[derive(Serialize)]
pub(crate) struct Summary {
    pub(crate) services: usize,
    pub(crate) valid: usize,
    /// Services whose load depends on values supplied at deploy time.
    pub(crate) not_checked: usize,
    /// Valid, and with the largest group on every shared setting and key.
    pub(crate) agreeing: usize,
    pub(crate) skipped_sidecars: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) fix_first: Option<FixFirst>,
}

/// The first thing to fix: services that do not start, then keys, then the setting on
/// which the fewest services differ from the rest.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum FixFirst {
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
        /// The first of its gaps in words, with the variables and the fix: said instead of
        /// the summary where the summary's fix would be wrong (service calls, no one key).
        first_gap: String,
        #[serde(skip)]
        summary_fits: bool,
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
    /// Secrets shorter than 32 bytes have no digest: whether the services agree on them
    /// cannot be told.
    NotCompared {
        variables: Vec<String>,
    },
    Warnings {
        services: Vec<String>,
    },
    /// Receivers verify callers' keys that the callers do not sign with (`--strict` only).
    StaleKeys {
        key_ids: Vec<String>,
    },
}

#[derive(Serialize)]
pub(crate) struct ServiceJson {
    pub(crate) name: String,
    pub(crate) input: String,
    pub(crate) status: Status,
    pub(crate) problems: Vec<ProblemJson>,
    pub(crate) warnings: Vec<WarningJson>,
    pub(crate) not_checked: Vec<Unchecked>,
}

#[derive(Serialize)]
pub(crate) struct Difference {
    pub(crate) variable: String,
    pub(crate) secret: bool,
    /// Compared by key agreement where the schema holds the JWT settings, not by value.
    #[serde(skip)]
    pub(crate) key_material: bool,
    /// Largest group first; between groups of one size, the one that follows the shared
    /// objects before one whose services set the value themselves.
    pub(crate) groups: Vec<Group>,
    /// The largest groups are as large as each other and nothing (where the values come
    /// from) tells which is meant.
    pub(crate) tie: bool,
}

#[derive(Serialize)]
pub(crate) struct Group {
    /// The value (`None` for a secret, or unset); secrets are told apart by digest, never
    /// shown.
    pub(crate) value: Option<String>,
    pub(crate) set: bool,
    pub(crate) services: Vec<String>,
    /// Some service of the group sets the value in its own definition (an `env` value,
    /// Compose `environment`), over the shared objects.
    pub(crate) overrides: bool,
}

#[derive(Serialize)]
pub(crate) struct PerService {
    pub(crate) variable: String,
    pub(crate) secret: bool,
    /// The services' values are not all the same (secrets compared by digest).
    pub(crate) differs: bool,
    pub(crate) values: Vec<ServiceValue>,
}

#[derive(Serialize)]
pub(crate) struct ServiceValue {
    pub(crate) service: String,
    /// `None` for a secret or unset.
    pub(crate) value: Option<String>,
    pub(crate) set: bool,
}

/// The services of the fleet allowed to call one receiver.
#[derive(Serialize)]
pub(crate) struct Calls {
    pub(crate) receiver: String,
    /// Its `SERVICE_ALLOWED_CALLERS` is unset: every service may call it.
    pub(crate) every_service: bool,
    pub(crate) callers: Vec<Caller>,
}

/// A key receivers verify calls with, under the id of a service of the fleet, that this
/// service does not sign with.
#[derive(Serialize)]
pub(crate) struct StaleKey {
    /// The caller whose id the key carries.
    pub(crate) service: String,
    pub(crate) key_id: String,
    /// The key it signs its calls with; `None` on the shared `SERVICE_SECRET`, or for a
    /// service not in the inputs.
    pub(crate) current_key_id: Option<String>,
    /// No service of the inputs has this id: a retired service whose key stays trusted (or a
    /// fleet given in part).
    pub(crate) unknown_service: bool,
    /// Every receiver of it also verifies the caller's current key: a rotation of the
    /// caller's key is under way (the old key leaves the bundle once it is over). Not a
    /// failure under `--strict`.
    pub(crate) rotation: bool,
    pub(crate) receivers: Vec<String>,
    pub(crate) message: String,
}

/// A service allowed to call a receiver.
#[derive(Serialize)]
pub(crate) struct Caller {
    pub(crate) service: String,
    /// The receiver cannot verify its calls (a key gap of service calls says why).
    pub(crate) key_missing: bool,
}

#[derive(Serialize)]
pub(crate) struct KeyGap {
    pub(crate) signer: String,
    /// The signer's key; `None` where the gap concerns no one key (two verifiers with no key
    /// in common, a caller that signs no calls).
    pub(crate) key_id: Option<String>,
    /// The services that cannot verify it.
    pub(crate) services: Vec<String>,
    /// Service calls rather than access and refresh tokens.
    pub(crate) service_calls: bool,
    /// The gap in words: the variables on each side and the fixes.
    pub(crate) message: String,
    /// A token key the verifiers lack (not an unconfirmed key, nor one of service calls):
    /// the fix-first summary's "add it to JWT_VERIFICATION_KEYS" fits it.
    #[serde(skip)]
    pub(crate) token_key: bool,
}

impl AuditReport {
    pub(crate) fn new<T>(
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
            shared_settings: Vec::new(),
            not_compared: Vec::new(),
            key_gaps: Vec::new(),
            calls: Vec::new(),
            stale_keys: Vec::new(),
            skipped_kinds,
            repeated_directories: Vec::new(),
        };
        let valid: Vec<&Audited<T>> = audited.iter().filter(|a| a.loaded.is_some()).collect();
        report.compare_settings(&valid);
        if let Some(keys_of) = keys_of {
            report.compare_keys(&valid, keys_of);
            report.draw_calls(&valid, keys_of);
            report.find_stale_keys(&valid, keys_of);
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
            let groups = groups(values);
            // A secret shorter than 32 bytes gets no digest: two of them are not compared
            // (they differ from a longer secret, or an unset one, all the same).
            let weak = values
                .iter()
                .filter(|(_, v, _)| compared(v) == Compared::Weak)
                .count();
            if first.per_service() {
                self.per_service.push(PerService {
                    variable: name.to_owned(),
                    secret: first.secret(),
                    differs: groups.len() > 1,
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
            self.shared_settings.push(name.to_owned());
            if weak > 1 {
                self.not_compared.push(name.to_owned());
            }
            if groups.len() > 1 {
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

    /// Who may call whom, from each receiver's allow-list (every service where it has none),
    /// each edge marked where the receiver cannot verify the caller (a key gap of service
    /// calls, found by [`AuditReport::compare_keys`]).
    fn draw_calls<T>(&mut self, valid: &[&Audited<T>], keys_of: fn(&T) -> KeyView) {
        let views: Vec<(&str, KeyView)> = valid
            .iter()
            .filter_map(|a| Some((a.name.as_str(), keys_of(&a.loaded.as_ref()?.value))))
            .collect();
        for (receiver, view) in &views {
            if view.service_call_keys.is_empty() {
                continue;
            }
            let allows = |caller: &KeyView| {
                view.allowed_callers
                    .as_ref()
                    .is_none_or(|allowed| allowed.contains(&caller.service_id))
            };
            let callers = views
                .iter()
                .filter(|(caller, caller_view)| caller != receiver && allows(caller_view))
                .map(|(caller, _)| Caller {
                    service: (*caller).to_owned(),
                    key_missing: self.key_gaps.iter().any(|gap| {
                        gap.service_calls
                            && gap.signer == *caller
                            && gap.services.iter().any(|s| s == receiver)
                    }),
                })
                .collect();
            self.calls.push(Calls {
                receiver: (*receiver).to_owned(),
                every_service: view.allowed_callers.is_none(),
                callers,
            });
        }
    }

    /// Keys receivers verify under a caller's id (`billing`, `billing:2`) that the caller does
    /// not sign with: the bundle in the manifests is older than the caller's key (or a
    /// rotation is under way). Each caller is every valid instance with its `SERVICE_ID`.
    fn find_stale_keys<T>(&mut self, valid: &[&Audited<T>], keys_of: fn(&T) -> KeyView) {
        let views: Vec<(&str, KeyView)> = valid
            .iter()
            .filter_map(|a| Some((a.name.as_str(), keys_of(&a.loaded.as_ref()?.value))))
            .collect();
        let mut callers: BTreeMap<&str, (Vec<&str>, Vec<&jwt_config::KeyInfo>)> = BTreeMap::new();
        for (name, view) in &views {
            let entry = callers.entry(view.service_id.as_str()).or_default();
            entry.0.push(name);
            entry
                .1
                .extend(view.service_call_keys.iter().filter(|k| k.signs));
        }
        let mut stale: BTreeMap<(String, String), StaleKey> = BTreeMap::new();
        for (receiver, view) in &views {
            for key in view
                .service_call_keys
                .iter()
                .filter(|k| k.verifies && !k.signs)
            {
                // An `oct` key of a SERVICE_SECRET rotation names no service.
                if key.key_type == "hmac" {
                    continue;
                }
                let id = key.id.split_once(':').map_or(key.id.as_str(), |(id, _)| id);
                let known = callers.get(id);
                let signing: &[&jwt_config::KeyInfo] = known.map_or(&[], |(_, s)| s);
                if signing.iter().any(|own| own.same_key(key)) {
                    continue;
                }
                let current = signing
                    .iter()
                    .find(|own| own.key_type != "hmac")
                    .map(|own| own.id.clone());
                // The receiver also trusts the caller's current key: old and new side by side.
                let rotating = signing.iter().any(|own| {
                    view.service_call_keys
                        .iter()
                        .any(|k| k.verifies && k.same_key(own))
                });
                let service = known.map_or_else(|| id.to_owned(), |(names, _)| names.join(", "));
                let entry = stale
                    .entry((service.clone(), key.id.clone()))
                    .or_insert_with(|| StaleKey {
                        service,
                        key_id: key.id.clone(),
                        current_key_id: current,
                        unknown_service: known.is_none(),
                        rotation: true,
                        receivers: Vec::new(),
                        message: String::new(),
                    });
                entry.rotation &= rotating && known.is_some();
                entry.receivers.push((*receiver).to_owned());
            }
        }
        for mut key in stale.into_values() {
            let (receivers, service, id) = (
                named(&key.receivers),
                clean(&key.service).into_owned(),
                clean(&key.key_id).into_owned(),
            );
            let regenerate =
                "regenerate the bundle with `jwt-config keys bundle` over the same inputs";
            key.message = if key.unknown_service {
                format!(
                    "{receivers} verify calls with key {id}, of a service `{service}` that is not in the inputs: a retired service's key stays trusted; unless the inputs hold only part of the fleet, {regenerate}"
                )
            } else if key.rotation {
                let current = key.current_key_id.as_deref().map(clean).unwrap_or_default();
                format!(
                    "{receivers} verify calls of {service} with key {id} beside its current key {current}: a rotation of {service}'s key is under way; once every replica signs with {current} and the tokens signed with {id} have expired, {regenerate}"
                )
            } else {
                let signs = match &key.current_key_id {
                    Some(current) => format!("signs its calls with key {}", clean(current)),
                    None => "signs its calls with the shared SERVICE_SECRET".to_owned(),
                };
                format!(
                    "{receivers} verify calls of {service} with key {id}, which {service} does not sign with ({service} {signs}): the SERVICE_VERIFICATION_KEYS bundle is stale; {regenerate}"
                )
            };
            self.stale_keys.push(key);
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
                        token_key: false,
                        message: gap.explain(&clean(first), &clean(second)),
                    });
                }
            }
        }
        self.differences.retain(|d| !d.key_material);
        // Key material is compared by agreement, where a key without a fingerprint is a gap
        // of its own (`unconfirmed`): not a setting left uncompared.
        let key_material: Vec<&str> = valid
            .iter()
            .filter_map(|a| a.loaded.as_ref())
            .flat_map(|loaded| &loaded.variables)
            .filter(|v| v.key_material())
            .map(|v| v.variable())
            .collect();
        self.not_compared
            .retain(|name| !key_material.contains(&name.as_str()));
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
                // A service verifies what it signs itself: never its own verifier here.
                let others: Vec<String> =
                    rejecting.iter().filter(|s| s != signer).cloned().collect();
                if others.is_empty() {
                    continue;
                }
                self.key_gaps.push(KeyGap {
                    signer: (*signer).to_owned(),
                    key_id: Some(key.id.clone()),
                    message: gap.explain(&clean(signer), &named(&others)),
                    services: others,
                    service_calls: false,
                    token_key: matches!(gap, agreement::KeyGap::TokenKey { .. }),
                });
            }
        }
    }

    /// The calls of `signer` (of class `index`, as `caller`) at every other receiver that
    /// allows them, its own class included: holding the same keys does not mean accepting
    /// them (a shared secret refused where callers have keys of their own, a receiver that
    /// signs no calls).
    fn service_call_gaps(
        &mut self,
        classes: &[(KeyView, Vec<(&str, String)>)],
        index: usize,
        signer: &str,
        caller: &KeyView,
    ) {
        for (other, (receiver_view, receivers)) in classes.iter().enumerate() {
            // A service never calls itself.
            let alone = other == index && receivers.len() == 1;
            if alone {
                continue;
            }
            let Some(gap) = agreement::service_call_gap(caller, receiver_view) else {
                continue;
            };
            let services: Vec<String> = receivers
                .iter()
                .map(|(name, _)| (*name).to_owned())
                .filter(|name| other != index || name != signer)
                .collect();
            if services.is_empty() {
                continue;
            }
            self.key_gaps.push(KeyGap {
                signer: signer.to_owned(),
                key_id: gap.key_id().map(str::to_owned),
                message: gap.explain(&clean(signer), &named(&services)),
                services,
                service_calls: true,
                token_key: false,
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
            key_ids.sort();
            key_ids.dedup();
            let summary_fits = !key_ids.is_empty() && involved.iter().all(|g| g.token_key);
            Some(FixFirst::Keys {
                only_verifying: involved.iter().all(|g| g.signer != service),
                first_gap: involved
                    .first()
                    .map(|g| g.message.clone())
                    .unwrap_or_default(),
                summary_fits,
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
        } else if !self.not_compared.is_empty() {
            Some(FixFirst::NotCompared {
                variables: self.not_compared.clone(),
            })
        } else if strict && !deploy_time.is_empty() {
            Some(FixFirst::NotChecked {
                services: deploy_time.clone(),
                runtime_only: false,
            })
        } else if strict && !warned.is_empty() {
            Some(FixFirst::Warnings {
                services: warned.clone(),
            })
        } else if strict && self.stale_keys.iter().any(|k| !k.rotation) {
            Some(FixFirst::StaleKeys {
                key_ids: self
                    .stale_keys
                    .iter()
                    .filter(|k| !k.rotation)
                    .map(|k| k.key_id.clone())
                    .collect(),
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

/// The services grouped by the value they compare by (a value, a secret's digest, unset, or a
/// secret too short for a digest), largest group first; between groups of one size, the one
/// that follows the shared objects before one whose services set the value themselves.
fn groups(values: &[(&str, &Resolved, bool)]) -> Vec<Group> {
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
    let mut groups: Vec<Group> = groups.into_iter().map(|(_, g)| g).collect();
    groups.sort_by_key(|g| (std::cmp::Reverse(g.services.len()), g.overrides));
    groups
}

/// A kind not read, in words: `Rollout (2, runs containers)`.
pub(crate) fn skipped_text(kind: &SkippedKind) -> String {
    let containers = if kind.runs_containers {
        ", runs containers"
    } else {
        ""
    };
    format!("{} ({}{containers})", clean(&kind.kind), kind.objects.len())
}
