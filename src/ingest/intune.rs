//! Intune Graph JSON: Settings Catalog policies, device configurations (custom OMA-URI, flat
//! templates), compliance policies, endpoint-security intents, plus the Entra groups and
//! assignment filters found in the same exports (delegated to [`super::entra_groups`]).
//!
//! Settings Catalog policy files (one policy each, or lists of policies only), the bulk of a
//! tenant, go through a typed fast path first (module `typed`, over the validating JSON cursor of module `cursor`), which
//! reads them exactly as the reader below would or declines. Every other file, and every file
//! the fast path declines, is parsed once into a `jsonc-parser` AST and classified by SHAPE,
//! never by file name (formats.md section 3): one object, an array, a Graph list
//! `{"value": [...]}`, an IntuneManagement intent companion `{"settings": [...]}`, group /
//! filter templates, IntuneCD's assignment report, and a top-level JSON string holding JSON
//! (double-encoded), whose inner spans are mapped back to file bytes. Span conventions are
//! documented in [`super::json`].
//!
//! What each setting's spans cover (JSON nodes; strings with their quotes):
//!
//! | Source | `Setting::span` | `Setting::name_span` |
//! |---|---|---|
//! | Settings Catalog choice | the option id string (`choiceSettingValue.value`) | `settingDefinitionId` |
//! | Settings Catalog simple | `simpleSettingValue.value` | `settingDefinitionId` |
//! | Settings Catalog collections (an ADMX list of plain entries, `..._deviceinstall_ids_deny_list`, is keyed as the catalog's numbered list `<list key>\*`, its strings sorted) | the collection array | `settingDefinitionId` |
//! | Settings Catalog list that names its values (Hardened UNC Paths: a group collection of `_key`/`_value` pairs whose definition is a catalog `value_list`) | each pair's `_value` string, as the registry value `<list key>\<_key>` | the pair's `_key` string |
//! | An item of the Settings Catalog's local groups (LocalUsersAndGroups) or firewall rules collection: its children, each the setting it is; a child the catalog does not know is keyed `intune:<id>[<what the item concerns>]` ([`item_entity`]: a Replace item's groups, so that two Replace items for one group are compared; an update item's groups, action and content hash, and a rule's name and content hash, which compare with nothing else) | each child's value | each child's `settingDefinitionId` |
//! | custom OMA-URI | the entry's `value` | `omaUri` |
//! | custom OMA-URI whose value is a `name=data\|…` list the catalog knows (`value_list`: Defender's AttackSurfaceReductionRules) | each pair's data, as the registry value `<list key>\<name>` | the pair's name |
//! | flat Graph property | the property's value | the property name |
//! | intent setting | `valueJson` (else `value`) | `definitionId` |
//!
//! Keys: the catalog's canonical key where it knows the setting, else `intune:<definition id>`
//! (lower-cased), `omauri:<uri>` (lower-cased), `graph:<type>/<property>`,
//! `intent:<definitionId>`.
//!
//! OData annotations (keys containing `@` or starting with `#`) are ignored. A null value is
//! "no value": it yields no setting. Anything malformed becomes an [`InputError`] pointing at
//! the offending node, and reading continues with the rest of the file.

mod cursor;
pub(crate) mod local_groups;
mod typed;
mod untyped;

use local_groups::LOCAL_GROUPS;
use untyped::{Untyped, UntypedKeys};

use jsonc_parser::ast::{Array, Object, ObjectProp, StringLit, Value as Node};

use crate::catalog::{Catalog, SettingDef};
use crate::ingest::Parsed;
use crate::ingest::entra_groups;
use crate::ingest::json::{self, Doc, TextMap, get, get_str, has, string_offsets};
use crate::model::{
    Assignment, FilterRef, Incomplete, InlineRule, InputError, Missing, Mode, Name, Policy,
    PolicyKind, Setting, Target, Value,
};
use crate::source::{Location, SourceFile, SourceId, Span};

/// Read one decoded JSON file: policies, groups and filters, with an input error for each
/// problem (parse errors, unknown types, wrong field types), each at its position in the file.
pub fn read_json(id: SourceId, file: &SourceFile, catalog: &Catalog) -> Parsed {
    typed::read(id, file, catalog).unwrap_or_else(|| read_json_reference(id, file, catalog))
}

/// Whether the fast path's JSON cursor reads `text` as one JSON value (for the `json_cursor`
/// fuzz target, which holds it to serde_json: it must never accept more).
#[doc(hidden)]
pub fn json_cursor_accepts(text: &str) -> bool {
    let mut cursor = cursor::Cursor::new(text);
    cursor.value().is_some() && cursor.end().is_some()
}

/// Whether a JSON text that serde_json accepts holds a `\\u` escape of a surrogate that is not
/// half of a pair: serde_json skips such strings, the reference reader's parser rejects them,
/// and the cursor declines them (for the `json_cursor` fuzz target and the cursor's tests).
#[doc(hidden)]
pub fn has_unpaired_surrogate(text: &str) -> bool {
    let code = |at: usize| json::unicode_escape(text, at);
    let bytes = text.as_bytes();
    let mut at = 0;
    // In valid JSON every backslash starts an escape inside a string.
    while let Some(found) = memchr::memchr(b'\\', &bytes[at..]) {
        at += found;
        match code(at) {
            Some(0xD800..=0xDBFF) if matches!(code(at + 6), Some(0xDC00..=0xDFFF)) => at += 12,
            Some(0xD800..=0xDFFF) => return true,
            _ => at += 2,
        }
    }
    false
}

/// A long list file of policies (`size` bytes, at `path`) read window by window (module
/// `typed::streamed`): its policies and the file as the pipeline keeps it (released), or None
/// to read it whole.
pub(crate) fn read_json_streamed(
    path: &std::path::Path,
    file: &std::fs::File,
    size: usize,
    (id, catalog): (SourceId, &Catalog),
    window_bytes: usize,
) -> Option<(Parsed, SourceFile)> {
    let read = typed::streamed::read(file, size, id, catalog, window_bytes)?;
    let source = SourceFile::streamed(path, size, &read.line_starts, &read.wide);
    Some((read.parsed, source))
}

/// For the `streamed_list` fuzz target: the list file at `path` read by
/// [`read_json_streamed`] with windows of `window_bytes`, and the file as the pipeline then
/// keeps it; None when it declines.
#[doc(hidden)]
pub fn read_json_windowed(
    path: &std::path::Path,
    window_bytes: usize,
) -> Option<(Parsed, SourceFile)> {
    let file = std::fs::File::open(path).ok()?;
    let size = usize::try_from(file.metadata().ok()?.len()).ok()?;
    let catalog = Catalog::builtin();
    read_json_streamed(path, &file, size, (SourceId(0), catalog), window_bytes)
}

/// The windows [`read_json_streamed`] reads a long list in are about this long.
pub(crate) const STREAMED_WINDOW_BYTES: usize = typed::streamed::WINDOW_BYTES;

/// The typed fast path alone (module `typed`): `None` when it declines the file.
pub fn read_json_typed(id: SourceId, file: &SourceFile, catalog: &Catalog) -> Option<Parsed> {
    typed::read(id, file, catalog)
}

/// [`read_json`] without the typed fast path: the reader every file can go through, and the
/// reference the fast path is tested against.
pub fn read_json_reference(id: SourceId, file: &SourceFile, catalog: &Catalog) -> Parsed {
    let mut reader = Reader {
        catalog,
        out: Parsed::default(),
    };
    reader.read_text(&Doc::file(id, file), true);
    reader.out
}

const GRAPH: &str = "#microsoft.graph.";
const CATALOG_INSTANCE: &str = "#microsoft.graph.deviceManagementConfiguration";
const ALL_ZERO_GUID: &str = "00000000-0000-0000-0000-000000000000";

/// The policy property for PKU2U in `windows10EndpointProtectionConfiguration`.
const PKU2U_PROPERTY: &str = "localSecurityOptionsAllowPKU2UAuthenticationRequests";
/// The same property as an endpoint-security intent setting (formats.md 3.4, inferred).
const PKU2U_INTENT: &str = "deviceConfiguration--windows10EndpointProtectionConfiguration_localSecurityOptionsAllowPKU2UAuthenticationRequests";
const PKU2U_DEFINITION: &str = "device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests";

/// The endpoint-protection profile's type name (its properties are intent settings too,
/// `deviceConfiguration--windows10EndpointProtectionConfiguration_<property>`).
const ENDPOINT_PROTECTION: &str = "windows10EndpointProtectionConfiguration";

/// The attack surface reduction rules of the endpoint-protection profile (Graph
/// `windows10EndpointProtectionConfiguration`, beta), by property, and the rule's id. Most rules
/// have two properties: `...Type` (`defenderAttackSurfaceType`: `block`, `auditMode`, `warn`,
/// `disable`, `userDefined`) and the older one without it (`defenderProtectionType`: `enable`,
/// `auditMode`, `warn`, `notConfigured`, `userDefined`); the rule is the same.
const ASR_PROPERTIES: [(&str, &str); 25] = [
    (
        "defenderOfficeAppsOtherProcessInjectionType",
        "75668C1F-73B5-4CF0-BB93-3ECF5CB7CC84",
    ),
    (
        "defenderOfficeAppsOtherProcessInjection",
        "75668C1F-73B5-4CF0-BB93-3ECF5CB7CC84",
    ),
    (
        "defenderOfficeCommunicationAppsLaunchChildProcess",
        "26190899-1602-49E8-8B27-EB1D0A1CE869",
    ),
    (
        "defenderOfficeAppsExecutableContentCreationOrLaunchType",
        "3B576869-A4EC-4529-8536-B80A7769E899",
    ),
    (
        "defenderOfficeAppsExecutableContentCreationOrLaunch",
        "3B576869-A4EC-4529-8536-B80A7769E899",
    ),
    (
        "defenderOfficeAppsLaunchChildProcessType",
        "D4F940AB-401B-4EFC-AADC-AD5F3C50688A",
    ),
    (
        "defenderOfficeAppsLaunchChildProcess",
        "D4F940AB-401B-4EFC-AADC-AD5F3C50688A",
    ),
    (
        "defenderOfficeMacroCodeAllowWin32ImportsType",
        "92E97FA1-2EDF-4476-BDD6-9DD0B4DDDC7B",
    ),
    (
        "defenderOfficeMacroCodeAllowWin32Imports",
        "92E97FA1-2EDF-4476-BDD6-9DD0B4DDDC7B",
    ),
    (
        "defenderScriptObfuscatedMacroCodeType",
        "5BEB7EFE-FD9A-4556-801D-275E5FFC04CC",
    ),
    (
        "defenderScriptObfuscatedMacroCode",
        "5BEB7EFE-FD9A-4556-801D-275E5FFC04CC",
    ),
    (
        "defenderScriptDownloadedPayloadExecutionType",
        "D3E037E1-3EB8-44C8-A917-57927947596D",
    ),
    (
        "defenderScriptDownloadedPayloadExecution",
        "D3E037E1-3EB8-44C8-A917-57927947596D",
    ),
    (
        "defenderPreventCredentialStealingType",
        "9E6C4E1F-7D60-472F-BA1A-A39EF669E4B2",
    ),
    (
        "defenderProcessCreationType",
        "D1E49AAC-8F56-4280-B9BA-993A6D77406C",
    ),
    (
        "defenderProcessCreation",
        "D1E49AAC-8F56-4280-B9BA-993A6D77406C",
    ),
    (
        "defenderUntrustedUSBProcessType",
        "B2B3F03D-6A65-4F7B-A9C7-1C7EF74A9BA4",
    ),
    (
        "defenderUntrustedUSBProcess",
        "B2B3F03D-6A65-4F7B-A9C7-1C7EF74A9BA4",
    ),
    (
        "defenderUntrustedExecutableType",
        "01443614-CD74-433A-B99E-2ECDC07BFC25",
    ),
    (
        "defenderUntrustedExecutable",
        "01443614-CD74-433A-B99E-2ECDC07BFC25",
    ),
    (
        "defenderEmailContentExecutionType",
        "BE9BA2D9-53EA-4CDC-84E5-9B1EEEE46550",
    ),
    (
        "defenderEmailContentExecution",
        "BE9BA2D9-53EA-4CDC-84E5-9B1EEEE46550",
    ),
    (
        "defenderAdvancedRansomewareProtectionType",
        "C1DB55AB-C21A-4637-BB3F-A12568109D35",
    ),
    (
        "defenderBlockPersistenceThroughWmiType",
        "E6DB77E5-3DF2-4CF1-B95A-636979351E5B",
    ),
    (
        "defenderAdobeReaderLaunchChildProcess",
        "7674BA52-37EB-4A4F-A9A1-F0F9A1619A2C",
    ),
];

/// An ASR rule's state in the Graph enums as the rule's registry data (1 block, 2 audit,
/// 6 warn, 0 off); None for `userDefined` and `notConfigured`, which leave the rule alone.
fn asr_state(text: &str) -> Option<i64> {
    match text {
        "block" | "enable" => Some(1),
        "auditMode" => Some(2),
        "warn" => Some(6),
        "disable" => Some(0),
        _ => None,
    }
}

/// How a Graph property's value is the Policy CSP setting's.
#[derive(Clone, Copy)]
enum GraphValues {
    /// The same number (a Boolean as 0 or 1).
    Number,
    /// Named states and the setting's value for each; other names (`notConfigured`,
    /// `userDefined`) leave the setting alone.
    Named(&'static [(&'static str, i64)]),
    /// A Boolean whose `true` is this value; `false` is how Graph writes "not configured" for
    /// it, and leaves the setting alone.
    WhenTrue(i64),
}

/// Flat Graph properties (device configuration profiles, and the same properties as
/// endpoint-security intent settings) that are Policy CSP settings: the Graph type, the
/// property, the setting's OMA-URI, and how the value maps (Graph beta resource types
/// `windowsUpdateForBusinessConfiguration` and `windows10EndpointProtectionConfiguration`).
const GRAPH_SETTINGS: [(&str, &str, &str, GraphValues); 18] = {
    const UPDATE: &str = "windowsUpdateForBusinessConfiguration";
    // `enablement`: letting users pause or scan is the policy that disables it set to 0.
    const USER_ACCESS: GraphValues = GraphValues::Named(&[("enabled", 0), ("disabled", 1)]);
    use GraphValues::{Named, Number, WhenTrue};
    [
        (
            UPDATE,
            "qualityUpdatesDeferralPeriodInDays",
            "./Device/Vendor/MSFT/Policy/Config/Update/DeferQualityUpdatesPeriodInDays",
            Number,
        ),
        (
            UPDATE,
            "featureUpdatesDeferralPeriodInDays",
            "./Device/Vendor/MSFT/Policy/Config/Update/DeferFeatureUpdatesPeriodInDays",
            Number,
        ),
        (
            UPDATE,
            "deadlineForQualityUpdatesInDays",
            "./Device/Vendor/MSFT/Policy/Config/Update/ConfigureDeadlineForQualityUpdates",
            Number,
        ),
        (
            UPDATE,
            "deadlineForFeatureUpdatesInDays",
            "./Device/Vendor/MSFT/Policy/Config/Update/ConfigureDeadlineForFeatureUpdates",
            Number,
        ),
        (
            UPDATE,
            "deadlineGracePeriodInDays",
            "./Device/Vendor/MSFT/Policy/Config/Update/ConfigureDeadlineGracePeriod",
            Number,
        ),
        (
            UPDATE,
            "postponeRebootUntilAfterDeadline",
            "./Device/Vendor/MSFT/Policy/Config/Update/ConfigureDeadlineNoAutoReboot",
            Number,
        ),
        (
            UPDATE,
            "microsoftUpdateServiceAllowed",
            "./Device/Vendor/MSFT/Policy/Config/Update/AllowMUUpdateService",
            Number,
        ),
        (
            UPDATE,
            "driversExcluded",
            "./Device/Vendor/MSFT/Policy/Config/Update/ExcludeWUDriversInQualityUpdate",
            Number,
        ),
        (
            UPDATE,
            "userPauseAccess",
            "./Device/Vendor/MSFT/Policy/Config/Update/SetDisablePauseUXAccess",
            USER_ACCESS,
        ),
        (
            UPDATE,
            "userWindowsUpdateScanAccess",
            "./Device/Vendor/MSFT/Policy/Config/Update/SetDisableUXWUAccess",
            USER_ACCESS,
        ),
        (
            ENDPOINT_PROTECTION,
            "deviceGuardLocalSystemAuthorityCredentialGuardSettings",
            "./Device/Vendor/MSFT/Policy/Config/DeviceGuard/LsaCfgFlags",
            Named(&[
                ("disable", 0),
                ("enableWithUEFILock", 1),
                ("enableWithoutUEFILock", 2),
            ]),
        ),
        (
            ENDPOINT_PROTECTION,
            "defenderNetworkProtectionType",
            "./Device/Vendor/MSFT/Policy/Config/Defender/EnableNetworkProtection",
            Named(&[("enable", 1), ("auditMode", 2)]),
        ),
        (
            ENDPOINT_PROTECTION,
            "defenderGuardMyFoldersType",
            "./Device/Vendor/MSFT/Policy/Config/Defender/EnableControlledFolderAccess",
            Named(&[
                ("enable", 1),
                ("auditMode", 2),
                ("blockDiskModification", 3),
                ("auditDiskModification", 4),
            ]),
        ),
        (
            ENDPOINT_PROTECTION,
            "bitLockerEncryptDevice",
            "./Device/Vendor/MSFT/BitLocker/RequireDeviceEncryption",
            WhenTrue(1),
        ),
        (
            ENDPOINT_PROTECTION,
            "bitLockerDisableWarningForOtherDiskEncryption",
            "./Device/Vendor/MSFT/BitLocker/AllowWarningForOtherDiskEncryption",
            WhenTrue(0),
        ),
        (
            ENDPOINT_PROTECTION,
            "bitLockerAllowStandardUserEncryption",
            "./Device/Vendor/MSFT/BitLocker/AllowStandardUserEncryption",
            WhenTrue(1),
        ),
        (
            ENDPOINT_PROTECTION,
            "bitLockerRecoveryPasswordRotation",
            "./Device/Vendor/MSFT/BitLocker/ConfigureRecoveryPasswordRotation",
            Named(&[
                ("disabled", 0),
                ("enabledForAzureAd", 1),
                ("enabledForAzureAdAndHybrid", 2),
            ]),
        ),
        (
            ENDPOINT_PROTECTION,
            "defenderSecurityCenterBlockExploitProtectionOverride",
            "./Device/Vendor/MSFT/Policy/Config/WindowsDefenderSecurityCenter/DisallowExploitProtectionOverride",
            Number,
        ),
    ]
};

/// Flat properties of device configurations that describe the object, not a setting.
const METADATA: [&str; 9] = [
    "id",
    "displayName",
    "description",
    "version",
    "createdDateTime",
    "lastModifiedDateTime",
    "roleScopeTagIds",
    "supportsScopeTags",
    "assignments",
];

/// What a JSON object is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape<'b> {
    SettingsCatalog,
    Intent,
    CustomOmaUri,
    /// A Graph object read property by property: kind and type name without `#microsoft.graph.`.
    Flat(PolicyKind, &'b str),
    Group,
    ReportGroup,
    Filter,
}

/// The setting instance kinds of the Settings Catalog (`@odata.type` after
/// `#microsoft.graph.deviceManagementConfiguration`, with the property holding the value).
const INSTANCE_KINDS: [(&str, &str); 6] = [
    ("ChoiceSettingInstance", "choiceSettingValue"),
    ("SimpleSettingInstance", "simpleSettingValue"),
    (
        "SimpleSettingCollectionInstance",
        "simpleSettingCollectionValue",
    ),
    (
        "ChoiceSettingCollectionInstance",
        "choiceSettingCollectionValue",
    ),
    (
        "GroupSettingCollectionInstance",
        "groupSettingCollectionValue",
    ),
    ("GroupSettingInstance", "groupSettingValue"),
];

/// The setting instance types of endpoint-security intents.
const INTENT_INSTANCE_TYPES: [&str; 6] = [
    "deviceManagementBooleanSettingInstance",
    "deviceManagementIntegerSettingInstance",
    "deviceManagementStringSettingInstance",
    "deviceManagementComplexSettingInstance",
    "deviceManagementCollectionSettingInstance",
    "deviceManagementAbstractComplexSettingInstance",
];

struct Reader<'c> {
    catalog: &'c Catalog,
    out: Parsed,
}

impl<'c> Reader<'c> {
    fn error(&mut self, error: InputError) {
        self.out.errors.push(error);
    }

    // ---- documents and top-level shapes ----

    /// Parse a document's text and read its root; `outer` allows one level of double encoding.
    fn read_text(&mut self, doc: &Doc<'_>, outer: bool) {
        match json::parse(doc.text) {
            Err(e) => self.error(doc.parse_error(&e)),
            Ok(None) => {
                let end = doc.map.offset(doc.text.len());
                self.error(doc.error(
                    Span::new(end, end),
                    "empty JSON document: expected an object or array",
                ));
            }
            Ok(Some(root)) => self.read_root(doc, &root, outer),
        }
    }

    fn read_root(&mut self, doc: &Doc<'_>, root: &Node<'_>, outer: bool) {
        match root {
            Node::Object(obj) => self.read_top_object(doc, obj),
            Node::Array(list) => self.read_items(doc, list),
            Node::StringLit(lit) if outer => self.read_double_encoded(doc, lit),
            other => self.error(doc.error_at(
                other,
                format!(
                    "expected a JSON object or array, found {}",
                    json::type_name(other)
                ),
            )),
        }
    }

    /// A top-level JSON string holding JSON (IntuneManagement's `_Settings.json` companions):
    /// parse the decoded text, mapping its offsets back through the literal's escapes.
    fn read_double_encoded(&mut self, doc: &Doc<'_>, lit: &StringLit<'_>) {
        let offsets = string_offsets(&doc.text[lit.range.start..lit.range.end]);
        let inner = Doc {
            id: doc.id,
            file: doc.file,
            text: &lit.value,
            map: TextMap::inner(doc.map.offset(lit.range.start + 1), &offsets),
        };
        self.read_text(&inner, false);
    }

    /// Wrappers first (`value`, `groups`, `filters`, `settings` only), then a single item.
    fn read_top_object(&mut self, doc: &Doc<'_>, obj: &Object<'_>) {
        let keys = || {
            obj.properties
                .iter()
                .map(|p| p.name.as_str())
                .filter(|k| !json::is_annotation(k))
        };
        let only = |key: &str| keys().all(|k| k == key) && has(obj, key);
        if only("value") {
            if let Some(list) = self.array_field(doc, obj, "value") {
                self.read_items(doc, list);
                self.note_next_page(doc, obj, list);
            }
        } else if only("groups") {
            if let Some(list) = self.array_field(doc, obj, "groups") {
                entra_groups::read_groups(doc, list, &mut self.out.groups, &mut self.out.errors);
            }
        } else if only("filters") {
            if let Some(list) = self.array_field(doc, obj, "filters") {
                entra_groups::read_filters(doc, list, &mut self.out.filters, &mut self.out.errors);
            }
        } else if only("settings") && !has(obj, "@odata.type") {
            self.read_companion(doc, obj);
        } else if has(obj, "TenantId") && has(obj, "Objects") {
            // IntuneManagement's MigrationTable.json: tenant bookkeeping, nothing to lint.
        } else {
            self.read_item(doc, obj);
        }
    }

    /// A list response that names its next page (`@odata.nextLink`) was saved without it.
    fn note_next_page(&mut self, doc: &Doc<'_>, obj: &Object<'_>, list: &Array<'_>) {
        let Some(link) = obj
            .properties
            .iter()
            .find(|p| is_next_link(p.name.as_str()))
        else {
            return;
        };
        let context = json::get_str(obj, "@odata.context");
        let named = context
            .and_then(|context| context.split_once('#'))
            .map(|(_, list)| list.split('(').next().unwrap_or(list));
        let missing = Missing::Pages {
            items: list.elements.len(),
            list: named.filter(|list| !list.is_empty()).map(str::to_string),
            total: get(obj, "@odata.count").and_then(count),
        };
        self.note_incomplete(doc, &link.value, missing);
    }

    /// A Settings Catalog policy (`obj`) whose `settingCount` is more than the `exported` items
    /// of its `settings`.
    fn note_missing_settings(&mut self, doc: &Doc<'_>, obj: &Object<'_>, exported: usize) {
        let Some(node) = get(obj, "settingCount") else {
            return;
        };
        if let Some(declared) = count(node).filter(|&declared| declared > exported as u64) {
            self.note_incomplete(doc, node, Missing::Settings { declared, exported });
        }
    }

    /// What an export leaves out, noted at `at`.
    fn note_incomplete(&mut self, doc: &Doc<'_>, at: &Node<'_>, missing: Missing) {
        let location = Location {
            file: doc.id,
            span: doc.span(at),
        };
        self.out.incomplete.push(Incomplete { location, missing });
    }

    fn read_items(&mut self, doc: &Doc<'_>, list: &Array<'_>) {
        for element in &list.elements {
            match element {
                Node::Object(obj) => self.read_item(doc, obj),
                other => self.error(doc.error_at(
                    other,
                    format!(
                        "expected an object (a policy, group or assignment filter), found {}",
                        json::found(other)
                    ),
                )),
            }
        }
    }

    fn read_item(&mut self, doc: &Doc<'_>, obj: &Object<'_>) {
        let shape = match self.classify(doc, obj) {
            Ok(shape) => shape,
            Err(e) => return self.error(e),
        };
        match shape {
            Shape::Group => self.push_group(entra_groups::read_group(doc, obj)),
            Shape::ReportGroup => self.push_group(entra_groups::read_report_group(doc, obj)),
            Shape::Filter => match entra_groups::read_filter(doc, obj) {
                Ok(filter) => self.out.filters.push(filter),
                Err(e) => self.error(e),
            },
            policy_shape => self.read_policy(doc, obj, policy_shape),
        }
    }

    fn push_group(&mut self, group: Result<crate::model::Group, InputError>) {
        match group {
            Ok(group) => self.out.groups.push(group),
            Err(e) => self.error(e),
        }
    }

    /// Classify by `@odata.type` when present, else by the keys the shape requires.
    fn classify<'b>(&self, doc: &Doc<'_>, obj: &'b Object<'_>) -> Result<Shape<'b>, InputError> {
        match get(obj, "@odata.type") {
            Some(Node::StringLit(t)) => classify_type(doc, t),
            Some(other) => Err(doc.error_at(
                other,
                format!(
                    "expected `@odata.type` to be a string, found {}",
                    json::type_name(other)
                ),
            )),
            None => classify_untyped(doc, obj),
        }
    }

    // ---- policies ----

    fn read_policy(&mut self, doc: &Doc<'_>, obj: &Object<'_>, shape: Shape<'_>) {
        let kind = match shape {
            Shape::SettingsCatalog => PolicyKind::SettingsCatalog,
            Shape::Intent => PolicyKind::EndpointSecurityIntent,
            Shape::CustomOmaUri => PolicyKind::CustomOmaUri,
            Shape::Flat(kind, _) => kind,
            _ => PolicyKind::Other,
        };
        let mut policy = self.new_policy(doc, obj, kind);
        match shape {
            Shape::SettingsCatalog => {
                let list = self.array_field(doc, obj, "settings");
                if let Some(list) = list {
                    self.read_catalog_settings(doc, list, &mut policy.settings);
                }
                let exported = list.map_or(0, |list| list.elements.len());
                // A next page of the settings says more than `settingCount` would.
                if !has(obj, "settings@odata.nextLink") {
                    self.note_missing_settings(doc, obj, exported);
                }
            }
            Shape::Intent => {
                let list = match get(obj, "settingsDelta") {
                    Some(_) => self.array_field(doc, obj, "settingsDelta"),
                    None => self.array_field(doc, obj, "settings"),
                };
                if let Some(list) = list {
                    self.read_intent_settings(doc, list, &mut policy.settings);
                }
            }
            Shape::CustomOmaUri => {
                if let Some(list) = self.array_field(doc, obj, "omaSettings") {
                    self.read_oma_settings(doc, list, &mut policy.settings);
                }
            }
            Shape::Flat(_, type_name) => {
                self.read_flat_settings(doc, obj, type_name, &mut policy.settings)
            }
            _ => {}
        }
        self.read_assignments(doc, obj, &mut policy);
        self.note_collection_pages(doc, obj);
        self.out.policies.push(policy);
    }

    /// A policy's expanded collections (`assignments`, `settings`...) that name a next page
    /// (`assignments@odata.nextLink`): Graph paged them, and the export kept the first page.
    fn note_collection_pages(&mut self, doc: &Doc<'_>, obj: &Object<'_>) {
        for property in &obj.properties {
            let Some(collection) = paged_collection(property.name.as_str()) else {
                continue;
            };
            let items = match get(obj, collection) {
                Some(Node::Array(list)) => list.elements.len(),
                _ => 0,
            };
            let missing = Missing::CollectionPage {
                collection: collection.to_string(),
                items,
            };
            self.note_incomplete(doc, &property.value, missing);
        }
    }

    /// Identity, name and spans of a policy object; settings and assignments come later.
    fn new_policy(&mut self, doc: &Doc<'_>, obj: &Object<'_>, kind: PolicyKind) -> Policy {
        let name_node = get(obj, "name")
            .filter(|n| n.as_string_lit().is_some())
            .or_else(|| get(obj, "displayName"));
        let (name, name_span) = match name_node {
            Some(Node::StringLit(s)) => (s.value.to_string(), doc.span(s)),
            Some(other) => {
                self.error(doc.error_at(
                    other,
                    format!(
                        "expected the policy name to be a string, found {}",
                        json::type_name(other)
                    ),
                ));
                (String::new(), doc.span(other))
            }
            None => {
                self.error(doc.error_at(obj, "policy has no `name` or `displayName`"));
                (String::new(), doc.span(obj))
            }
        };
        let id = get_str(obj, "id").filter(|id| !id.is_empty());
        empty_policy(doc, obj, kind, id, name, name_span)
    }

    /// `{"settings": [...]}` without a policy around it (IntuneManagement writes intent settings
    /// to `<name>_Settings.json`): a policy named after the file, of the kind its items show.
    fn read_companion(&mut self, doc: &Doc<'_>, obj: &Object<'_>) {
        let Some(list) = self.array_field(doc, obj, "settings") else {
            return;
        };
        let catalog_items = list
            .elements
            .first()
            .and_then(Node::as_object)
            .is_some_and(|first| has(first, "settingInstance"));
        let kind = if catalog_items {
            PolicyKind::SettingsCatalog
        } else {
            PolicyKind::EndpointSecurityIntent
        };
        let name_span = obj
            .properties
            .iter()
            .find(|p| p.name.as_str() == "settings")
            .map_or_else(|| doc.span(obj), |p| doc.span(&p.name));
        let mut policy = empty_policy(doc, obj, kind, None, companion_name(doc.file), name_span);
        if catalog_items {
            self.read_catalog_settings(doc, list, &mut policy.settings);
        } else {
            self.read_intent_settings(doc, list, &mut policy.settings);
        }
        self.out.policies.push(policy);
    }

    // ---- field access with type errors ----

    /// An array property: None when absent or null; an error when of another type.
    fn array_field<'b, 'a>(
        &mut self,
        doc: &Doc<'_>,
        obj: &'b Object<'a>,
        key: &str,
    ) -> Option<&'b Array<'a>> {
        match get(obj, key)? {
            Node::Array(list) => Some(list),
            Node::NullKeyword(_) => None,
            other => {
                self.error(wrong_type(doc, other, key, "an array"));
                None
            }
        }
    }

    /// An object property: None when absent or null; an error when of another type.
    fn object_field<'b, 'a>(
        &mut self,
        doc: &Doc<'_>,
        obj: &'b Object<'a>,
        key: &str,
    ) -> Option<&'b Object<'a>> {
        match get(obj, key)? {
            Node::Object(inner) => Some(inner),
            Node::NullKeyword(_) => None,
            other => {
                self.error(wrong_type(doc, other, key, "an object"));
                None
            }
        }
    }

    /// A required string property: an error at the value (wrong type) or the object (absent).
    fn required_str<'b, 'a>(
        &mut self,
        doc: &Doc<'_>,
        obj: &'b Object<'a>,
        key: &str,
        what: &str,
    ) -> Option<&'b StringLit<'a>> {
        match get(obj, key) {
            Some(Node::StringLit(s)) => Some(s),
            Some(other) => {
                self.error(wrong_type(doc, other, key, "a string"));
                None
            }
            None => {
                self.error(doc.error_at(obj, format!("{what} has no `{key}`")));
                None
            }
        }
    }

    // ---- Settings Catalog ----

    fn read_catalog_settings(&mut self, doc: &Doc<'_>, list: &Array<'_>, out: &mut Vec<Setting>) {
        for element in &list.elements {
            let Some(item) = element.as_object() else {
                self.error(expected_object(doc, element, "a setting"));
                continue;
            };
            // Graph wraps each instance as `{id, settingInstance}`; accept a bare instance too.
            let instance = match get(item, "settingInstance") {
                Some(_) => self.object_field(doc, item, "settingInstance"),
                None if has(item, "settingDefinitionId") => Some(item),
                None => {
                    self.error(doc.error_at(item, "setting has no `settingInstance` object"));
                    None
                }
            };
            if let Some(instance) = instance {
                self.read_instance(doc, instance, out);
            }
        }
    }

    /// One setting instance and, recursively, its children.
    fn read_instance(&mut self, doc: &Doc<'_>, instance: &Object<'_>, out: &mut Vec<Setting>) {
        let Some(kind) = self.instance_kind(doc, instance) else {
            return;
        };
        let Some(definition) =
            self.required_str(doc, instance, "settingDefinitionId", "setting instance")
        else {
            return;
        };
        match kind {
            "ChoiceSettingInstance" => {
                if let Some(choice) = self.object_field(doc, instance, "choiceSettingValue") {
                    self.read_choice(doc, definition, choice, out);
                }
            }
            "SimpleSettingInstance" => {
                if let Some(simple) = self.object_field(doc, instance, "simpleSettingValue") {
                    self.read_simple(doc, definition, simple, out);
                }
            }
            "SimpleSettingCollectionInstance" => {
                if let Some(list) = self.array_field(doc, instance, "simpleSettingCollectionValue")
                {
                    self.read_simple_collection(doc, definition, list, out);
                }
            }
            "ChoiceSettingCollectionInstance" => {
                if let Some(list) = self.array_field(doc, instance, "choiceSettingCollectionValue")
                {
                    self.read_choice_collection(doc, definition, list, out);
                }
            }
            "GroupSettingCollectionInstance" => {
                if let Some(list) = self.array_field(doc, instance, "groupSettingCollectionValue") {
                    let names_values = self.value_list(&definition.value);
                    for value in &list.elements {
                        let start = out.len();
                        self.read_children_of(doc, value, out);
                        self.group_item(&definition.value, names_values, out, start);
                    }
                }
            }
            _ => {
                if let Some(group) = get(instance, "groupSettingValue") {
                    self.read_children_of(doc, group, out);
                }
            }
        }
    }

    /// The instance kind from `@odata.type`, or from the value property when the type is absent.
    fn instance_kind(&mut self, doc: &Doc<'_>, instance: &Object<'_>) -> Option<&'static str> {
        let by_value_key = || {
            INSTANCE_KINDS
                .iter()
                .find(|(_, key)| has(instance, key))
                .map(|(kind, _)| *kind)
        };
        match get(instance, "@odata.type") {
            Some(Node::StringLit(t)) => {
                let known = t
                    .value
                    .strip_prefix(CATALOG_INSTANCE)
                    .and_then(|rest| INSTANCE_KINDS.iter().find(|(kind, _)| *kind == rest));
                if known.is_none() {
                    self.error(doc.error_at(
                        t,
                        format!(
                            "unknown setting instance type `{}`: expected {CATALOG_INSTANCE}ChoiceSettingInstance, \
                             SimpleSettingInstance, ChoiceSettingCollectionInstance, \
                             SimpleSettingCollectionInstance, GroupSettingInstance or GroupSettingCollectionInstance",
                            t.value
                        ),
                    ));
                }
                known.map(|(kind, _)| *kind)
            }
            Some(other) => {
                self.error(wrong_type(doc, other, "@odata.type", "a string"));
                None
            }
            None => {
                let kind = by_value_key();
                if kind.is_none() {
                    self.error(doc.error_at(
                        instance,
                        "setting instance has no `@odata.type` and no setting value",
                    ));
                }
                kind
            }
        }
    }

    /// The `children` of a choice value or group value.
    fn read_children_of(&mut self, doc: &Doc<'_>, value: &Node<'_>, out: &mut Vec<Setting>) {
        let Some(value) = value.as_object() else {
            if value.as_null_keyword().is_none() {
                self.error(expected_object(doc, value, "a setting value"));
            }
            return;
        };
        if let Some(children) = self.array_field(doc, value, "children") {
            for child in &children.elements {
                match child.as_object() {
                    Some(child) => self.read_instance(doc, child, out),
                    None => self.error(expected_object(doc, child, "a setting instance")),
                }
            }
        }
    }

    fn read_choice(
        &mut self,
        doc: &Doc<'_>,
        definition: &StringLit<'_>,
        choice: &Object<'_>,
        out: &mut Vec<Setting>,
    ) {
        match get(choice, "value") {
            Some(Node::StringLit(option)) => out.push(self.choice_setting(
                (&definition.value, doc.span(definition)),
                &option.value,
                doc.span(option),
            )),
            Some(Node::NullKeyword(_)) | None => {}
            Some(other) => self.error(wrong_type(doc, other, "value", "a choice option id string")),
        }
        if let Some(children) = self.array_field(doc, choice, "children") {
            for child in &children.elements {
                match child.as_object() {
                    Some(child) => self.read_instance(doc, child, out),
                    None => self.error(expected_object(doc, child, "a setting instance")),
                }
            }
        }
    }

    /// The setting a choice instance sets: `definition` is the definition id and its span,
    /// `option` the option id (`choiceSettingValue.value`) at `span`.
    fn choice_setting(&self, definition: (&str, Span), option: &str, span: Span) -> Setting {
        if let Some(choice) = self.catalog.indexed_choice(definition.0, option) {
            // What the lines below make of it, without reading the catalog record.
            return Setting {
                key: choice.key.clone(),
                raw_name: choice.definition_id.clone(),
                value: choice.value.clone(),
                value_label: choice.label.clone(),
                span,
                name_span: definition.1,
                file: None,
            };
        }
        let (def, value, label) = self.choice_value(definition.0, option);
        Setting {
            key: def.map_or_else(
                || self.definition_key(definition.0),
                |d| d.setting_key().clone(),
            ),
            raw_name: Self::written_name(def, definition.0),
            value,
            value_label: label,
            span,
            name_span: definition.1,
            file: None,
        }
    }

    /// A CSP value that is a `name=data|name=data` string of registry values under `list`
    /// (Defender's AttackSurfaceReductionRules: `<rule GUID>=<state>|…`, the GUID possibly in
    /// braces): one registry value per pair, set at its data and named at its name; None when
    /// any part is not such a pair (the value is then read as it is).
    fn value_list_string(
        &self,
        doc: &Doc<'_>,
        list: &str,
        lit: &StringLit<'_>,
    ) -> Option<Vec<Setting>> {
        let content = doc.str_content(lit);
        let at =
            |inner: usize| crate::model::map_inner_offset(content.span, &content.offsets, inner);
        let span_of = |part: &str| {
            let start = part.as_ptr() as usize - content.value.as_ptr() as usize;
            Span::new(at(start), at(start + part.len()))
        };
        let mut settings = Vec::new();
        for pair in content.value.split('|').filter(|p| !p.trim().is_empty()) {
            let (name, data) = pair.split_once('=')?;
            let name = name.trim().trim_start_matches('{').trim_end_matches('}');
            let data = data.trim();
            if name.is_empty() || data.is_empty() {
                return None;
            }
            settings.push(super::registry_pol::value_list_setting(
                self.catalog,
                list,
                name,
                Value::Str(data.into()),
                span_of(data),
                span_of(name),
            ));
        }
        (!settings.is_empty()).then_some(settings)
    }

    /// The registry key a group collection's items are written under, when the collection is an
    /// ADMX list that names its values (Hardened UNC Paths); looked up once per collection.
    fn value_list(&self, collection: &str) -> Option<&'c str> {
        self.catalog
            .by_definition_id(collection)
            .and_then(|def| def.value_list.as_deref())
    }

    /// One item of a group collection whose entries are written under `list` (see
    /// [`Reader::value_list`]); its children are `out[start..]`. When the item is the
    /// collection's `_key` and `_value` pair, the pair becomes the registry value it writes
    /// (`HKLM\…\HardenedPaths\\\*\NETLOGON` = its flags), named at the key and set at the
    /// value. Other items keep their children.
    fn value_list_item(&self, collection: &str, list: &str, out: &mut Vec<Setting>, start: usize) {
        let [first, second] = &out[start..] else {
            return;
        };
        // `get`: a name as written may hold any character, and this cut may fall inside one.
        let part = |s: &Setting, suffix: &str| {
            let (head, tail) = (
                s.raw_name.get(..collection.len()),
                s.raw_name.get(collection.len()..),
            );
            head.is_some_and(|h| h.eq_ignore_ascii_case(collection))
                && tail.is_some_and(|t| t.eq_ignore_ascii_case(suffix))
        };
        let (name, data) = match (part(first, "_key"), part(second, "_value")) {
            (true, true) => (first, second),
            _ if part(second, "_key") && part(first, "_value") => (second, first),
            _ => return,
        };
        let Value::Str(entry) = &name.value else {
            return;
        };
        let setting = super::registry_pol::value_list_setting(
            self.catalog,
            list,
            entry,
            data.value.clone(),
            data.span,
            name.span,
        );
        out.truncate(start);
        out.push(setting);
    }

    /// One item of a group collection, its children `out[start..]`: what to do with them once
    /// read. An item of a list that names its values becomes the registry value it writes
    /// ([`Reader::value_list_item`]); a local group's or a firewall rule's item is keyed by what
    /// it concerns ([`Reader::entity_item`]).
    fn group_item(
        &self,
        collection: &str,
        names_values: Option<&str>,
        out: &mut Vec<Setting>,
        start: usize,
    ) {
        match names_values {
            Some(list) => self.value_list_item(collection, list, out, start),
            None => Self::entity_item(collection, &mut out[start..]),
        }
    }

    /// The children of a group collection's item describe one thing, and for two collections
    /// that thing is known (see [`item_entity`]): a local group's membership, a firewall rule.
    /// Their children the catalog does not know are keyed with it as well
    /// (`intune:<id>[administrators]`), so that only the items that concern the same thing are
    /// compared. Other items keep their keys.
    fn entity_item(collection: &str, children: &mut [Setting]) {
        let Some(entity) = item_entity(collection, children) else {
            return;
        };
        for child in children.iter_mut() {
            if child.key.starts_with("intune:") {
                child.key = format!("{}[{entity}]", child.key).into();
            }
        }
    }

    /// The setting a simple instance sets (`simpleSettingValue.value`, already a scalar).
    fn simple_setting(&self, definition: (&str, Span), raw: Value, span: Span) -> Setting {
        let def = self.catalog.by_definition_id(definition.0);
        self.catalog_setting(def, definition.0, raw, span, definition.1, "intune")
    }

    /// The setting a simple or choice collection sets: its items as one list.
    fn collection_setting(
        &self,
        definition: (&str, Span),
        items: Vec<Value>,
        span: Span,
    ) -> Setting {
        let def = self.catalog.by_definition_id(definition.0);
        // A numbered list's entries in the catalog's order (its entries are a set).
        let value = match def {
            Some(def) => self.catalog.normalise(def, Value::List(items)),
            None => Value::List(items),
        };
        Setting {
            key: def.map_or_else(
                || self.definition_key(definition.0),
                |d| d.setting_key().clone(),
            ),
            raw_name: definition.0.to_string().into(),
            value,
            value_label: None,
            span,
            name_span: definition.1,
            file: None,
        }
    }

    /// Key, value and label of a choice option: through the catalog's option table when it knows
    /// the setting, else the option id as `Value::Choice`.
    fn choice_value(
        &self,
        definition: &str,
        option: &str,
    ) -> (Option<&'c SettingDef>, Value, Option<Name>) {
        // The option must extend this instance's definition id (never an ancestor's).
        if let Some((def, value, label)) = self.catalog.choice_of(definition, option) {
            return (Some(def), value, label.cloned());
        }
        (None, Value::Choice(option.to_string()), None)
    }

    /// The name as written, shared with the catalog record when it is spelled the same (most
    /// exports), so hundreds of thousands of settings do not each copy their definition id.
    fn written_name(def: Option<&SettingDef>, written: &str) -> Name {
        match def.and_then(|d| d.definition_id.as_ref()) {
            Some(id) if id.as_str() == written => id.clone(),
            _ => written.into(),
        }
    }

    fn definition_key(&self, definition: &str) -> Name {
        match self.catalog.by_definition_id(definition) {
            Some(def) => def.setting_key().clone(),
            None => format!("intune:{}", definition.to_ascii_lowercase()).into(),
        }
    }

    fn read_simple(
        &mut self,
        doc: &Doc<'_>,
        definition: &StringLit<'_>,
        simple: &Object<'_>,
        out: &mut Vec<Setting>,
    ) {
        let Some(node) = get(simple, "value") else {
            return;
        };
        let value_type = get_str(simple, "@odata.type").unwrap_or_default();
        // A secret Graph encrypted is a token, not the value: no rule may compare it. Graph
        // never returns it in plain text, so no export could do better: it is left out
        // without a word (an encrypted OMA-URI value, which can be exported, is noted).
        if value_type.ends_with("SecretSettingValue")
            && get_str(simple, "valueState") == Some("encryptedValueToken")
        {
            return;
        }
        let integer = value_type.ends_with("IntegerSettingValue");
        let raw = match scalar_value(node, integer) {
            Ok(Some(raw)) => raw,
            Ok(None) => return,
            Err(found) => {
                return self.error(doc.error_at(
                    node,
                    format!("expected a number or string setting value, found {found}"),
                ));
            }
        };
        out.push(self.simple_setting(
            (&definition.value, doc.span(definition)),
            raw,
            doc.span(node),
        ));
    }

    fn read_simple_collection(
        &mut self,
        doc: &Doc<'_>,
        definition: &StringLit<'_>,
        list: &Array<'_>,
        out: &mut Vec<Setting>,
    ) {
        let mut items = Vec::with_capacity(list.elements.len());
        for element in &list.elements {
            let Some(simple) = element.as_object() else {
                self.error(expected_object(doc, element, "a simple setting value"));
                continue;
            };
            let integer =
                get_str(simple, "@odata.type").is_some_and(|t| t.ends_with("IntegerSettingValue"));
            match get(simple, "value").map(|node| (node, scalar_value(node, integer))) {
                Some((_, Ok(Some(value)))) => items.push(value),
                Some((node, Err(found))) => self.error(doc.error_at(
                    node,
                    format!("expected a number or string setting value, found {found}"),
                )),
                _ => {}
            }
        }
        out.push(self.collection_setting(
            (&definition.value, doc.span(definition)),
            items,
            doc.span(list),
        ));
    }

    fn read_choice_collection(
        &mut self,
        doc: &Doc<'_>,
        definition: &StringLit<'_>,
        list: &Array<'_>,
        out: &mut Vec<Setting>,
    ) {
        let mut items = Vec::with_capacity(list.elements.len());
        let mut children = Vec::new();
        for element in &list.elements {
            let Some(choice) = element.as_object() else {
                self.error(expected_object(doc, element, "a choice setting value"));
                continue;
            };
            match get(choice, "value") {
                Some(Node::StringLit(option)) => {
                    items.push(self.choice_value(&definition.value, &option.value).1)
                }
                Some(Node::NullKeyword(_)) | None => {}
                Some(other) => {
                    self.error(wrong_type(doc, other, "value", "a choice option id string"))
                }
            }
            self.read_children_of(doc, element, &mut children);
        }
        out.push(self.collection_setting(
            (&definition.value, doc.span(definition)),
            items,
            doc.span(list),
        ));
        out.append(&mut children);
    }

    /// A setting keyed by the catalog when it knows the name, else by `<prefix>:<lower name>`;
    /// the value normalised and labelled by the catalog.
    fn catalog_setting(
        &self,
        def: Option<&SettingDef>,
        raw_name: &str,
        raw: Value,
        span: Span,
        name_span: Span,
        prefix: &str,
    ) -> Setting {
        let (key, value, value_label) = match def {
            Some(def) => {
                let value = self.catalog.normalise(def, raw);
                let label = self.catalog.label_name(def, &value).cloned();
                (def.setting_key().clone(), value, label)
            }
            None => (
                Name::from(format!("{prefix}:{}", raw_name.to_ascii_lowercase())),
                raw,
                None,
            ),
        };
        Setting {
            key,
            raw_name: Self::written_name(def, raw_name),
            value,
            value_label,
            span,
            name_span,
            file: None,
        }
    }

    // ---- custom OMA-URI ----

    fn read_oma_settings(&mut self, doc: &Doc<'_>, list: &Array<'_>, out: &mut Vec<Setting>) {
        for element in &list.elements {
            let Some(oma) = element.as_object() else {
                self.error(expected_object(doc, element, "an OMA setting"));
                continue;
            };
            let Some(uri) = self.required_str(doc, oma, "omaUri", "OMA setting") else {
                continue;
            };
            let Some(node) = get(oma, "value") else {
                continue;
            };
            // Graph masks an encrypted value: no rule may compare the mask.
            if get(oma, "isEncrypted").and_then(json::as_bool) == Some(true) {
                let uri = uri.value.to_string();
                self.note_incomplete(doc, node, Missing::EncryptedValue { uri });
                continue;
            }
            let raw = match oma_value(get_str(oma, "@odata.type").unwrap_or(""), node) {
                Ok(Some(raw)) => raw,
                Ok(None) => continue,
                Err(found) => {
                    self.error(doc.error_at(
                        node,
                        format!("expected a scalar OMA setting value, found {found}"),
                    ));
                    continue;
                }
            };
            let (span, name_span) = (doc.span(node), doc.span(uri));
            if let Node::StringLit(lit) = node
                && uri
                    .value
                    .trim()
                    .eq_ignore_ascii_case(local_groups::CONFIGURE_URI)
                && let Some(items) = self.local_group_settings(doc, lit, name_span)
            {
                out.extend(items);
                continue;
            }
            let def = self.catalog.by_oma_uri(&uri.value);
            let list = def.and_then(|d| d.value_list.as_deref());
            if let (Some(list), Node::StringLit(lit)) = (list, node)
                && let Some(entries) = self.value_list_string(doc, list, lit)
            {
                out.extend(entries);
                continue;
            }
            let children = match (def, &raw) {
                (Some(def), Value::Str(payload)) if def.admx_backed => {
                    self.admx_children(def, &uri.value, payload, span, name_span)
                }
                _ => Vec::new(),
            };
            let raw = match def {
                Some(def) => self.catalog.csp_value(def, raw),
                None => raw,
            };
            out.push(self.catalog_setting(def, &uri.value, raw, span, name_span, "omauri"));
            out.extend(children);
        }
    }

    /// The settings of a local group membership document (`LocalUsersAndGroups/Configure`) as
    /// the Settings Catalog's items of that CSP (see [`local_groups`]), each part at its
    /// attribute's value in the file; None when the text is no such document (it is then read
    /// as one string).
    fn local_group_settings(
        &self,
        doc: &Doc<'_>,
        lit: &StringLit<'_>,
        name_span: Span,
    ) -> Option<Vec<Setting>> {
        let content = doc.str_content(lit);
        let items = local_groups::items(content.value)?;
        let at =
            |inner: usize| crate::model::map_inner_offset(content.span, &content.offsets, inner);
        let span_of = |range: &std::ops::Range<usize>| Span::new(at(range.start), at(range.end));
        let id = |child: &str| format!("{LOCAL_GROUPS}_{child}");
        let (desc, action_id, users) = (id("desc"), id("action"), id("users"));
        let mut settings = Vec::new();
        for item in items {
            // Built as the Settings Catalog reader builds the same instances: a choice
            // collection, a choice, a simple collection.
            let (group, action) = (&item.group, &item.action);
            let option = self.choice_value(&desc, &format!("{desc}_{}", group.0)).1;
            let mut children = vec![
                self.collection_setting((&desc, name_span), vec![option], span_of(&group.1)),
                self.choice_setting(
                    (&action_id, name_span),
                    &format!("{action_id}_{}", action.0),
                    span_of(&action.1),
                ),
            ];
            if let (Some(first), Some(last)) = (item.members.first(), item.members.last()) {
                let members = item.members.iter().map(|(m, _)| Value::Str(m.clone()));
                children.push(self.collection_setting(
                    (&users, name_span),
                    members.collect(),
                    span_of(&(first.1.start..last.1.end)),
                ));
            }
            Self::entity_item(LOCAL_GROUPS, &mut children);
            settings.extend(children);
        }
        Some(settings)
    }

    /// The element settings an ADMX payload (`<enabled/><data id="X" value="4"/>`) sets, as the
    /// Settings Catalog would list them as children; they share the payload's spans.
    fn admx_children(
        &self,
        parent: &SettingDef,
        raw_name: &str,
        payload: &str,
        span: Span,
        name_span: Span,
    ) -> Vec<Setting> {
        self.catalog
            .admx_elements(parent, payload)
            .into_iter()
            .map(|(child, value)| Setting {
                key: child.setting_key().clone(),
                raw_name: raw_name.to_string().into(),
                value_label: self.catalog.label_name(child, &value).cloned(),
                value,
                span,
                name_span,
                file: None,
            })
            .collect()
    }

    // ---- flat Graph objects (device configurations, compliance, others) ----

    fn read_flat_settings(
        &mut self,
        doc: &Doc<'_>,
        obj: &Object<'_>,
        type_name: &str,
        out: &mut Vec<Setting>,
    ) {
        for prop in &obj.properties {
            let name = prop.name.as_str();
            if is_metadata(name) {
                continue;
            }
            let Some(raw) = flat_scalar(&prop.value) else {
                continue;
            };
            out.push(self.flat_setting(doc, prop, type_name, raw));
        }
    }

    fn flat_setting(
        &self,
        doc: &Doc<'_>,
        prop: &ObjectProp<'_>,
        type_name: &str,
        raw: Value,
    ) -> Setting {
        let name = prop.name.as_str();
        let span = doc.span(&prop.value);
        let name_span = doc.span(&prop.name);
        if type_name == ENDPOINT_PROTECTION
            && name == PKU2U_PROPERTY
            && let Value::Bool(block) = raw
        {
            return self.pku2u_from_block_flag(name, block, span, name_span);
        }
        if let Some(setting) = self.graph_setting(type_name, name, &raw, span, name_span) {
            return setting;
        }
        Setting {
            key: format!("graph:{type_name}/{name}").into(),
            raw_name: name.to_string().into(),
            value: raw,
            value_label: None,
            span,
            name_span,
            file: None,
        }
    }

    /// PKU2U from the endpoint-protection Boolean (device configuration property or intent).
    ///
    /// formats.md 3.3: the Graph description of `localSecurityOptionsAllowPKU2UAuthenticationRequests`
    /// reads "Block PKU2U authentication requests", so `true` = Block (CSP value 0) despite the
    /// name. That semantics is UNVERIFIED on a device. `false` is mapped to Allow (1), which is
    /// also the CSP default (formats.md 3.1), so "not configured" and "allow" agree. The intent
    /// definition id for the same property (formats.md 3.4) is itself inferred from the pattern.
    fn pku2u_from_block_flag(
        &self,
        raw_name: &str,
        block: bool,
        span: Span,
        name_span: Span,
    ) -> Setting {
        let value = Value::Int(if block { 0 } else { 1 });
        match self.catalog.by_definition_id(PKU2U_DEFINITION) {
            Some(def) => self.property_setting(def, raw_name, value, span, name_span),
            None => Setting {
                key: format!("intune:{PKU2U_DEFINITION}").into(),
                raw_name: raw_name.to_string().into(),
                value,
                value_label: None,
                span,
                name_span,
                file: None,
            },
        }
    }

    /// An attack surface reduction rule set by an endpoint-protection property (profile or
    /// intent; [`ASR_PROPERTIES`]) as the catalog's setting for the rule, the one Settings
    /// Catalog, OMA-URI and Group Policy set it through. None for other properties, for
    /// `userDefined`/`notConfigured` (the rule is left alone, so they stay settings of the
    /// property's own) and when the catalog lacks the rule.
    fn asr_rule(
        &self,
        property: &str,
        raw: &Value,
        span: Span,
        name_span: Span,
    ) -> Option<Setting> {
        let (_, rule) = ASR_PROPERTIES.iter().find(|(name, _)| *name == property)?;
        let Value::Str(state) = raw else {
            return None;
        };
        let value = Value::Int(asr_state(state)?);
        let def = self.catalog.resolve(&format!(
            r"HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR\Rules\{rule}"
        ))?;
        Some(self.property_setting(def, property, value, span, name_span))
    }

    /// A Graph property read as the catalog's setting `def`, set to `value` (the setting's
    /// data), at the property's spans.
    fn property_setting(
        &self,
        def: &SettingDef,
        property: &str,
        value: Value,
        span: Span,
        name_span: Span,
    ) -> Setting {
        Setting {
            key: def.setting_key().clone(),
            raw_name: property.to_string().into(),
            value_label: self.catalog.label_name(def, &value).cloned(),
            value,
            span,
            name_span,
            file: None,
        }
    }

    /// A flat Graph property the catalog knows, in a profile or as an intent setting: an ASR
    /// rule of the endpoint-protection profile, or a Policy CSP setting. None for the others.
    fn graph_setting(
        &self,
        type_name: &str,
        property: &str,
        raw: &Value,
        span: Span,
        name_span: Span,
    ) -> Option<Setting> {
        if type_name == ENDPOINT_PROTECTION
            && let Some(setting) = self.asr_rule(property, raw, span, name_span)
        {
            return Some(setting);
        }
        self.graph_csp_setting(type_name, property, raw, span, name_span)
    }

    /// A flat Graph property that is a Policy CSP setting ([`GRAPH_SETTINGS`]) as the catalog's
    /// setting, so that it compares with the Settings Catalog, OMA-URI and Group Policy ones.
    /// None for other properties, for states that leave the setting alone, and for values of
    /// another kind than the property's.
    fn graph_csp_setting(
        &self,
        type_name: &str,
        property: &str,
        raw: &Value,
        span: Span,
        name_span: Span,
    ) -> Option<Setting> {
        let &(_, _, uri, values) = GRAPH_SETTINGS
            .iter()
            .find(|(t, p, _, _)| *t == type_name && *p == property)?;
        let number = match (values, raw) {
            (GraphValues::Number, Value::Int(i)) => *i,
            (GraphValues::Number, Value::Bool(b)) => i64::from(*b),
            (GraphValues::WhenTrue(number), Value::Bool(true)) => number,
            (GraphValues::Named(names), Value::Str(state)) => {
                names.iter().find(|(name, _)| name == state)?.1
            }
            _ => return None,
        };
        // As a custom OMA-URI profile writing the number to the setting would be read.
        let def = self.catalog.by_oma_uri(uri)?;
        let raw = self.catalog.csp_value(def, Value::Int(number));
        let value = self.catalog.normalise(def, raw);
        Some(self.property_setting(def, property, value, span, name_span))
    }

    // ---- endpoint-security intents ----

    fn read_intent_settings(&mut self, doc: &Doc<'_>, list: &Array<'_>, out: &mut Vec<Setting>) {
        for element in &list.elements {
            let Some(item) = element.as_object() else {
                self.error(expected_object(doc, element, "an intent setting"));
                continue;
            };
            if let Some(setting) = self.read_intent_setting(doc, item) {
                out.push(setting);
            }
        }
    }

    fn read_intent_setting(&mut self, doc: &Doc<'_>, item: &Object<'_>) -> Option<Setting> {
        if let Some(t) = get(item, "@odata.type") {
            let known = json::as_str(t)
                .and_then(|t| t.strip_prefix(GRAPH))
                .is_some_and(|t| INTENT_INSTANCE_TYPES.contains(&t));
            if !known {
                let found = json::as_str(t).unwrap_or("");
                self.error(doc.error_at(
                    t,
                    format!(
                        "unknown intent setting type `{found}`: expected #microsoft.graph.deviceManagement\
                         (Boolean|Integer|String|Complex|Collection|AbstractComplex)SettingInstance"
                    ),
                ));
                return None;
            }
        }
        let definition = self.required_str(doc, item, "definitionId", "intent setting")?;
        let (raw, node) = self.intent_value(doc, item)?;
        let span = doc.span(node);
        let name_span = doc.span(definition);
        if definition.value == PKU2U_INTENT
            && let Value::Bool(block) = raw
        {
            return Some(self.pku2u_from_block_flag(&definition.value, block, span, name_span));
        }
        // `deviceConfiguration--<type>_<property>`: a profile's property as an intent setting.
        if let Some((type_name, property)) = definition
            .value
            .strip_prefix("deviceConfiguration--")
            .and_then(|rest| rest.split_once('_'))
            && let Some(setting) = self.graph_setting(type_name, property, &raw, span, name_span)
        {
            return Some(setting);
        }
        Some(Setting {
            key: format!("intent:{}", definition.value).into(),
            raw_name: definition.value.to_string().into(),
            value: raw,
            value_label: None,
            span,
            name_span,
            file: None,
        })
    }

    /// The value of an intent setting: `valueJson` (JSON text) when present, else `value`.
    fn intent_value<'b, 'a>(
        &mut self,
        doc: &Doc<'_>,
        item: &'b Object<'a>,
    ) -> Option<(Value, &'b Node<'a>)> {
        match get(item, "valueJson") {
            Some(node @ Node::StringLit(text)) => {
                match serde_json::from_str::<serde_json::Value>(&text.value) {
                    Ok(parsed) => from_serde(&parsed, &text.value).map(|v| (v, node)),
                    Err(e) => {
                        self.error(
                            doc.error_at(node, format!("`valueJson` is not valid JSON: {e}")),
                        );
                        None
                    }
                }
            }
            Some(Node::NullKeyword(_)) | None => {
                let node = get(item, "value")?;
                flat_scalar(node).map(|v| (v, node))
            }
            Some(other) => {
                self.error(wrong_type(doc, other, "valueJson", "a string of JSON text"));
                None
            }
        }
    }

    // ---- assignments ----

    fn read_assignments(&mut self, doc: &Doc<'_>, obj: &Object<'_>, policy: &mut Policy) {
        if let Some(list) = self.array_field(doc, obj, "assignments") {
            self.read_assignment_list(doc, list, policy);
        }
    }

    /// The items of an `assignments` array.
    fn read_assignment_list(&mut self, doc: &Doc<'_>, list: &Array<'_>, policy: &mut Policy) {
        policy.assignments_exported = true;
        policy.assignments.reserve(list.elements.len());
        for element in &list.elements {
            let Some(assignment) = element.as_object() else {
                self.error(expected_object(doc, element, "an assignment"));
                continue;
            };
            match read_assignment(doc, assignment) {
                Ok(a) => policy.assignments.push(a),
                Err(e) => self.error(e),
            }
        }
    }
}

/// Classify a `#microsoft.graph.*` type.
fn classify_type<'b>(doc: &Doc<'_>, t: &'b StringLit<'_>) -> Result<Shape<'b>, InputError> {
    let Some(name) = t.value.strip_prefix(GRAPH) else {
        return Err(doc.error_at(
            t,
            format!(
                "unknown `@odata.type` `{}`: expected a `#microsoft.graph.*` type",
                t.value
            ),
        ));
    };
    Ok(match name {
        "deviceManagementConfigurationPolicy" => Shape::SettingsCatalog,
        "deviceManagementIntent" => Shape::Intent,
        "windows10CustomConfiguration" => Shape::CustomOmaUri,
        "group" => Shape::Group,
        "deviceAndAppManagementAssignmentFilter" => Shape::Filter,
        n if n.starts_with("windows") && n.ends_with("CompliancePolicy") => {
            Shape::Flat(PolicyKind::Compliance, n)
        }
        n if n.starts_with("windows") && n.ends_with("Configuration") => {
            Shape::Flat(PolicyKind::DeviceConfiguration, n)
        }
        n => Shape::Flat(PolicyKind::Other, n),
    })
}

/// Classify an object without `@odata.type` (IntuneCD, portal import shapes, templates) by
/// its keys, as the fast path does ([`UntypedKeys`]).
fn classify_untyped<'b>(doc: &Doc<'_>, obj: &Object<'_>) -> Result<Shape<'b>, InputError> {
    let keys = UntypedKeys::of(obj.properties.iter().map(|p| p.name.as_str()));
    match keys.shape() {
        Some(Untyped::Intent) => Ok(Shape::Intent),
        Some(Untyped::SettingsCatalog) => Ok(Shape::SettingsCatalog),
        Some(Untyped::CustomOmaUri) => Ok(Shape::CustomOmaUri),
        Some(Untyped::ReportGroup) => Ok(Shape::ReportGroup),
        Some(Untyped::Filter) => Ok(Shape::Filter),
        Some(Untyped::Group) => Ok(Shape::Group),
        None => Err(doc.error_at(
            obj,
            format!(
                "{UNRECOGNISED}: expected an Intune policy (Settings Catalog, device \
                 configuration, endpoint-security intent), an Entra group or an assignment filter"
            ),
        )),
    }
}

/// The start of the error for JSON that is no export baselint knows (walks skip such files).
pub const UNRECOGNISED: &str = "unrecognised JSON object";

/// One assignment in any of the shapes Graph, IntuneManagement and IntuneCD write.
fn read_assignment(doc: &Doc<'_>, obj: &Object<'_>) -> Result<Assignment, InputError> {
    let target = match get(obj, "target") {
        Some(Node::Object(target)) => target,
        Some(other) => return Err(wrong_type(doc, other, "target", "an object")),
        None => return Err(doc.error_at(obj, "assignment has no `target`")),
    };
    let type_node = get(target, "@odata.type");
    let type_name = match type_node {
        Some(Node::StringLit(t)) => Some(t.value.strip_prefix(GRAPH).unwrap_or(&t.value)),
        Some(other) => return Err(wrong_type(doc, other, "@odata.type", "a string")),
        None => None,
    };
    let group_id = group_field(doc, target, "groupId")?;
    let group_name = group_field(doc, target, "groupName")?;
    let has_group = group_id.is_some() || group_name.is_some();
    let (target_value, mode) = match target_kind(type_name, has_group) {
        Some(TargetKind::Group(mode)) => (group_target(doc, target, group_id, group_name)?, mode),
        Some(TargetKind::Other(target)) => (target, Mode::Include),
        None => return Err(doc.error_at(target, "assignment target has no `@odata.type`")),
    };
    let target_span = group_id
        .or(group_name)
        .map(|s| doc.span(s))
        .or_else(|| type_node.map(|t| doc.span(t)))
        .unwrap_or_else(|| doc.span(target));
    Ok(Assignment {
        target: target_value,
        mode,
        filter: filter_ref(doc, target)?,
        span: doc.span(obj),
        target_span,
        file: None,
    })
}

/// What an assignment target's `@odata.type` (without the Graph prefix) makes of it.
enum TargetKind {
    /// A group, included or excluded: its id, name and inline rule are read next.
    Group(Mode),
    /// Anything else, included.
    Other(Target),
}

/// The kind of a target by its type; a target without a type is a group when it names one
/// (IntuneCD's reports), else None.
fn target_kind(type_name: Option<&str>, has_group: bool) -> Option<TargetKind> {
    Some(match type_name {
        Some("groupAssignmentTarget") => TargetKind::Group(Mode::Include),
        Some("exclusionGroupAssignmentTarget") => TargetKind::Group(Mode::Exclude),
        Some("allDevicesAssignmentTarget") => TargetKind::Other(Target::AllDevices),
        Some("allLicensedUsersAssignmentTarget") => TargetKind::Other(Target::AllLicensedUsers),
        Some(other) => TargetKind::Other(Target::Other(other.to_string())),
        None if has_group => TargetKind::Group(Mode::Include),
        None => return None,
    })
}

/// `groupId` / `groupName`: a string, or absent / null.
fn group_field<'b, 'a>(
    doc: &Doc<'_>,
    target: &'b Object<'a>,
    key: &str,
) -> Result<Option<&'b StringLit<'a>>, InputError> {
    match get(target, key) {
        Some(Node::StringLit(s)) => Ok(Some(s)),
        Some(Node::NullKeyword(_)) | None => Ok(None),
        Some(other) => Err(wrong_type(doc, other, key, "a string")),
    }
}

fn group_target(
    doc: &Doc<'_>,
    target: &Object<'_>,
    id: Option<&StringLit<'_>>,
    name: Option<&StringLit<'_>>,
) -> Result<Target, InputError> {
    if id.is_none() && name.is_none() {
        return Err(doc.error_at(
            target,
            "group assignment target has no `groupId` or `groupName`",
        ));
    }
    let inline_rule = match get(target, "membershipRule") {
        Some(Node::StringLit(rule)) if !rule.value.trim().is_empty() => {
            let content = doc.str_content(rule);
            Some(InlineRule {
                text: content.value.to_string(),
                span: content.span,
                offsets: content.offsets,
            })
        }
        Some(Node::StringLit(_) | Node::NullKeyword(_)) | None => None,
        Some(other) => return Err(wrong_type(doc, other, "membershipRule", "a string")),
    };
    Ok(Target::Group {
        id: id.map(|s| s.value.to_string()),
        name: name.map(|s| s.value.to_string()),
        inline_rule,
    })
}

/// The assignment filter of a target, when its type is include/exclude and it names a filter.
fn filter_ref(doc: &Doc<'_>, target: &Object<'_>) -> Result<Option<FilterRef>, InputError> {
    let mode = match get_str(target, "deviceAndAppManagementAssignmentFilterType") {
        Some(t) if t.eq_ignore_ascii_case("include") => Mode::Include,
        Some(t) if t.eq_ignore_ascii_case("exclude") => Mode::Exclude,
        _ => return Ok(None),
    };
    match get(target, "deviceAndAppManagementAssignmentFilterId") {
        Some(Node::StringLit(id)) if !id.value.is_empty() && id.value != ALL_ZERO_GUID => {
            Ok(Some(FilterRef {
                reference: id.value.to_string(),
                mode,
                span: doc.span(id),
            }))
        }
        Some(Node::StringLit(_) | Node::NullKeyword(_)) | None => Ok(None),
        Some(other) => Err(wrong_type(
            doc,
            other,
            "deviceAndAppManagementAssignmentFilterId",
            "a string",
        )),
    }
}

/// A policy with no settings or assignments yet.
fn empty_policy(
    doc: &Doc<'_>,
    obj: &Object<'_>,
    kind: PolicyKind,
    id: Option<&str>,
    name: String,
    name_span: Span,
) -> Policy {
    Policy {
        id: id.map(str::to_string),
        name,
        kind,
        source: doc.id,
        span: doc.span(obj),
        name_span,
        settings: Vec::new(),
        assignments: Vec::new(),
        assignments_exported: false,
        gpo: None,
    }
}

/// The companion policy's name: the file stem without IntuneManagement's `_Settings` suffix.
fn companion_name(file: &SourceFile) -> String {
    let stem = file
        .path
        .file_stem()
        .map(|s| s.to_string_lossy())
        .unwrap_or_default();
    stem.strip_suffix("_Settings").unwrap_or(&stem).to_string()
}

fn is_metadata(key: &str) -> bool {
    json::is_annotation(key)
        || METADATA.contains(&key)
        || key.starts_with("deviceManagementApplicabilityRule")
}

/// A Settings Catalog simple value: Ok(None) for null, Err(type) for a non-scalar.
fn scalar_value(node: &Node<'_>, integer: bool) -> Result<Option<Value>, &'static str> {
    match node {
        Node::NumberLit(n) => Ok(Some(number_value(n.value))),
        Node::StringLit(s) if integer => {
            Ok(Some(s.value.trim().parse().map_or_else(
                |_| Value::Str(s.value.to_string()),
                Value::Int,
            )))
        }
        Node::StringLit(s) => Ok(Some(Value::Str(s.value.to_string()))),
        Node::BooleanLit(b) => Ok(Some(Value::Bool(b.value))),
        Node::NullKeyword(_) => Ok(None),
        other => Err(json::type_name(other)),
    }
}

/// A flat property's scalar value; None for null, arrays and objects.
fn flat_scalar(node: &Node<'_>) -> Option<Value> {
    match node {
        Node::NumberLit(n) => Some(number_value(n.value)),
        Node::StringLit(s) => Some(Value::Str(s.value.to_string())),
        Node::BooleanLit(b) => Some(Value::Bool(b.value)),
        _ => None,
    }
}

/// An integer when the number is one, else its text.
fn number_value(text: &str) -> Value {
    text.parse()
        .map_or_else(|_| Value::Str(text.to_string()), Value::Int)
}

/// An OMA setting value by its `@odata.type`: Ok(None) for null, Err(type) for a non-scalar.
/// Integer settings become `Int`, Boolean ones `Bool`, everything else (String, Base64,
/// DateTime, FloatingPoint, StringXml, masked encrypted values) the text as written.
fn oma_value(odata_type: &str, node: &Node<'_>) -> Result<Option<Value>, &'static str> {
    let kind = odata_type.strip_prefix(GRAPH).unwrap_or(odata_type);
    Ok(Some(match (kind, node) {
        (_, Node::NullKeyword(_)) => return Ok(None),
        ("omaSettingInteger", Node::StringLit(s)) => s
            .value
            .trim()
            .parse()
            .map_or_else(|_| Value::Str(s.value.to_string()), Value::Int),
        ("omaSettingInteger", Node::NumberLit(n)) => number_value(n.value),
        (_, Node::StringLit(s)) => Value::Str(s.value.to_string()),
        (_, Node::NumberLit(n)) => Value::Str(n.value.to_string()),
        (_, Node::BooleanLit(b)) => Value::Bool(b.value),
        (_, other) => return Err(json::type_name(other)),
    }))
}

/// A value decoded from `valueJson`; objects keep their JSON text. None for null.
fn from_serde(value: &serde_json::Value, text: &str) -> Option<Value> {
    use serde_json::Value as J;
    Some(match value {
        J::Null => return None,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::Str(n.to_string()), Value::Int),
        J::String(s) => Value::Str(s.clone()),
        J::Array(items) => Value::List(
            items
                .iter()
                .filter_map(|item| from_serde(item, &item.to_string()))
                .collect(),
        ),
        J::Object(_) => Value::Str(text.to_string()),
    })
}

/// A count (`settingCount`, `@odata.count`): a whole number, not negative.
fn count(node: &Node<'_>) -> Option<u64> {
    json::as_i64(node).and_then(|n| u64::try_from(n).ok())
}

/// The annotation that names a list response's next page.
pub(crate) fn is_next_link(key: &str) -> bool {
    key == "@odata.nextLink"
}

/// The collection an object's `<collection>@odata.nextLink` annotation names the next page of
/// (`assignments` for `assignments@odata.nextLink`).
pub(crate) fn paged_collection(key: &str) -> Option<&str> {
    key.strip_suffix("@odata.nextLink")
        .filter(|collection| !collection.is_empty())
}

fn wrong_type(doc: &Doc<'_>, node: &Node<'_>, key: &str, expected: &str) -> InputError {
    doc.error_at(
        node,
        format!(
            "expected `{key}` to be {expected}, found {}",
            json::found(node)
        ),
    )
}

fn expected_object(doc: &Doc<'_>, node: &Node<'_>, what: &str) -> InputError {
    doc.error_at(
        node,
        format!("expected {what} object, found {}", json::found(node)),
    )
}

/// Windows Firewall rules (Firewall CSP `MdmStore/FirewallRules/{FirewallRuleName}`).
const FIREWALL_RULES: &str = "vendor_msft_firewall_mdmstore_firewallrules_{firewallrulename}";

/// What an item of a group collection concerns, as far as policies can disagree over it; None
/// for the collections this does not know, whose items keep their keys.
///
/// * A local group item configures the groups its `_desc` child names. Intune reports a
///   conflict over a group's membership, but "if the same group is configured with both a
///   Replace and Update action, the Replace action wins. This is not considered a conflict"
///   (Microsoft's account protection policy documentation), and updates add or remove members
///   alongside one another. So a Replace item (`add_restrict`) is keyed by its groups
///   (`administrators`): two Replace items for the same group with other members conflict. An
///   update item is keyed by its groups, its action and a hash of its content, and so meets
///   nothing to disagree with.
/// * A firewall rule is a node of its own (`{FirewallRuleName}`, a unique identifier Intune
///   gives each rule): rules of two policies are two rules, whatever their names. A rule is
///   keyed by its name and a hash of its content, for the reader's sake.
fn item_entity(collection: &str, children: &[Setting]) -> Option<String> {
    if collection.eq_ignore_ascii_case(LOCAL_GROUPS) {
        let groups = named(children, &format!("{LOCAL_GROUPS}_desc"))?;
        let action = named(children, &format!("{LOCAL_GROUPS}_action"));
        return Some(match action.as_deref() {
            Some("add_restrict") => groups,
            other => format!(
                "{groups} {} #{}",
                other.unwrap_or("update"),
                content_hash(children)
            ),
        });
    }
    if collection.eq_ignore_ascii_case(FIREWALL_RULES) {
        let name = named(children, &format!("{FIREWALL_RULES}_name")).unwrap_or_default();
        return Some(
            format!("{name} #{}", content_hash(children))
                .trim_start()
                .to_string(),
        );
    }
    None
}

/// The values of the child `id` among an item's `children`, lower-cased (Windows compares
/// group and rule names in any case), a choice by its option's part after `id`
/// (`administrators` for `..._accessgroup_desc_administrators`), several sorted and joined by
/// commas. None when there is no such child or it holds nothing.
fn named(children: &[Setting], id: &str) -> Option<String> {
    let child = children
        .iter()
        .find(|child| child.raw_name.eq_ignore_ascii_case(id))?;
    let name_of = |value: &Value| match value {
        Value::Choice(choice) => Some(
            crate::model::choice_option(id, choice)
                .unwrap_or(choice)
                .to_ascii_lowercase(),
        ),
        Value::Str(text) => Some(text.trim().to_lowercase()),
        _ => None,
    };
    let mut names: Vec<String> = match &child.value {
        Value::List(items) => items.iter().filter_map(name_of).collect(),
        other => name_of(other).into_iter().collect(),
    };
    names.retain(|name| !name.is_empty());
    names.sort_unstable();
    names.dedup();
    (!names.is_empty()).then(|| names.join(","))
}

/// A hash of what an item sets (each child's name and value), the same for the same content.
fn content_hash(children: &[Setting]) -> String {
    let texts: Vec<String> = children
        .iter()
        .map(|child| format!("{}={}", child.raw_name.to_ascii_lowercase(), child.value))
        .collect();
    let parts: Vec<&str> = texts.iter().map(String::as_str).collect();
    crate::finding::fingerprint(&parts)[..8].to_string()
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::model::{Membership, map_inner_offset};
    use crate::source::Encoding;

    const PKU2U_OPTION_0: &str = "device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests_0";

    /// A setting written as `name` with `value`, as a group collection's item holds it.
    fn child(name: &str, value: Value) -> Setting {
        Setting {
            key: format!("intune:{name}").into(),
            raw_name: name.into(),
            value,
            value_label: None,
            span: Span::new(0, 0),
            name_span: Span::new(0, 0),
            file: None,
        }
    }

    /// A local group item is keyed by its groups when it replaces their members, and by
    /// groups, action and content otherwise; a firewall rule by its name and content; an item
    /// of another collection not at all.
    #[test]
    fn group_collection_items_are_keyed_by_what_they_concern() {
        let id = |suffix: &str| format!("{LOCAL_GROUPS}{suffix}");
        let desc = |groups: &[&str]| {
            let choices = groups
                .iter()
                .map(|g| Value::Choice(id(&format!("_desc_{g}")).to_uppercase()))
                .collect();
            child(&id("_desc"), Value::List(choices))
        };
        let action = |a: &str| child(&id("_action"), Value::Choice(id(&format!("_action_{a}"))));
        let users = |u: &str| child(&id("_users"), Value::List(vec![Value::Str(u.into())]));
        let replace = [
            desc(&["RemoteDesktopUsers", "administrators"]),
            action("add_restrict"),
            users("alice"),
        ];
        assert_eq!(
            item_entity(LOCAL_GROUPS, &replace).as_deref(),
            Some("administrators,remotedesktopusers")
        );
        let update = |u: &str| {
            item_entity(
                LOCAL_GROUPS,
                &[desc(&["administrators"]), action("add_update"), users(u)],
            )
            .unwrap()
        };
        assert!(update("alice").starts_with("administrators add_update #"));
        assert_eq!(update("alice"), update("alice"));
        assert_ne!(update("alice"), update("bob"));
        assert_eq!(item_entity(LOCAL_GROUPS, &[action("add_restrict")]), None);
        assert_eq!(
            item_entity(LOCAL_GROUPS, &[desc(&[]), action("add_restrict")]),
            None
        );

        let rule = |name: &str, port: &str| {
            let name = child(&format!("{FIREWALL_RULES}_name"), Value::Str(name.into()));
            let port = child(
                &format!("{FIREWALL_RULES}_localportranges"),
                Value::Str(port.into()),
            );
            item_entity(FIREWALL_RULES, &[name, port]).unwrap()
        };
        assert!(rule(" Allow RDP ", "3389").starts_with("allow rdp #"));
        assert_ne!(rule("Allow RDP", "3389"), rule("Allow RDP", "3390"));
        assert_eq!(item_entity("x_group", &replace), None);
    }

    fn fixture_path(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/intune")
            .join(name)
    }

    fn read_bytes(name: &str, bytes: &[u8]) -> (SourceFile, Parsed) {
        let file = SourceFile::decode(&fixture_path(name), bytes).unwrap();
        let parsed = read_json(SourceId(7), &file, Catalog::builtin());
        (file, parsed)
    }

    fn fixture(name: &str) -> (SourceFile, Parsed) {
        read_bytes(name, &std::fs::read(fixture_path(name)).unwrap())
    }

    fn text(text: &str) -> (SourceFile, Parsed) {
        read_bytes("inline.json", text.as_bytes())
    }

    /// An OMA-URI's data is read as the registry data it writes where the two differ.
    #[test]
    fn oma_uri_data_reads_as_the_registry_data_it_writes() {
        let (file, parsed) = text(
            r##"{"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "id": "c1", "displayName": "SmartScreen",
                "omaSettings": [{"@odata.type": "#microsoft.graph.omaSettingInteger",
                  "omaUri": "./Device/Vendor/MSFT/Policy/Config/SmartScreen/PreventOverrideForFilesInShell", "value": 1}]}"##,
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let setting = &parsed.policies[0].settings[0];
        assert_eq!(
            setting.key.as_str(),
            r"HKLM\SOFTWARE\Policies\Microsoft\Windows\System\ShellSmartScreenLevel"
        );
        assert_eq!(setting.value, Value::Str("Block".into()));
        assert_eq!(setting.value_label.as_deref(), Some("Prevent override."));
        assert_eq!(file.slice(setting.span), "1");
    }

    /// Defender's AttackSurfaceReductionRules string is one registry value per rule, each at its
    /// own bytes (an escaped state included); a string that is not such a list stays one setting.
    #[test]
    fn asr_rules_string_is_one_registry_value_per_rule() {
        let policy = |value: &str| {
            format!(
                r##"{{"@odata.type": "#microsoft.graph.windows10CustomConfiguration", "id": "c2", "displayName": "ASR",
                "omaSettings": [{{"@odata.type": "#microsoft.graph.omaSettingString",
                  "omaUri": "./Device/Vendor/MSFT/Policy/Config/Defender/AttackSurfaceReductionRules", "value": "{value}"}}]}}"##
            )
        };
        let (file, parsed) = text(&policy(
            r"5beb7efe-fd9a-4556-801d-275e5ffc04cc=2|{9E6C4E1F-7D60-472F-BA1A-A39EF669E4B2}=\u0031",
        ));
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let settings = &parsed.policies[0].settings;
        let rules = r"HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR\Rules";
        let read: Vec<(&str, &Value, &str, &str)> = settings
            .iter()
            .map(|s| {
                (
                    s.key.as_str(),
                    &s.value,
                    file.slice(s.span),
                    file.slice(s.name_span),
                )
            })
            .collect();
        assert_eq!(
            read,
            [
                (
                    format!(r"{rules}\5beb7efe-fd9a-4556-801d-275e5ffc04cc").as_str(),
                    &Value::Int(2),
                    "2",
                    "5beb7efe-fd9a-4556-801d-275e5ffc04cc"
                ),
                (
                    format!(r"{rules}\9e6c4e1f-7d60-472f-ba1a-a39ef669e4b2").as_str(),
                    &Value::Int(1),
                    r"\u0031",
                    "9E6C4E1F-7D60-472F-BA1A-A39EF669E4B2"
                ),
            ]
        );
        assert_eq!(settings[1].value_label.as_deref(), Some("Block"));
        let (_, parsed) = text(&policy("not a list"));
        let settings = &parsed.policies[0].settings;
        assert_eq!(settings.len(), 1);
        assert_eq!(settings[0].value, Value::Str("not a list".into()));
    }

    fn pku2u_key() -> &'static str {
        &Catalog::builtin()
            .resolve("pku2u_allow_online_id")
            .unwrap()
            .key
    }

    /// The key the reader should give a definition id, whatever the catalog data says.
    fn key_of(definition: &str) -> String {
        Catalog::builtin().by_definition_id(definition).map_or_else(
            || format!("intune:{definition}"),
            |d| d.setting_key().to_string(),
        )
    }

    fn setting<'p>(parsed: &'p Parsed, raw_name: &str) -> &'p Setting {
        parsed
            .policies
            .iter()
            .flat_map(|p| &p.settings)
            .find(|s| s.raw_name == raw_name)
            .unwrap_or_else(|| panic!("no setting {raw_name}"))
    }

    fn errors(parsed: &Parsed) -> Vec<(usize, usize, &str)> {
        parsed
            .errors
            .iter()
            .map(|e| (e.line.unwrap(), e.column.unwrap(), e.message.as_str()))
            .collect()
    }

    #[test]
    fn settings_catalog_reads_every_instance_kind_with_exact_spans() {
        let (file, parsed) = fixture("settings_catalog.json");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let [policy] = &parsed.policies[..] else {
            panic!("one policy")
        };
        assert_eq!(policy.kind, PolicyKind::SettingsCatalog);
        assert_eq!(
            policy.id.as_deref(),
            Some("5b9f6f2e-1c39-4f43-9d0e-2f7c3a1b8e10")
        );
        assert_eq!(policy.name, "Contoso - Device hardening");
        assert_eq!(policy.source, SourceId(7));
        assert_eq!(
            file.slice(policy.name_span),
            "\"Contoso - Device hardening\""
        );
        assert!(file.slice(policy.span).starts_with('{') && file.slice(policy.span).ends_with('}'));
        assert_eq!(policy.settings.len(), 9);

        let pku2u = &policy.settings[0];
        assert_eq!(pku2u.key, pku2u_key());
        assert_eq!(pku2u.value, Value::Int(0));
        assert_eq!(pku2u.value_label.as_deref(), Some("Block"));
        assert_eq!(file.slice(pku2u.span), format!("\"{PKU2U_OPTION_0}\""));
        assert_eq!(
            file.slice(pku2u.name_span),
            format!("\"{}\"", pku2u.raw_name)
        );

        // An ADMX choice and its child choice are two settings.
        let parent =
            "device_vendor_msft_policy_config_admx_terminalserver_ts_security_layer_policy";
        let child = format!("{parent}_ts_security_layer");
        assert_eq!(setting(&parsed, parent).key, key_of(parent));
        assert_eq!(setting(&parsed, &child).key, key_of(&child));
        let child_option = format!("{child}_2");
        let expected = Catalog::builtin()
            .choice(&child_option)
            .map_or(Value::Choice(child_option.clone()), |c| c.1);
        assert_eq!(setting(&parsed, &child).value, expected);
        assert_eq!(
            file.slice(setting(&parsed, &child).span),
            format!("\"{child_option}\"")
        );

        let timeout = setting(
            &parsed,
            "device_vendor_msft_policy_config_devicelock_maxinactivitytimedevicelock",
        );
        assert_eq!(
            (timeout.value.clone(), file.slice(timeout.span)),
            (Value::Int(15), "15")
        );

        let banner = setting(
            &parsed,
            "device_vendor_msft_policy_config_localpoliciessecurityoptions_interactivelogon_messagetextforusersattemptingtologon",
        );
        assert_eq!(
            banner.value,
            Value::Str("Use by 'Contoso' \"staff\" only".into())
        );
        assert_eq!(
            file.slice(banner.span),
            r#""Use by \u0027Contoso\u0027 \"staff\" only""#
        );

        let rights = setting(
            &parsed,
            "device_vendor_msft_policy_config_userrights_denyaccessfromnetwork",
        );
        assert_eq!(
            rights.value,
            Value::List(vec![
                Value::Str("*S-1-5-32-546".into()),
                Value::Str("*S-1-5-113".into())
            ])
        );
        assert!(file.slice(rights.span).starts_with('[') && file.slice(rights.span).ends_with(']'));

        // The group collections carry no value themselves; their children do.
        let group = "device_vendor_msft_policy_config_localusersandgroups_configure";
        assert!(policy.settings.iter().all(|s| s.raw_name != group
            && s.raw_name != format!("{group}_groupconfiguration_accessgroup")));
        let action = setting(
            &parsed,
            &format!("{group}_groupconfiguration_accessgroup_action"),
        );
        // Keyed with the local group its item configures (`Reader::entity_item`).
        assert_eq!(
            action.key,
            format!(
                "{}[administrators]",
                key_of(&format!("{group}_groupconfiguration_accessgroup_action"))
            )
        );
        let desc = setting(
            &parsed,
            &format!("{group}_groupconfiguration_accessgroup_desc"),
        );
        assert!(matches!(&desc.value, Value::List(items) if items.len() == 1));
        let users = setting(
            &parsed,
            &format!("{group}_groupconfiguration_accessgroup_users"),
        );
        assert_eq!(
            users.value,
            Value::List(vec![Value::Str(
                "S-1-12-1-1111111111-2222222222-3333333333-4444444444".into()
            )])
        );
    }

    #[test]
    fn settings_catalog_assignments_targets_filters_and_modes() {
        let (file, parsed) = fixture("settings_catalog.json");
        let policy = &parsed.policies[0];
        assert!(policy.assignments_exported);
        let a = &policy.assignments;
        assert_eq!(a.len(), 5);
        assert_eq!(
            a[0].target,
            Target::Group {
                id: Some("9d2a3c4e-0b1f-4e55-8a66-7b8c9d0e1f20".into()),
                name: None,
                inline_rule: None
            }
        );
        assert_eq!(a[0].mode, Mode::Include);
        let filter = a[0].filter.as_ref().unwrap();
        assert_eq!(
            (filter.reference.as_str(), filter.mode),
            ("3e1d2c4b-5a69-4788-9a0b-1c2d3e4f5a6b", Mode::Include)
        );
        assert_eq!(
            file.slice(filter.span),
            "\"3e1d2c4b-5a69-4788-9a0b-1c2d3e4f5a6b\""
        );
        assert_eq!(
            file.slice(a[0].target_span),
            "\"9d2a3c4e-0b1f-4e55-8a66-7b8c9d0e1f20\""
        );
        assert!(
            file.slice(a[0].span).starts_with('{')
                && file.slice(a[0].span).contains("groupAssignmentTarget")
        );

        assert_eq!(a[1].mode, Mode::Exclude);
        assert!(a[1].filter.is_none());
        assert_eq!(
            (a[2].target.clone(), a[2].filter.as_ref().unwrap().mode),
            (Target::AllDevices, Mode::Exclude)
        );
        assert_eq!(
            file.slice(a[2].target_span),
            "\"#microsoft.graph.allDevicesAssignmentTarget\""
        );
        // The all-zero GUID is no filter.
        assert_eq!(
            (a[3].target.clone(), a[3].filter.clone()),
            (Target::AllLicensedUsers, None)
        );
        assert_eq!(
            a[4].target,
            Target::Other("configurationManagerCollectionAssignmentTarget".into())
        );
    }

    #[test]
    fn custom_oma_uri_maps_uris_types_and_admx_payloads() {
        let (file, parsed) = fixture("custom_oma_uri.json");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let policy = &parsed.policies[0];
        assert_eq!(
            (policy.kind, policy.name.as_str()),
            (PolicyKind::CustomOmaUri, "Contoso – Custom OMA-URI")
        );
        assert!(policy.assignments_exported && policy.assignments.is_empty());

        let pku2u = &policy.settings[0];
        assert_eq!(
            (pku2u.key.as_str(), &pku2u.value),
            (pku2u_key(), &Value::Int(0))
        );
        assert_eq!(pku2u.value_label.as_deref(), Some("Block"));
        assert_eq!(file.slice(pku2u.span), "0");
        assert!(
            file.slice(pku2u.name_span)
                .starts_with("\"./Device/Vendor/MSFT/Policy/Config/LocalPoliciesSecurityOptions/")
        );

        // `./Vendor/...` without `Device` resolves like `./Device/Vendor/...`.
        let rdp_uri = "./Vendor/MSFT/Policy/Config/ADMX_TerminalServer/TS_SECURITY_LAYER_POLICY";
        let rdp = setting(&parsed, rdp_uri);
        let def = Catalog::builtin().by_oma_uri(rdp_uri);
        assert_eq!(
            rdp.key,
            def.map_or_else(
                || format!("omauri:{}", rdp_uri.to_ascii_lowercase()),
                |d| d.setting_key().to_string()
            )
        );
        assert_eq!(
            file.slice(rdp.span),
            r#""<enabled/><data id=\"TS_SECURITY_LAYER\" value=\"2\"/>""#
        );

        let flag = setting(&parsed, "./Device/Vendor/MSFT/Contoso/Flags/Enabled");
        assert_eq!(
            (flag.key.as_str(), &flag.value),
            (
                "omauri:./device/vendor/msft/contoso/flags/enabled",
                &Value::Bool(true)
            )
        );
        // An encrypted value is a mask: left out, and noted where it is.
        let banner = "InteractiveLogon_MessageTextForUsersAttemptingToLogOn";
        assert!(!policy.settings.iter().any(|s| s.raw_name.ends_with(banner)));
        let [incomplete] = &parsed.incomplete[..] else {
            panic!("{:?}", parsed.incomplete);
        };
        let Missing::EncryptedValue { uri } = &incomplete.missing else {
            panic!("{incomplete:?}");
        };
        assert!(uri.ends_with(banner));
        assert_eq!(file.slice(incomplete.location.span), "\"****\"");
    }

    #[test]
    fn list_response_reads_device_configuration_compliance_intent_and_other() {
        let (file, parsed) = fixture("list_response.json");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let kinds: Vec<_> = parsed.policies.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [
                PolicyKind::DeviceConfiguration,
                PolicyKind::Compliance,
                PolicyKind::EndpointSecurityIntent,
                PolicyKind::Other
            ]
        );
        let protection = &parsed.policies[0];
        let keys: Vec<_> = protection.settings.iter().map(|s| s.key.as_str()).collect();
        // Metadata, nulls and arrays are not settings.
        assert_eq!(
            keys,
            [
                pku2u_key(),
                "graph:windows10EndpointProtectionConfiguration/lanManagerAuthenticationLevel",
                "graph:windows10EndpointProtectionConfiguration/localSecurityOptionsAllowRemoteCallsToSecurityAccountsManager",
            ]
        );
        let compliance = &parsed.policies[1];
        let length = compliance
            .settings
            .iter()
            .find(|s| s.raw_name == "passwordMinimumLength")
            .unwrap();
        assert_eq!(
            (length.key.as_str(), &length.value),
            (
                "graph:windows10CompliancePolicy/passwordMinimumLength",
                &Value::Int(14)
            )
        );
        assert_eq!(file.slice(length.name_span), "\"passwordMinimumLength\"");
        assert!(!compliance.assignments_exported);

        let intent = &parsed.policies[2];
        let values: Vec<_> = intent.settings.iter().map(|s| s.value.clone()).collect();
        assert_eq!(
            values,
            [
                Value::Int(1),
                Value::Str("required".into()),
                Value::Int(8),
                Value::List(vec![
                    Value::Str(r"C:\Tools\a.exe".into()),
                    Value::Str(r"C:\Tools\b.exe".into())
                ]),
                Value::Str(r#"{"startupAuthenticationRequired":true}"#.into()),
            ]
        );
        assert_eq!(
            intent.settings[1].key,
            "intent:deviceConfiguration--windowsIdentityProtectionConfiguration_pinSpecialCharactersUsage"
        );
        assert_eq!(file.slice(intent.settings[1].span), r#""\"required\"""#);
        assert_eq!(intent.assignments[0].target, Target::AllDevices);

        let other = &parsed.policies[3];
        assert_eq!(
            (other.name.as_str(), other.assignments_exported),
            ("Contoso - Driver updates", true)
        );
    }

    #[test]
    fn endpoint_protection_pku2u_flag_maps_to_catalog_key() {
        let (file, parsed) = fixture("list_response.json");
        let block = &parsed.policies[0].settings[0];
        assert_eq!(
            (block.key.as_str(), &block.value),
            (pku2u_key(), &Value::Int(0))
        );
        assert_eq!(block.raw_name, PKU2U_PROPERTY);
        assert_eq!(
            (file.slice(block.span), file.slice(block.name_span)),
            (
                "true",
                "\"localSecurityOptionsAllowPKU2UAuthenticationRequests\""
            )
        );
        let allow = &parsed.policies[2].settings[0];
        assert_eq!(
            (
                allow.key.as_str(),
                &allow.value,
                allow.value_label.as_deref()
            ),
            (pku2u_key(), &Value::Int(1), Some("Allow"))
        );
        assert_eq!(file.slice(allow.span), "\"false\"");
    }

    /// The ASR rules of an endpoint-protection profile and of the attack surface reduction
    /// intent are the catalog's ASR settings, so they compare with Settings Catalog, OMA-URI and
    /// Group Policy ones; `userDefined` leaves a rule alone and stays the property's own setting.
    #[test]
    fn endpoint_protection_asr_rules_map_to_the_catalog_rules() {
        let text = r##"{"value": [
  {"@odata.type": "#microsoft.graph.windows10EndpointProtectionConfiguration", "id": "p1",
   "displayName": "Legacy endpoint protection",
   "defenderOfficeMacroCodeAllowWin32ImportsType": "block",
   "defenderAdobeReaderLaunchChildProcess": "enable",
   "defenderEmailContentExecutionType": "userDefined"},
  {"@odata.type": "#microsoft.graph.deviceManagementIntent", "id": "i1",
   "displayName": "ASR intent", "templateId": "0e237410-1367-4844-bd7f-15fb0f08943b",
   "settings": [
     {"@odata.type": "#microsoft.graph.deviceManagementStringSettingInstance",
      "definitionId": "deviceConfiguration--windows10EndpointProtectionConfiguration_defenderPreventCredentialStealingType",
      "valueJson": "\"auditMode\"", "value": "auditMode"},
     {"@odata.type": "#microsoft.graph.deviceManagementStringSettingInstance",
      "definitionId": "deviceConfiguration--windows10EndpointProtectionConfiguration_defenderUntrustedUSBProcessType",
      "valueJson": "\"warn\"", "value": "warn"},
     {"@odata.type": "#microsoft.graph.deviceManagementStringSettingInstance",
      "definitionId": "deviceConfiguration--windows10EndpointProtectionConfiguration_defenderProcessCreationType",
      "valueJson": "\"disable\"", "value": "disable"}]}
]}"##;
        let (file, parsed) = read_bytes("asr.json", text.as_bytes());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let rule = |guid: &str| {
            Catalog::builtin()
                .resolve(&format!(
                    r"HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR\Rules\{guid}"
                ))
                .unwrap()
                .key
                .to_string()
        };
        let shown = |s: &Setting| {
            (
                s.key.to_string(),
                s.value.clone(),
                s.value_label.as_ref().map(|l| l.to_string()),
            )
        };
        let profile = &parsed.policies[0].settings;
        assert_eq!(
            shown(&profile[0]),
            (
                rule("92E97FA1-2EDF-4476-BDD6-9DD0B4DDDC7B"),
                Value::Int(1),
                Some("Block".into())
            )
        );
        assert_eq!(file.slice(profile[0].span), "\"block\"");
        assert_eq!(
            profile[0].raw_name,
            "defenderOfficeMacroCodeAllowWin32ImportsType"
        );
        assert_eq!(
            shown(&profile[1]).0,
            rule("7674BA52-37EB-4A4F-A9A1-F0F9A1619A2C")
        );
        assert_eq!(profile[1].value, Value::Int(1));
        assert_eq!(
            profile[2].key,
            "graph:windows10EndpointProtectionConfiguration/defenderEmailContentExecutionType"
        );
        let intent = &parsed.policies[1].settings;
        let states: Vec<(String, Value)> = intent
            .iter()
            .map(|s| (s.key.to_string(), s.value.clone()))
            .collect();
        assert_eq!(
            states,
            [
                (rule("9E6C4E1F-7D60-472F-BA1A-A39EF669E4B2"), Value::Int(2)),
                (rule("B2B3F03D-6A65-4F7B-A9C7-1C7EF74A9BA4"), Value::Int(6)),
                (rule("D1E49AAC-8F56-4280-B9BA-993A6D77406C"), Value::Int(0)),
            ]
        );
        assert_eq!(intent[0].value_label.as_deref(), Some("Audit"));
    }

    /// Update ring properties and endpoint-protection properties that are Policy CSP settings
    /// are read as those settings (profile and intent alike); a state that leaves the setting
    /// alone, or a value of another kind, stays the property's own setting.
    #[test]
    fn graph_properties_that_are_csp_settings_map_to_the_catalog() {
        let text = r##"{"value": [
  {"@odata.type": "#microsoft.graph.windowsUpdateForBusinessConfiguration", "id": "r1",
   "displayName": "Ring 1",
   "qualityUpdatesDeferralPeriodInDays": 7,
   "postponeRebootUntilAfterDeadline": true,
   "userPauseAccess": "disabled",
   "userWindowsUpdateScanAccess": "notConfigured",
   "deadlineGracePeriodInDays": "soon"},
  {"@odata.type": "#microsoft.graph.deviceManagementIntent", "id": "i1",
   "displayName": "Account protection", "templateId": "0f2b5d70-d4e9-4156-8c16-1397eb6c54a5",
   "settings": [
     {"@odata.type": "#microsoft.graph.deviceManagementStringSettingInstance",
      "definitionId": "deviceConfiguration--windows10EndpointProtectionConfiguration_deviceGuardLocalSystemAuthorityCredentialGuardSettings",
      "valueJson": "\"enableWithUEFILock\"", "value": "enableWithUEFILock"}]},
  {"@odata.type": "#microsoft.graph.windows10EndpointProtectionConfiguration", "id": "p1",
   "displayName": "Encryption",
   "bitLockerDisableWarningForOtherDiskEncryption": true,
   "bitLockerAllowStandardUserEncryption": false}
]}"##;
        let (file, parsed) = read_bytes("graph.json", text.as_bytes());
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let key = |uri: &str| Catalog::builtin().by_oma_uri(uri).unwrap().key.to_string();
        let update = "./Device/Vendor/MSFT/Policy/Config/Update/";
        let ring: Vec<(String, Value)> = parsed.policies[0]
            .settings
            .iter()
            .map(|s| (s.key.to_string(), s.value.clone()))
            .collect();
        assert_eq!(
            ring,
            [
                (
                    key(&format!("{update}DeferQualityUpdatesPeriodInDays")),
                    Value::Int(7)
                ),
                (
                    key(&format!("{update}ConfigureDeadlineNoAutoReboot")),
                    Value::Int(1)
                ),
                (
                    key(&format!("{update}SetDisablePauseUXAccess")),
                    Value::Int(1)
                ),
                (
                    "graph:windowsUpdateForBusinessConfiguration/userWindowsUpdateScanAccess"
                        .into(),
                    Value::Str("notConfigured".into())
                ),
                (
                    "graph:windowsUpdateForBusinessConfiguration/deadlineGracePeriodInDays".into(),
                    Value::Str("soon".into())
                ),
            ]
        );
        assert_eq!(file.slice(parsed.policies[0].settings[0].span), "7");
        assert_eq!(
            parsed.policies[0].settings[0].raw_name,
            "qualityUpdatesDeferralPeriodInDays"
        );
        let guard = &parsed.policies[1].settings[0];
        assert_eq!(
            (guard.key.to_string(), &guard.value),
            (
                key("./Device/Vendor/MSFT/Policy/Config/DeviceGuard/LsaCfgFlags"),
                &Value::Int(1)
            )
        );
        // `true` disables the warning (the setting's 0); `false` is how Graph writes "not
        // configured" for such a Boolean, and stays the property's own setting.
        let encryption = &parsed.policies[2].settings;
        assert_eq!(
            (encryption[0].key.to_string(), &encryption[0].value),
            (
                key("./Device/Vendor/MSFT/BitLocker/AllowWarningForOtherDiskEncryption"),
                &Value::Int(0)
            )
        );
        assert_eq!(
            encryption[1].key,
            "graph:windows10EndpointProtectionConfiguration/bitLockerAllowStandardUserEncryption"
        );
    }

    #[test]
    fn intune_cd_assignment_carries_group_name_and_inline_rule() {
        let (file, parsed) = fixture("intunecd_policy.json");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let policy = &parsed.policies[0];
        assert_eq!(
            (policy.id.clone(), policy.name.as_str()),
            (None, "Contoso_WIN_D_PKU2U")
        );
        assert_eq!(policy.settings[0].key, pku2u_key());
        let include = &policy.assignments[0];
        let Target::Group {
            id: None,
            name: Some(name),
            inline_rule: Some(rule),
        } = &include.target
        else {
            panic!("{:?}", include.target)
        };
        assert_eq!(name, "Contoso - Hybrid 'legacy' devices");
        assert_eq!(
            file.slice(include.target_span),
            r#""Contoso - Hybrid \u0027legacy\u0027 devices""#
        );
        assert_eq!(
            rule.text,
            r#"(device.deviceTrustType -eq "ServerAD") and (device.displayName -startsWith "CTS-")"#
        );
        assert_eq!(
            file.slice(rule.span),
            r#"(device.deviceTrustType -eq \"ServerAD\") and (device.displayName -startsWith \"CTS-\")"#
        );
        let server_ad = map_inner_offset(
            rule.span,
            &rule.offsets,
            rule.text.find("ServerAD").unwrap(),
        );
        assert!(file.text()[server_ad..].starts_with("ServerAD\\\")"));
        let filter = include.filter.as_ref().unwrap();
        assert_eq!(
            (filter.reference.as_str(), filter.mode),
            ("Windows - Corporate", Mode::Include)
        );
        let exclude = &policy.assignments[1];
        assert_eq!(exclude.mode, Mode::Exclude);
        assert!(
            matches!(&exclude.target, Target::Group { inline_rule: None, name: Some(n), .. } if n == "Contoso - Break glass devices")
        );
    }

    #[test]
    fn portal_import_intent_reads_settings_delta() {
        let (file, parsed) = fixture("intent_import.json");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let policy = &parsed.policies[0];
        assert_eq!(
            (policy.kind, policy.name.as_str()),
            (
                PolicyKind::EndpointSecurityIntent,
                "Contoso - Endpoint protection (import)"
            )
        );
        assert_eq!(
            (policy.settings[0].key.as_str(), &policy.settings[0].value),
            (pku2u_key(), &Value::Int(0))
        );
        assert_eq!(file.slice(policy.settings[0].span), "\"true\"");
        // The ASR rule for LSASS credential stealing, `enable` = block.
        let lsass = policy.settings[1].key.to_lowercase();
        assert!(
            lsass.ends_with(r"\asr\rules\9e6c4e1f-7d60-472f-ba1a-a39ef669e4b2"),
            "{lsass}"
        );
        assert_eq!(policy.settings[1].value, Value::Int(1));
    }

    #[test]
    fn double_encoded_companion_spans_point_at_file_bytes() {
        let (file, parsed) = fixture("bitlocker_intent_Settings.json");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let policy = &parsed.policies[0];
        assert_eq!(
            (policy.kind, policy.name.as_str(), policy.id.clone()),
            (PolicyKind::EndpointSecurityIntent, "bitlocker_intent", None)
        );
        assert_eq!(file.slice(policy.name_span), r#"\"settings\""#);
        let [encrypt, rotation] = &policy.settings[..] else {
            panic!("two settings")
        };
        // The BitLocker CSP's settings (`true` = require encryption; rotation for Entra-joined
        // devices).
        let key = |uri: &str| Catalog::builtin().by_oma_uri(uri).unwrap().key.to_string();
        assert_eq!(
            (encrypt.key.to_string(), &encrypt.value),
            (
                key("./Device/Vendor/MSFT/BitLocker/RequireDeviceEncryption"),
                &Value::Int(1)
            )
        );
        assert_eq!(file.slice(encrypt.span), r#"\"true\""#);
        assert_eq!(
            file.slice(encrypt.name_span),
            r#"\"deviceConfiguration--windows10EndpointProtectionConfiguration_bitLockerEncryptDevice\""#
        );
        assert_eq!(
            (rotation.key.to_string(), &rotation.value),
            (
                key("./Device/Vendor/MSFT/BitLocker/ConfigureRecoveryPasswordRotation"),
                &Value::Int(1)
            )
        );
        assert_eq!(
            file.slice(rotation.span),
            r#"\"\\\"enabledForAzureAd\\\"\""#
        );
        let (line, _) = file.line_col(rotation.span.start as usize);
        assert_eq!(line, 1, "the double-encoded file is one line");
    }

    #[test]
    fn utf16le_bom_file_decodes_and_spans_index_decoded_text() {
        let utf8 = std::fs::read_to_string(fixture_path("custom_oma_uri.json")).unwrap();
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(utf8.encode_utf16().flat_map(u16::to_le_bytes));
        let (file, parsed) = read_bytes("custom_oma_uri_utf16.json", &bytes);
        assert_eq!(file.encoding, Encoding::Utf16Le);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let policy = &parsed.policies[0];
        assert_eq!(file.slice(policy.name_span), "\"Contoso – Custom OMA-URI\"");
        let pku2u = &policy.settings[0];
        assert_eq!(
            (pku2u.key.as_str(), &pku2u.value, file.slice(pku2u.span)),
            (pku2u_key(), &Value::Int(0), "0")
        );
        let (_, utf8_parsed) = fixture("custom_oma_uri.json");
        assert_eq!(pku2u.span, utf8_parsed.policies[0].settings[0].span);
        assert_eq!(file.line_col(pku2u.span.start as usize), (22, 16));
    }

    /// `Get-MgGroup | ConvertTo-Json` writes the Graph PowerShell SDK's property names
    /// (`DisplayName`, `MembershipRule`), as the SDK's assignment filters do: read as Graph's own.
    #[test]
    fn groups_and_filters_from_the_graph_powershell_sdk_are_read_in_any_case() {
        let (_, parsed) = text(
            r#"[{"DisplayName": "Windows - Entra joined", "Id": "g-1", "GroupTypes": ["DynamicMembership"],
                "MembershipRule": "(device.deviceTrustType -eq \"AzureAD\")",
                "MembershipRuleProcessingState": "Paused", "SecurityEnabled": true, "AdditionalProperties": {}},
               {"DisplayName": "Pilot", "Id": "g-2", "GroupTypes": [], "SecurityEnabled": true}]"#,
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let [dynamic, fixed] = &parsed.groups[..] else {
            panic!("{:?}", parsed.groups);
        };
        assert_eq!(
            (dynamic.name.as_str(), dynamic.id.as_deref()),
            ("Windows - Entra joined", Some("g-1"))
        );
        let Membership::Dynamic { paused, .. } = &dynamic.membership else {
            panic!("{dynamic:?}");
        };
        assert!(paused);
        assert!(matches!(fixed.membership, Membership::Static), "{fixed:?}");
        // And its assignment filters (`Get-MgBetaDeviceManagementAssignmentFilter`).
        let (_, parsed) = text(
            r#"[{"DisplayName": "VMs", "Id": "f-1", "Platform": "windows10AndLater",
                "Rule": "(device.model -contains \"Virtual Machine\")", "AdditionalProperties": {}}]"#,
        );
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let [filter] = &parsed.filters[..] else {
            panic!("{:?}", parsed.filters);
        };
        assert_eq!(
            (
                filter.id.as_deref(),
                filter.platform.as_deref(),
                filter.rule.as_str()
            ),
            (
                Some("f-1"),
                Some("windows10AndLater"),
                "(device.model -contains \"Virtual Machine\")"
            )
        );
    }

    #[test]
    fn groups_export_reads_dynamic_paused_and_static_groups() {
        let (file, parsed) = fixture("groups.json");
        assert!(
            parsed.errors.is_empty() && parsed.policies.is_empty(),
            "{:?}",
            parsed.errors
        );
        let groups = &parsed.groups;
        assert_eq!(groups.len(), 4);
        let Membership::Dynamic {
            rule,
            paused: false,
        } = &groups[0].membership
        else {
            panic!()
        };
        assert_eq!(
            rule,
            r#"(device.deviceTrustType -eq "AzureAD") and (device.deviceOSType -eq "Windows")"#
        );
        let span = groups[0].rule_span.unwrap();
        let azure = map_inner_offset(span, &groups[0].rule_offsets, rule.find("AzureAD").unwrap());
        assert_eq!(&file.text()[azure..azure + 7], "AzureAD");
        assert_eq!(
            groups[0].id.as_deref(),
            Some("9d2a3c4e-0b1f-4e55-8a66-7b8c9d0e1f20")
        );
        assert!(matches!(
            groups[1].membership,
            Membership::Dynamic { paused: true, .. }
        ));
        assert!(
            matches!(groups[2].membership, Membership::Static) && groups[2].rule_span.is_none()
        );
        assert!(matches!(groups[3].membership, Membership::Static));
        assert!(file.slice(groups[3].span).contains("\"Unified\""));
    }

    #[test]
    fn filters_export_reads_rules_with_offsets() {
        let (file, parsed) = fixture("filters.json");
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let [corporate, vms] = &parsed.filters[..] else {
            panic!("two filters")
        };
        assert_eq!(
            (corporate.name.as_str(), corporate.platform.as_deref()),
            ("Windows - Corporate", Some("windows10AndLater"))
        );
        assert_eq!(
            corporate.id.as_deref(),
            Some("3e1d2c4b-5a69-4788-9a0b-1c2d3e4f5a6b")
        );
        let hybrid = map_inner_offset(
            corporate.rule_span,
            &corporate.rule_offsets,
            corporate.rule.find("Hybrid").unwrap(),
        );
        assert!(file.text()[hybrid..].starts_with("Hybrid Azure AD joined\\\""));
        assert_eq!(
            file.slice(vms.rule_span),
            r#"(device.model -contains \"Virtual\")"#
        );
        assert_eq!(vms.source, SourceId(7));
    }

    #[test]
    fn wrapper_templates_and_report_shapes() {
        let (_, parsed) = text(
            r#"{"groups": [{"displayName": "G", "membershipRule": "(device.deviceOSType -eq \"Windows\")"}]}"#,
        );
        assert!(matches!(
            parsed.groups[0].membership,
            Membership::Dynamic { .. }
        ));
        let (_, parsed) = text(
            r#"{"filters": [{"displayName": "F", "platform": "windows10AndLater", "rule": "(device.model -eq \"X\")"}]}"#,
        );
        assert_eq!(parsed.filters[0].name, "F");
        let (_, parsed) = text(
            r#"[{"groupName": "R", "groupType": "StaticMembership", "membershipRule": null, "assignedTo": {}}]"#,
        );
        assert!(matches!(parsed.groups[0].membership, Membership::Static));
        let (_, parsed) = text(r#"{"TenantId": "t", "Organization": "o", "Objects": []}"#);
        // IntuneManagement's MigrationTable.json is bookkeeping: nothing read, no error.
        assert!(parsed.errors.is_empty() && parsed.policies.is_empty() && parsed.groups.is_empty());
    }

    #[test]
    fn truncated_json_is_one_error_at_end_of_file() {
        let (file, parsed) = fixture("bad_truncated.json");
        assert!(parsed.policies.is_empty());
        assert_eq!(
            errors(&parsed),
            [(
                15,
                18,
                "invalid JSON: unexpected end of file (the object opened at line 14, column 24 is not closed)"
            )]
        );
        let location = parsed.errors[0].location.unwrap();
        assert_eq!(
            (location.file, location.span.start as usize),
            (SourceId(7), file.text().trim_end().len())
        );
    }

    #[test]
    fn wrong_types_are_errors_and_other_settings_still_load() {
        let (_, parsed) = fixture("bad_wrong_types.json");
        assert_eq!(
            errors(&parsed),
            [
                (7, 17, "expected `settings` to be an array, found a string"),
                (
                    19,
                    34,
                    "expected `settingDefinitionId` to be a string, found a number"
                ),
                (
                    39,
                    33,
                    "expected `choiceSettingValue` to be an object, found a string"
                ),
                (
                    43,
                    20,
                    "expected `assignments` to be an array, found an object"
                ),
            ]
        );
        assert_eq!(parsed.policies.len(), 2);
        let good = &parsed.policies[1].settings;
        assert_eq!(good.len(), 1);
        assert_eq!(good[0].key, pku2u_key());
        assert!(!parsed.policies[1].assignments_exported);
    }

    /// An export PowerShell's `ConvertTo-Json` cut at its default depth (Windows PowerShell's
    /// layout): each object past the cut is a string, and the error says why and what to do.
    #[test]
    fn an_export_cut_by_convertto_json_says_how_to_export_again() {
        let (file, parsed) = fixture("bad_convertto_json_depth.json");
        let cut = "PowerShell's ConvertTo-Json writes for a value nested deeper than its -Depth \
                   (2 unless given): the export is cut short here; export it again with \
                   `ConvertTo-Json -Depth 100`";
        let instance =
            format!("expected `settingInstance` to be an object, found a string that {cut}");
        let target = format!("expected `target` to be an object, found a string that {cut}");
        assert_eq!(
            errors(&parsed),
            [(10, 46, instance.as_str()), (16, 40, target.as_str())]
        );
        let span = parsed.errors[1].location.unwrap().span;
        assert_eq!(file.slice(span), "\"System.Collections.Hashtable\"");
        assert_eq!(parsed.policies.len(), 1);
    }

    #[test]
    fn unknown_odata_type_is_an_error_and_the_next_policy_loads() {
        let (file, parsed) = fixture("bad_unknown_odata_type.json");
        assert_eq!(
            errors(&parsed),
            [(
                3,
                20,
                "unknown `@odata.type` `#contoso.customPolicy`: expected a `#microsoft.graph.*` type"
            )]
        );
        assert_eq!(
            file.slice(parsed.errors[0].location.unwrap().span),
            "\"#contoso.customPolicy\""
        );
        assert_eq!(parsed.policies.len(), 1);
        assert_eq!(
            (parsed.policies[0].kind, parsed.policies[0].name.as_str()),
            (PolicyKind::Compliance, "Still read")
        );
    }

    #[test]
    fn unknown_setting_instance_type_is_an_error_at_the_type() {
        let (file, parsed) = fixture("bad_unknown_instance.json");
        let [error] = &parsed.errors[..] else {
            panic!("{:?}", parsed.errors)
        };
        assert_eq!((error.line, error.column), (Some(9), Some(24)));
        assert!(error.message.starts_with(
            "unknown setting instance type `#microsoft.graph.deviceManagementConfigurationRangeSettingInstance`: expected"
        ));
        assert_eq!(
            file.slice(error.location.unwrap().span),
            "\"#microsoft.graph.deviceManagementConfigurationRangeSettingInstance\""
        );
        assert_eq!(parsed.policies[0].settings.len(), 1);
        assert_eq!(parsed.policies[0].settings[0].value, Value::Int(15));
    }

    #[test]
    fn unrecognised_and_empty_documents_are_errors() {
        let (_, parsed) = text("  \n");
        assert_eq!(
            errors(&parsed),
            [(2, 1, "empty JSON document: expected an object or array")]
        );
        let (_, parsed) = text("42");
        assert_eq!(
            errors(&parsed),
            [(1, 1, "expected a JSON object or array, found a number")]
        );
        let (_, parsed) = text(r#"{"foo": 1}"#);
        assert!(
            errors(&parsed)[0]
                .2
                .starts_with("unrecognised JSON object: expected an Intune policy")
        );
        let (_, parsed) = text(r#"{"value": [1, {"@odata.type": 5}]}"#);
        assert_eq!(
            errors(&parsed),
            [
                (
                    1,
                    12,
                    "expected an object (a policy, group or assignment filter), found a number"
                ),
                (
                    1,
                    31,
                    "expected `@odata.type` to be a string, found a number"
                ),
            ]
        );
        let (_, parsed) = text(r#""\"not json""#);
        assert!(errors(&parsed)[0].2.starts_with("invalid JSON"));
    }
}
