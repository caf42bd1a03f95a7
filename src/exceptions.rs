//! Exceptions (waivers): which findings a documented, approved, unexpired exception covers,
//! and the audit of every exception (valid, expiring, expired, unused, incomplete).

use crate::finding::{Finding, Label, Suppression, fingerprint};
use crate::model::{ChecklistStatus, Date, Exception, Expiry, Model};
use crate::rules::{Check, Rule};
use crate::source::Location;

/// The state of an exception on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Valid,
    Expiring,
    Expired,
    Unused,
    Incomplete,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Expiring => "expiring",
            Status::Expired => "expired",
            Status::Unused => "unused",
            Status::Incomplete => "incomplete",
        }
    }

    pub fn parse(name: &str) -> Option<Status> {
        [
            Status::Valid,
            Status::Expiring,
            Status::Expired,
            Status::Unused,
            Status::Incomplete,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// One exception in the audit.
#[derive(Clone, Debug)]
pub struct AuditEntry {
    /// Index into `Model::exceptions`.
    pub index: usize,
    pub status: Status,
    /// Days until expiry (negative once expired); None without a date.
    pub days_left: Option<i64>,
    /// Fingerprints of the findings it covers (or would cover, once expired).
    pub covers: Vec<String>,
    /// Required fields it lacks.
    pub missing: Vec<&'static str>,
}

/// A STIG checklist entry that documents a deviation (Not_Applicable or NotAFinding with a
/// comment). Shown in the audit; it does not suppress findings: a checklist records a review,
/// not an approval.
#[derive(Clone, Debug)]
pub struct ChecklistDocumentation {
    pub index: usize,
    /// Fingerprints of findings about the same control.
    pub related: Vec<String>,
}

/// The audit of a run.
#[derive(Clone, Debug, Default)]
pub struct Audit {
    pub today: Option<Date>,
    pub entries: Vec<AuditEntry>,
    pub checklist: Vec<ChecklistDocumentation>,
}

/// The days before expiry from which an exception is "expiring", unless configured.
pub const DEFAULT_EXPIRING_WITHIN: i64 = 30;

fn missing_fields(exception: &Exception) -> Vec<&'static str> {
    let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
    let mut missing = Vec::new();
    if blank(&exception.justification) {
        missing.push("justification");
    }
    if blank(&exception.owner) {
        missing.push("owner");
    }
    if exception.expires == Expiry::Missing {
        missing.push("expires");
    }
    if exception.controls.is_empty() && exception.rules.is_empty() {
        missing.push("controls or rules");
    }
    missing
}

fn dated_status(exception: &Exception, today: Date, within: i64) -> (Status, Option<i64>) {
    match exception.expires {
        Expiry::On(date) => {
            let left = date.days() - today.days();
            let status = if left < 0 {
                Status::Expired
            } else if left <= within {
                Status::Expiring
            } else {
                Status::Valid
            };
            (status, Some(left))
        }
        Expiry::Never | Expiry::Missing => (Status::Valid, None),
    }
}

/// Whether any of `exceptions` may cover a finding of the rule `rule_id`: one naming the rule,
/// or one naming controls (any rule's finding may carry a control).
pub fn may_cover_rule(exceptions: &[Exception], rule_id: &str) -> bool {
    exceptions
        .iter()
        .any(|e| !e.controls.is_empty() || e.rules.iter().any(|r| r == rule_id))
}

/// Does an exception cover a finding? Rule ids or control ids must match, and every scope the
/// exception gives must hold.
pub fn covers(exception: &Exception, finding: &Finding) -> bool {
    let by_rule = exception.rules.iter().any(|r| finding.rule == *r);
    let by_control = exception
        .controls
        .iter()
        .any(|c| finding.controls.iter().any(|f| f.eq_ignore_ascii_case(c)));
    if !(by_rule || by_control) {
        return false;
    }
    let scope = &exception.scope;
    let join_types_ok = scope.join_types.is_empty()
        || (!finding.join_types.is_empty()
            && finding.join_types.difference(scope.join_types).is_empty());
    let policy_ok = scope.policies.is_empty()
        || finding.policy.as_ref().is_some_and(|p| {
            scope.policies.iter().any(|s| {
                s.eq_ignore_ascii_case(&p.name)
                    || p.id.as_deref().is_some_and(|id| s.eq_ignore_ascii_case(id))
            })
        });
    let names_ok = |wanted: &[String]| {
        wanted.is_empty()
            || finding.targets.iter().any(|t| {
                wanted
                    .iter()
                    .any(|w| t.eq_ignore_ascii_case(w) || ou_contains(w, t))
            })
    };
    join_types_ok && policy_ok && names_ok(&scope.groups) && names_ok(&scope.ous)
}

fn ou_contains(ou: &str, target: &str) -> bool {
    let (ou, target) = (
        crate::config::canonical_ou(ou),
        crate::config::canonical_ou(target),
    );
    target.starts_with(&format!("{ou}/"))
}

/// Suppress the findings valid exceptions cover (moving them to the returned list) and audit
/// every exception.
pub fn apply(
    findings: &mut Vec<Finding>,
    model: &Model,
    today: Date,
    within: i64,
) -> (Vec<Finding>, Audit) {
    let mut entries: Vec<AuditEntry> = model
        .exceptions
        .iter()
        .enumerate()
        .map(|(index, e)| {
            let missing = missing_fields(e);
            let (dated, days_left) = dated_status(e, today, within);
            let status = if missing.is_empty() {
                dated
            } else {
                Status::Incomplete
            };
            AuditEntry {
                index,
                status,
                days_left,
                covers: Vec::new(),
                missing,
            }
        })
        .collect();
    // Which findings an exception suppresses; only those move (a run can have tens of
    // thousands of findings and no exception).
    let mut suppressed: Vec<(usize, Suppression)> = Vec::new();
    for (i, finding) in findings.iter().enumerate() {
        let mut suppression = None;
        for entry in entries.iter_mut() {
            let exception = &model.exceptions[entry.index];
            if !covers(exception, finding) {
                continue;
            }
            entry.covers.push(finding.fingerprint.clone());
            let usable = matches!(entry.status, Status::Valid | Status::Expiring);
            if usable && suppression.is_none() {
                suppression = Some(Suppression {
                    exception_id: exception.id.clone(),
                    justification: exception.justification.clone().unwrap_or_default(),
                    location: Location {
                        file: exception.source,
                        span: exception.span,
                    },
                });
            }
        }
        if let Some(s) = suppression {
            suppressed.push((i, s));
        }
    }
    let mut excepted = Vec::with_capacity(suppressed.len());
    if !suppressed.is_empty() {
        let mut kept = Vec::with_capacity(findings.len() - suppressed.len());
        let mut suppressed = suppressed.into_iter().peekable();
        for (i, mut finding) in findings.drain(..).enumerate() {
            match suppressed.next_if(|(at, _)| *at == i) {
                Some((_, s)) => {
                    finding.exception = Some(Box::new(s));
                    excepted.push(finding);
                }
                None => kept.push(finding),
            }
        }
        *findings = kept;
    }
    for entry in &mut entries {
        if entry.status == Status::Valid && entry.covers.is_empty() {
            entry.status = Status::Unused;
        }
    }
    let checklist = checklist_documentation(model, findings, &excepted);
    annotate_documented(findings, model, &checklist);
    (
        excepted,
        Audit {
            today: Some(today),
            entries,
            checklist,
        },
    )
}

fn checklist_documentation(
    model: &Model,
    kept: &[Finding],
    excepted: &[Finding],
) -> Vec<ChecklistDocumentation> {
    model
        .checklist_entries
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            matches!(
                e.status,
                ChecklistStatus::NotApplicable | ChecklistStatus::NotAFinding
            ) && !e.comments.trim().is_empty()
        })
        .map(|(index, entry)| {
            let ids: Vec<&str> = std::iter::once(entry.vuln_id.as_str())
                .chain(entry.rule_version.as_deref())
                .chain(entry.rule_id.as_deref())
                .collect();
            let related = kept
                .iter()
                .chain(excepted)
                .filter(|f| {
                    f.controls
                        .iter()
                        .any(|c| ids.iter().any(|id| c.eq_ignore_ascii_case(id)))
                })
                .map(|f| f.fingerprint.clone())
                .collect();
            ChecklistDocumentation { index, related }
        })
        .collect()
}

/// Tell the reader of a finding that a STIG checklist documents the same control.
fn annotate_documented(
    findings: &mut [Finding],
    model: &Model,
    checklist: &[ChecklistDocumentation],
) {
    for doc in checklist {
        let entry = &model.checklist_entries[doc.index];
        let status = match entry.status {
            ChecklistStatus::NotApplicable => "Not_Applicable",
            _ => "NotAFinding",
        };
        let note = format!(
            "STIG checklist of {} marks {} {status}: {}",
            entry.asset,
            entry.vuln_id,
            entry.comments.trim()
        );
        for finding in findings
            .iter_mut()
            .filter(|f| doc.related.contains(&f.fingerprint))
        {
            finding.notes.push(note.clone());
        }
    }
}

/// Findings of the exception rules (`exception-expired`...) for the audit's entries.
pub fn status_findings(rules: &[Rule], model: &Model, audit: &Audit) -> Vec<Finding> {
    let mut out = Vec::new();
    for rule in rules {
        let Check::ExceptionStatus(status) = rule.check else {
            continue;
        };
        for entry in audit.entries.iter().filter(|e| e.status == status) {
            out.push(status_finding(rule, model, entry));
        }
    }
    out
}

fn status_finding(rule: &Rule, model: &Model, entry: &AuditEntry) -> Finding {
    let exception = &model.exceptions[entry.index];
    let at_expiry = matches!(entry.status, Status::Expired | Status::Expiring);
    let span = match (at_expiry, exception.expires_span) {
        (true, Some(span)) => span,
        _ => exception.span,
    };
    let detail = match entry.status {
        Status::Expired => format!(
            "exception {} expired {} day(s) ago",
            exception.id,
            -entry.days_left.unwrap_or(0)
        ),
        Status::Expiring => format!(
            "exception {} expires in {} day(s)",
            exception.id,
            entry.days_left.unwrap_or(0)
        ),
        Status::Unused => format!("exception {} matches no finding", exception.id),
        Status::Incomplete => format!(
            "exception {} lacks {}",
            exception.id,
            entry.missing.join(", ")
        ),
        Status::Valid => format!("exception {} is valid", exception.id),
    };
    Finding {
        notes: exception
            .owner
            .iter()
            .map(|o| format!("owner: {o}"))
            .collect(),
        controls: exception.controls.clone(),
        join_types: exception.scope.join_types,
        ..Finding::new(
            rule,
            detail,
            Label {
                location: Location {
                    file: exception.source,
                    span,
                },
                message: entry.status.name().to_string(),
            },
            fingerprint(&[&rule.id, &exception.id]),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ExceptionScope, JoinType, JoinTypeSet};
    use crate::rules::Severity;
    use crate::source::{SourceId, Span};

    fn exception(expires: Expiry) -> Exception {
        Exception {
            id: "EXC-1".into(),
            controls: vec!["WN11-SO-000185".into()],
            rules: vec![],
            scope: ExceptionScope {
                join_types: JoinTypeSet::of(&[JoinType::Entra]),
                ..ExceptionScope::default()
            },
            justification: Some("PKU2U is needed between Entra-joined PCs".into()),
            owner: Some("endpoint@contoso.com".into()),
            approved_by: None,
            created: None,
            expires,
            ticket: None,
            source: SourceId(0),
            span: Span::new(0, 1),
            expires_span: None,
        }
    }

    fn finding(join_types: JoinTypeSet) -> Finding {
        Finding {
            rule: "pku2u-disabled-on-entra-joined".into(),
            severity: Severity::Error,
            fingerprint: "f1".into(),
            controls: vec!["wn11-so-000185".into()],
            join_types,
            ..crate::testing::finding()
        }
    }

    fn model_with(e: Exception) -> Model {
        Model {
            exceptions: vec![e],
            ..Model::default()
        }
    }

    const TODAY: Date = Date {
        year: 2026,
        month: 11,
        day: 25,
    };

    #[test]
    fn valid_exception_suppresses_the_finding_it_covers() {
        let model = model_with(exception(Expiry::On(Date::parse("2027-06-01").unwrap())));
        let entra = JoinTypeSet::of(&[JoinType::Entra]);
        let mut findings = vec![finding(entra)];
        let (excepted, audit) = apply(&mut findings, &model, TODAY, 30);
        assert!(findings.is_empty());
        assert_eq!(
            excepted[0].exception.as_ref().unwrap().exception_id,
            "EXC-1"
        );
        assert_eq!(audit.entries[0].status, Status::Valid);
        assert_eq!(audit.entries[0].days_left, Some(188));
        assert_eq!(audit.entries[0].covers, ["f1"]);
    }

    #[test]
    fn scope_join_types_must_cover_the_finding() {
        let model = model_with(exception(Expiry::Never));
        let hybrid = JoinTypeSet::of(&[JoinType::Hybrid]);
        let mut findings = vec![finding(hybrid)];
        let (excepted, audit) = apply(&mut findings, &model, TODAY, 30);
        assert!(excepted.is_empty());
        assert_eq!(findings.len(), 1);
        assert_eq!(audit.entries[0].status, Status::Unused);
    }

    #[test]
    fn expired_exception_keeps_the_finding_and_says_what_it_would_cover() {
        let model = model_with(exception(Expiry::On(Date::parse("2026-11-01").unwrap())));
        let mut findings = vec![finding(JoinTypeSet::of(&[JoinType::Entra]))];
        let (excepted, audit) = apply(&mut findings, &model, TODAY, 30);
        assert!(excepted.is_empty());
        assert_eq!(audit.entries[0].status, Status::Expired);
        assert_eq!(audit.entries[0].days_left, Some(-24));
        assert_eq!(audit.entries[0].covers, ["f1"]);
    }

    #[test]
    fn expiring_and_incomplete_are_told_apart() {
        let soon = exception(Expiry::On(Date::parse("2026-12-10").unwrap()));
        let (_, audit) = apply(&mut vec![], &model_with(soon), TODAY, 30);
        assert_eq!(audit.entries[0].status, Status::Expiring);
        let mut no_owner = exception(Expiry::Missing);
        no_owner.owner = None;
        let (_, audit) = apply(&mut vec![], &model_with(no_owner), TODAY, 30);
        assert_eq!(audit.entries[0].status, Status::Incomplete);
        assert_eq!(audit.entries[0].missing, ["owner", "expires"]);
    }
}
