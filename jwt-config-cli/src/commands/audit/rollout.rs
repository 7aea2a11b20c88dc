//! `audit --before OLD... --after NEW...`: a rollout is a change between two moments. Each
//! fleet is loaded as `audit` loads it; then, service by service, what the rollout changes, and
//! whether every token that can be alive across it verifies where it will be presented: what
//! the fleet as deployed signs, at every verifier of the fleet as it will be (tokens outlive a
//! rollout), and, while the update rolls (both versions of a service run at once), what either
//! version signs at every verifier of the other. The key rule is the facade's one
//! (`agreement`); only the moments are this module's.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jwt_config::agreement::{self, KeyGap, KeyView};
use jwt_config::{JwtConfig, TokenType, vars};
use serde::Serialize;

use super::load::{Audited, Status};
use super::named;
use crate::commands::report::{Compared, clean, compared};

/// The JWT settings of a schema's value: what a rollout's continuity is judged on.
pub(crate) type JwtOf<T> = fn(&T) -> &JwtConfig;

/// What `audit --before --after` reports.
#[derive(Serialize)]
pub(crate) struct RolloutReport {
    /// Exit 0: every service of the fleet as it will be is valid, and no live token is refused
    /// during or after the rollout.
    pub(crate) passed: bool,
    /// Services of the fleet as deployed that do not load, or were not checked: what they
    /// sign and verify is unknown, so the rollout cannot be judged.
    pub(crate) not_valid_before: Vec<String>,
    /// Services of the fleet as it will be that do not load, or were not checked.
    pub(crate) not_valid_after: Vec<String>,
    pub(crate) added: Vec<String>,
    pub(crate) removed: Vec<String>,
    /// Per service in both: the settings the rollout changes.
    pub(crate) changes: Vec<ServiceChanges>,
    /// Receivers whose allowed callers change.
    pub(crate) callers: Vec<CallerChange>,
    /// Tokens that would be refused: the service, the key, the variable and until when.
    pub(crate) breaks: Vec<Break>,
    /// What holds now but needs time: keys dropped that only tokens older than the fleet as
    /// deployed can carry.
    pub(crate) notes: Vec<String>,
}

#[derive(Serialize)]
pub(crate) struct ServiceChanges {
    pub(crate) service: String,
    pub(crate) settings: Vec<SettingChange>,
}

/// One setting before and after; a secret's value is never shown (compared by digest).
#[derive(Serialize)]
pub(crate) struct SettingChange {
    pub(crate) variable: String,
    pub(crate) secret: bool,
    pub(crate) before: Option<String>,
    pub(crate) after: Option<String>,
}

#[derive(Serialize)]
pub(crate) struct CallerChange {
    pub(crate) receiver: String,
    /// `*` for any authenticated service.
    pub(crate) before: String,
    pub(crate) after: String,
    pub(crate) allowed: Vec<String>,
    pub(crate) no_longer_allowed: Vec<String>,
}

/// When the tokens of a break are signed and where they are refused.
#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Moment {
    /// Signed by the fleet as deployed, presented to the fleet as it will be.
    AfterTheRollout,
    /// Signed by the new version, presented to the old one still running (the update rolls).
    DuringTheRollout,
    /// Within the fleet as it will be.
    After,
}

#[derive(Serialize)]
pub(crate) struct Break {
    pub(crate) moment: Moment,
    /// The services that sign the tokens.
    pub(crate) signers: Vec<String>,
    pub(crate) key_id: Option<String>,
    /// The services that would refuse the tokens.
    pub(crate) verifiers: Vec<String>,
    pub(crate) service_calls: bool,
    /// The variable to fix.
    pub(crate) variable: &'static str,
    pub(crate) message: String,
}

/// One valid service at one moment.
struct Side<'a> {
    name: &'a str,
    jwt: &'a JwtConfig,
    view: KeyView,
}

fn sides<'a, T>(audited: &'a [Audited<T>], jwt_of: JwtOf<T>) -> Vec<Side<'a>> {
    audited
        .iter()
        .filter_map(|a| {
            let jwt = jwt_of(&a.loaded.as_ref()?.value);
            Some(Side {
                name: &a.name,
                jwt,
                view: jwt.key_view(),
            })
        })
        .collect()
}

/// A lifetime in words: "7 days", "15 minutes", "60 seconds".
fn lifetime(duration: Duration) -> String {
    let seconds = duration.as_secs();
    match seconds {
        s if s % 86_400 == 0 => format!("{} day(s)", s / 86_400),
        s if s % 60 == 0 => format!("{} minute(s)", s / 60),
        s => format!("{s} second(s)"),
    }
}

impl RolloutReport {
    pub(crate) fn new<T>(before: &[Audited<T>], after: &[Audited<T>], jwt_of: JwtOf<T>) -> Self {
        let not_valid = |fleet: &[Audited<T>]| -> Vec<String> {
            fleet
                .iter()
                .filter(|a| a.status != Status::Sidecar && a.loaded.is_none())
                .map(|a| a.name.clone())
                .collect()
        };
        let mut report = RolloutReport {
            passed: false,
            not_valid_before: not_valid(before),
            not_valid_after: not_valid(after),
            added: Vec::new(),
            removed: Vec::new(),
            changes: Vec::new(),
            callers: Vec::new(),
            breaks: Vec::new(),
            notes: Vec::new(),
        };
        let services = |fleet: &[Audited<T>]| -> BTreeSet<String> {
            fleet
                .iter()
                .filter(|a| a.status != Status::Sidecar)
                .map(|a| a.name.clone())
                .collect()
        };
        let (names_before, names_after) = (services(before), services(after));
        report.added = names_after.difference(&names_before).cloned().collect();
        report.removed = names_before.difference(&names_after).cloned().collect();
        for old in before.iter().filter(|a| names_after.contains(&a.name)) {
            let Some(new) = after.iter().find(|a| a.name == old.name) else {
                continue;
            };
            report.compare_service(old, new);
        }
        let (old, new) = (sides(before, jwt_of), sides(after, jwt_of));
        report.compare_callers(&old, &new);
        report.continuity(&old, &new, Moment::AfterTheRollout);
        report.continuity(&new, &old, Moment::DuringTheRollout);
        report.continuity(&new, &new, Moment::After);
        report.claims(&old, &new, Moment::AfterTheRollout);
        report.claims(&new, &old, Moment::DuringTheRollout);
        report.claims(&new, &new, Moment::After);
        report.allowed_callers(&old, &new);
        report.dropped_keys(&old, &new);
        report.passed = report.breaks.is_empty()
            && report.not_valid_before.is_empty()
            && report.not_valid_after.is_empty();
        report
    }

    /// The settings one service changes, by value (secrets by digest).
    fn compare_service<T>(&mut self, old: &Audited<T>, new: &Audited<T>) {
        let (Some(old_loaded), Some(new_loaded)) = (&old.loaded, &new.loaded) else {
            return;
        };
        let mut settings = Vec::new();
        for variable in &new_loaded.variables {
            let name = variable.variable();
            let previous = old_loaded.variables.iter().find(|v| v.variable() == name);
            let was = previous.map_or(Compared::Unset, compared);
            let is = compared(variable);
            // Two secrets too short for a digest cannot be told apart: maybe changed.
            if was == is && is != Compared::Weak {
                continue;
            }
            let shown = |compared: &Compared<'_>| match compared {
                Compared::Unset => None,
                Compared::Value(value) => Some((*value).to_owned()),
                Compared::Digest(_) | Compared::Weak => Some("(secret)".to_owned()),
            };
            settings.push(SettingChange {
                variable: name.to_owned(),
                secret: variable.secret(),
                before: shown(&was),
                after: shown(&is),
            });
        }
        if !settings.is_empty() {
            self.changes.push(ServiceChanges {
                service: new.name.clone(),
                settings,
            });
        }
    }

    fn compare_callers(&mut self, old: &[Side<'_>], new: &[Side<'_>]) {
        let shown = |view: &KeyView| match &view.allowed_callers {
            None => "*".to_owned(),
            Some(ids) if ids.is_empty() => "none".to_owned(),
            Some(ids) => ids.join(","),
        };
        let fleet: BTreeSet<&str> = old
            .iter()
            .chain(new)
            .map(|s| s.view.service_id.as_str())
            .collect();
        for after in new {
            let Some(before) = old.iter().find(|s| s.name == after.name) else {
                continue;
            };
            if before.view.allowed_callers == after.view.allowed_callers {
                continue;
            }
            let (was, is) = (&before.view, &after.view);
            let differs = |allowed: &KeyView, refused: &KeyView| -> Vec<String> {
                fleet
                    .iter()
                    .filter(|id| **id != after.view.service_id)
                    .filter(|id| allowed.allows(id) && !refused.allows(id))
                    .map(|id| (*id).to_owned())
                    .collect()
            };
            self.callers.push(CallerChange {
                receiver: after.name.to_owned(),
                before: shown(was),
                after: shown(is),
                allowed: differs(is, was),
                no_longer_allowed: differs(was, is),
            });
        }
    }

    /// Every key a signer of `signers` signs with, at every verifier of `verifiers`: a gap is
    /// a break, said with the moment, the lifetime and the variable. Signers of one key (a
    /// shared secret) and the verifiers that refuse it make one break.
    fn continuity(&mut self, signers: &[Side<'_>], verifiers: &[Side<'_>], moment: Moment) {
        type Found = (Vec<String>, Vec<String>, KeyGap, Duration);
        let mut found: BTreeMap<(Option<String>, bool, &'static str), Found> = BTreeMap::new();
        for signer in signers {
            for verifier in verifiers {
                // Within one moment a service verifies what it signs itself.
                if std::ptr::eq(signer, verifier) {
                    continue;
                }
                let mut gaps = agreement::token_gaps(&signer.view, &verifier.view);
                // A service never calls itself: its own calls are no break.
                if signer.view.service_id != verifier.view.service_id {
                    gaps.extend(agreement::service_call_gap(&signer.view, &verifier.view));
                }
                for gap in gaps {
                    let lives = if gap.is_service_call() {
                        signer.jwt.lifetime(TokenType::Service)
                    } else {
                        signer.jwt.lifetime(TokenType::Refresh)
                    };
                    let key = (
                        gap.key_id().map(str::to_owned),
                        gap.is_service_call(),
                        variable_of(&gap),
                    );
                    let entry = found
                        .entry(key)
                        .or_insert_with(|| (Vec::new(), Vec::new(), gap, Duration::ZERO));
                    meet(&mut entry.0, &mut entry.1, signer.name, verifier.name);
                    entry.3 = entry.3.max(lives);
                }
            }
        }
        for ((key_id, service_calls, variable), (signing, refusing, gap, lives)) in found {
            let message = explain(moment, &signing, &refusing, &gap, lives);
            self.breaks.push(Break {
                moment,
                signers: signing,
                key_id,
                verifiers: refusing,
                service_calls,
                variable,
                message,
            });
        }
    }

    /// What a verifier requires of the tokens a signer issues, beside the key: the same
    /// algorithm and issuer, an audience in common.
    fn claims(&mut self, signers: &[Side<'_>], verifiers: &[Side<'_>], moment: Moment) {
        // (variable, issued, required) -> (signers, verifiers)
        type Found = (Vec<String>, Vec<String>);
        let mut found: BTreeMap<(&'static str, String, String), Found> = BTreeMap::new();
        for signer in signers.iter().filter(|s| s.view.signs_tokens()) {
            for verifier in verifiers {
                if std::ptr::eq(signer, verifier) {
                    continue;
                }
                let (issued, required) = (signer.jwt, verifier.jwt);
                let mut differences = Vec::new();
                if issued.algorithm() != required.algorithm() {
                    let name = |c: &JwtConfig| format!("{:?}", c.algorithm());
                    differences.push((vars::ALGORITHM, name(issued), name(required)));
                }
                if issued.issuer() != required.issuer() {
                    let (a, b) = (issued.issuer().to_owned(), required.issuer().to_owned());
                    differences.push((vars::ISSUER, a, b));
                }
                if !issued
                    .audience()
                    .iter()
                    .any(|a| required.audience().contains(a))
                {
                    let (a, b) = (issued.audience().join(","), required.audience().join(","));
                    differences.push((vars::AUDIENCE, a, b));
                }
                for key in differences {
                    let entry = found.entry(key).or_default();
                    meet(&mut entry.0, &mut entry.1, signer.name, verifier.name);
                }
            }
        }
        for ((variable, issued, required), (signing, refusing)) in found {
            let lives = signing
                .iter()
                .filter_map(|name| signers.iter().find(|s| s.name == name.as_str()))
                .map(|s| s.jwt.lifetime(TokenType::Refresh))
                .max()
                .unwrap_or_default();
            let (signers_named, refusers) = (named(&signing), named(&refusing));
            let (issued, required) = (clean(&issued), clean(&required));
            let message = match moment {
                Moment::AfterTheRollout => format!(
                    "`{variable}` changes: tokens {signers_named} issue before the rollout ({issued}) stay valid up to {} after it, and {refusers} would require {required}: every such token would be refused (a logout of every user); keep {variable}, or accept that",
                    lifetime(lives)
                ),
                Moment::DuringTheRollout => format!(
                    "`{variable}` changes: while the update rolls, {refusers} (not yet updated) require {required} and would refuse the tokens {signers_named} issue after it ({issued})"
                ),
                Moment::After => format!(
                    "after the rollout: {refusers} require {variable} {required} where {signers_named} issue {issued}"
                ),
            };
            self.breaks.push(Break {
                moment,
                signers: signing,
                key_id: None,
                verifiers: refusing,
                service_calls: false,
                variable,
                message,
            });
        }
    }

    /// Calls refused by an allow-list the rollout does not keep in step: a receiver that,
    /// after it, allows an id no service has any more (a renamed or removed caller), and, while
    /// the update rolls, a receiver not yet updated that refuses a caller it will allow.
    fn allowed_callers(&mut self, old: &[Side<'_>], new: &[Side<'_>]) {
        let ids = |sides: &[Side<'_>]| -> BTreeSet<String> {
            sides.iter().map(|s| s.view.service_id.clone()).collect()
        };
        let (ids_before, ids_after) = (ids(old), ids(new));
        for receiver in new.iter().filter(|r| !r.view.service_call_keys.is_empty()) {
            let Some(allowed) = &receiver.view.allowed_callers else {
                continue;
            };
            for id in allowed {
                if ids_before.contains(id) && !ids_after.contains(id) {
                    self.breaks.push(Break {
                        moment: Moment::After,
                        signers: vec![id.clone()],
                        key_id: None,
                        verifiers: vec![receiver.name.to_owned()],
                        service_calls: true,
                        variable: vars::SERVICE_ALLOWED_CALLERS,
                        message: format!(
                            "{} allows `{}`, a service before the rollout that no service is after it (renamed or removed): calls of the service that replaces it would be refused (403); update its SERVICE_ALLOWED_CALLERS",
                            clean(receiver.name),
                            clean(id)
                        ),
                    });
                }
            }
        }
        for caller in new
            .iter()
            .filter(|c| c.view.service_call_keys.iter().any(|k| k.signs))
        {
            for receiver_new in new {
                let Some(receiver_old) = old.iter().find(|r| r.name == receiver_new.name) else {
                    continue;
                };
                let id = &caller.view.service_id;
                let newly = receiver_new.view.allows(id) && !receiver_old.view.allows(id);
                if !newly
                    || receiver_old.view.service_call_keys.is_empty()
                    || *id == receiver_new.view.service_id
                {
                    continue;
                }
                self.breaks.push(Break {
                    moment: Moment::DuringTheRollout,
                    signers: vec![caller.name.to_owned()],
                    key_id: None,
                    verifiers: vec![receiver_new.name.to_owned()],
                    service_calls: true,
                    variable: vars::SERVICE_ALLOWED_CALLERS,
                    message: format!(
                        "while the update rolls, {} (not yet updated) does not allow {} (`{}`), which it allows after it: those calls would be refused (403) until it is updated; roll out its SERVICE_ALLOWED_CALLERS before the caller",
                        clean(receiver_new.name),
                        clean(caller.name),
                        clean(id)
                    ),
                });
            }
        }
    }

    /// Token keys a verifier drops that nobody signs with any more: fine only once every token
    /// signed with them has expired.
    fn dropped_keys(&mut self, old: &[Side<'_>], new: &[Side<'_>]) {
        let mut dropped: BTreeMap<String, (Vec<String>, Duration)> = BTreeMap::new();
        for before in old {
            let Some(after) = new.iter().find(|s| s.name == before.name) else {
                continue;
            };
            for key in before.view.token_keys.iter().filter(|k| k.verifies) {
                let kept = after.view.token_keys.iter().any(|k| k.same_key(key));
                let signed = old
                    .iter()
                    .any(|s| s.view.token_keys.iter().any(|k| k.signs && k.same_key(key)));
                if !kept && !signed {
                    let entry = dropped
                        .entry(key.id.clone())
                        .or_insert_with(|| (Vec::new(), Duration::ZERO));
                    entry.0.push(before.name.to_owned());
                    entry.1 = entry.1.max(before.jwt.lifetime(TokenType::Refresh));
                }
            }
        }
        for (key_id, (services, longest)) in dropped {
            self.notes.push(format!(
                "key {} leaves {}: no service signs with it before the rollout, but a refresh token it signed earlier lives up to {} after it was issued; roll this out only once that long has passed since the last service stopped signing with {}",
                clean(&key_id),
                named(&services),
                lifetime(longest),
                clean(&key_id),
            ));
        }
    }
}

/// A signer and a verifier of one break, each named once.
fn meet(signers: &mut Vec<String>, verifiers: &mut Vec<String>, signer: &str, verifier: &str) {
    for (names, name) in [(signers, signer), (verifiers, verifier)] {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
}

/// The variable a break is fixed in.
fn variable_of(gap: &KeyGap) -> &'static str {
    match gap {
        KeyGap::TokenKey {
            held_as: Some(_), ..
        } => vars::KEY_ID,
        KeyGap::TokenKey { .. } => vars::VERIFICATION_KEYS,
        KeyGap::ServiceKey {
            held_as: Some(_), ..
        } => vars::SERVICE_KEY_ID,
        KeyGap::ServiceKey { refused: true, .. } => vars::SERVICE_ACCEPT_SHARED_SECRET,
        KeyGap::ServiceKey { .. } | KeyGap::NoServiceToken => vars::SERVICE_VERIFICATION_KEYS,
        // `KeyGap` may gain variants: a key of tokens by default.
        _ => vars::SECRET_KEY,
    }
}

/// A break in words: the moment, the tokens and how long they live, the key, the fix.
fn explain(
    moment: Moment,
    signing: &[String],
    refusing: &[String],
    gap: &KeyGap,
    lives: Duration,
) -> String {
    let (signers, refusers) = (named(signing), named(refusing));
    let tokens = if gap.is_service_call() {
        "service tokens"
    } else {
        "refresh and access tokens"
    };
    let key = gap
        .key_id()
        .map_or_else(String::new, |k| format!(" {}", clean(k)));
    let renamed = match gap {
        KeyGap::TokenKey {
            key,
            held_as: Some(held),
        } => Some((key, held, vars::KEY_ID)),
        KeyGap::ServiceKey {
            key,
            held_as: Some(held),
            ..
        } => Some((key, held, vars::SERVICE_KEY_ID)),
        _ => None,
    };
    let lives = lifetime(lives);
    match (moment, renamed) {
        (Moment::AfterTheRollout, Some((key, held, variable))) => format!(
            "`{variable}` changed on {refusers}: {tokens} issued as {} by {signers} before the rollout stay valid up to {lives} after it, but {refusers} would know their key only as {}: they would be refused as an unknown key id; keep {variable}={}",
            clean(&key.id),
            clean(&held.id),
            clean(&key.id),
        ),
        (Moment::DuringTheRollout, Some((key, held, variable))) => format!(
            "`{variable}` changed: while the update rolls, {refusers} (not yet updated) know the key as {} and would refuse the {tokens} {signers} sign as {} after it; keep {variable}={}",
            clean(&held.id),
            clean(&key.id),
            clean(&held.id),
        ),
        (Moment::AfterTheRollout, None) => {
            let keep = if gap.is_service_call() {
                vars::SERVICE_VERIFICATION_KEYS
            } else {
                vars::VERIFICATION_KEYS
            };
            format!(
                "{refusers} would not verify key{key} after the rollout, while {tokens} {signers} sign with it before it stay valid up to {lives} after it: keep the key in {refusers}'s {keep} until then, or leave the signing key as it is"
            )
        }
        (Moment::DuringTheRollout, None) => format!(
            "while the update rolls, {refusers} (not yet updated) would refuse the {tokens} {signers} sign after it (key{key}): give every verifier the key in a rollout of its own before any service signs with it"
        ),
        (Moment::After, _) => format!("after the rollout: {}", gap.explain(&signers, &refusers)),
    }
}

impl RolloutReport {
    /// The report as labelled lines, in the order people read it (the text and Markdown
    /// renderers' one source): what fails first, then what changes.
    pub(crate) fn lines(&self) -> Vec<(&'static str, String)> {
        let mut lines = Vec::new();
        for name in &self.not_valid_before {
            lines.push((
                "invalid",
                format!(
                    "{} does not load or start before the rollout, or is not checked: what it signs and verifies is unknown, so the rollout cannot be judged; `jwt-config audit` on the --before inputs says why",
                    clean(name)
                ),
            ));
        }
        for name in &self.not_valid_after {
            lines.push((
                "invalid",
                format!(
                    "{} does not load or start after the rollout, or is not checked; `jwt-config audit` on the --after inputs says why",
                    clean(name)
                ),
            ));
        }
        for broken in &self.breaks {
            lines.push(("breaks", clean(&broken.message).into_owned()));
        }
        for note in &self.notes {
            lines.push(("note", clean(note).into_owned()));
        }
        for service in &self.changes {
            let settings: Vec<String> = service
                .settings
                .iter()
                .map(|s| {
                    let shown = |v: &Option<String>| {
                        v.as_deref()
                            .map_or_else(|| "(unset)".to_owned(), |v| clean(v).into_owned())
                    };
                    if s.secret {
                        let what = match (&s.before, &s.after) {
                            (None, _) => "set",
                            (_, None) => "removed",
                            _ => "changed",
                        };
                        format!("{} (secret) {what}", clean(&s.variable))
                    } else {
                        format!(
                            "{} {} -> {}",
                            clean(&s.variable),
                            shown(&s.before),
                            shown(&s.after)
                        )
                    }
                })
                .collect();
            lines.push((
                "changes",
                format!("{}: {}", clean(&service.service), settings.join("; ")),
            ));
        }
        for name in &self.added {
            lines.push(("added", clean(name).into_owned()));
        }
        for name in &self.removed {
            lines.push(("removed", clean(name).into_owned()));
        }
        for change in &self.callers {
            let mut text = format!(
                "{}: SERVICE_ALLOWED_CALLERS {} -> {}",
                clean(&change.receiver),
                clean(&change.before),
                clean(&change.after)
            );
            if !change.allowed.is_empty() {
                text.push_str(&format!("; now allowed: {}", named(&change.allowed)));
            }
            if !change.no_longer_allowed.is_empty() {
                text.push_str(&format!(
                    "; no longer allowed: {}",
                    named(&change.no_longer_allowed)
                ));
            }
            lines.push(("callers", text));
        }
        lines
    }

    /// The last line: the verdict.
    pub(crate) fn verdict(&self) -> String {
        if self.passed && self.notes.is_empty() {
            "ok the rollout keeps every live token valid, during and after it".to_owned()
        } else if self.passed {
            "ok the rollout keeps every live token valid, during and after it, once the notes above hold".to_owned()
        } else {
            format!(
                "the rollout fails: {} break(s), {} service(s) not valid before it, {} after it",
                self.breaks.len(),
                self.not_valid_before.len(),
                self.not_valid_after.len()
            )
        }
    }
}
