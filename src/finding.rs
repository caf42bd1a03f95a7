//! One diagnostic type for everything a rule reports.

use crate::model::{JoinTypeSet, Name};
use crate::rules::Severity;
use crate::source::Location;

/// A labelled place in a file.
#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub location: Location,
    pub message: String,
}

/// The policy a finding is about.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyRef {
    pub name: String,
    pub id: Option<String>,
    /// Policy kind (`intune-settings-catalog`, `gpo`...).
    pub source: &'static str,
}

/// A rule's finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// The rule's id, code, summary and fix are shared with the rule (a run can report tens of
    /// thousands of findings).
    pub rule: Name,
    pub code: Option<Name>,
    pub severity: Severity,
    /// The rule's summary: the headline of the human report.
    pub summary: Name,
    /// One sentence with the specifics: which policy, which value, which devices, through what.
    pub message: String,
    /// The offending bytes (a setting's value).
    pub primary: Label,
    /// The assignment, the group's membership rule, the other policy...
    pub related: Vec<Label>,
    /// Facts the reader needs: unknowns, partial exclusions.
    pub notes: Vec<String>,
    pub help: Name,
    pub policy: Option<PolicyRef>,
    /// The setting's key (shared with the model's setting).
    pub setting: Option<Name>,
    /// Stable across unrelated edits: rule id, policy identity, setting key, target.
    pub fingerprint: String,
    /// Baseline control ids the finding is about (`WN11-SO-000185`, `V-253459`, `2.3.11.3`).
    pub controls: Vec<String>,
    /// Join types of the devices concerned.
    pub join_types: JoinTypeSet,
    /// Groups (names and ids) or OUs through which the finding reaches devices.
    pub targets: Vec<String>,
    /// Set when a valid exception covers the finding: it is then reported as excepted.
    /// Boxed: few findings are excepted, and every finding would carry its size.
    pub exception: Option<Box<Suppression>>,
    /// For a finding that stands for several facts (a GPO setting against several policies):
    /// a hash of each, so that `--since` reports the finding when it gains one that the
    /// revision did not have, although its fingerprint is unchanged. Empty otherwise.
    pub members: Vec<u64>,
}

impl Finding {
    /// A finding of `rule`: its id, code, severity, summary and fix come from the rule; the
    /// lists are empty and nothing is excepted until the caller says otherwise.
    pub fn new(
        rule: &crate::rules::Rule,
        message: String,
        primary: Label,
        fingerprint: String,
    ) -> Finding {
        Finding {
            rule: rule.id.clone(),
            code: rule.code.clone(),
            severity: rule.severity,
            summary: rule.summary.clone(),
            message,
            primary,
            related: Vec::new(),
            notes: Vec::new(),
            help: rule.fix.clone(),
            policy: None,
            setting: None,
            fingerprint,
            controls: Vec::new(),
            join_types: JoinTypeSet::EMPTY,
            targets: Vec::new(),
            exception: None,
            members: Vec::new(),
        }
    }
}

/// The exception that covers a finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Suppression {
    pub exception_id: String,
    pub justification: String,
    /// The exception's table in its file.
    pub location: Location,
}

/// The hash of one fact of a grouped finding ([`Finding::members`]): FNV-1a of the parts.
pub fn member(parts: &[&str]) -> u64 {
    fnv1a(parts)
}

/// [`member`] for facts whose parts start alike (a GPO setting against each of thousands of
/// policies): the shared start is hashed once, and `MemberPrefix::new(&[a, b]).member(&[c, d])`
/// is `member(&[a, b, c, d])`.
pub struct MemberPrefix(u64);

impl MemberPrefix {
    pub fn new(parts: &[&str]) -> MemberPrefix {
        MemberPrefix(fnv1a(parts))
    }

    pub fn member(&self, rest: &[&str]) -> u64 {
        fnv1a_from(self.0, rest)
    }
}

fn fnv1a(parts: &[&str]) -> u64 {
    fnv1a_from(0xcbf2_9ce4_8422_2325, parts)
}

fn fnv1a_from(mut hash: u64, parts: &[&str]) -> u64 {
    for part in parts {
        for byte in part.bytes().chain([0x1f]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// A 64-bit FNV-1a hash of the parts, as 16 hex digits. Stable across platforms and releases,
/// unlike `std`'s hasher, so fingerprints can be stored.
pub fn fingerprint(parts: &[&str]) -> String {
    format!("{:016x}", fnv1a(parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_prefix_hashes_as_the_whole() {
        let prefix = MemberPrefix::new(&["rule", "gpo"]);
        assert_eq!(
            prefix.member(&["policy", "key"]),
            member(&["rule", "gpo", "policy", "key"])
        );
        assert_ne!(
            prefix.member(&["policy", "key"]),
            member(&["rule", "gpopolicy", "key"])
        );
        assert_eq!(MemberPrefix::new(&[]).member(&["a"]), member(&["a"]));
    }

    #[test]
    fn fingerprint_is_stable_and_separates_parts() {
        assert_eq!(fingerprint(&["a", "b"]), fingerprint(&["a", "b"]));
        assert_ne!(fingerprint(&["ab", ""]), fingerprint(&["a", "b"]));
        // Pinned: a change here breaks every stored baseline of findings.
        assert_eq!(fingerprint(&[]), "cbf29ce484222325");
        assert_eq!(fingerprint(&["a"]), "089be907b544fdc9");
    }
}
