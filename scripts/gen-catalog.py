#!/usr/bin/env python3
"""Generate src/catalog/catalog.json, the settings catalog embedded in baselint.

Inputs (defaults relative to the repository root):
  --policy-csp     ../shared/catalog/policy-csp.json      Policy CSP records (DDF + ADMX facts)
  --settings-map   ../shared/docs/settings-map.toml       hand-curated cross-source map
  --hardeningkitty ../shared/corpus/finding-lists/scipag__HardeningKitty/lists   finding lists (CSV)
Output:
  --out            src/catalog/catalog.json               one JSON record per line

Python 3.11+ standard library only. See src/catalog/README.md for the record format and the
key and value conventions; this script is their reference implementation.
"""

import argparse
import csv
import difflib
import json
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# HardeningKitty adds these notes to a setting name; they are not part of the Windows name.
HK_NOTE = re.compile(r"\s*\((member|dc|dc only|ms only|min|max)\)\s*$", re.IGNORECASE)
# The short service name HardeningKitty appends to a service display name: "Remote Registry (RemoteRegistry)".
HK_SERVICE = re.compile(r"\s*\(([A-Za-z0-9_]+)\)\s*$")
PARENTHESES = re.compile(r"\([^)]*\)")
HIVE_PREFIXES = [
    ("hkey_local_machine\\", "hklm\\"),
    ("hkey_current_user\\", "hkcu\\"),
    ("machine\\", "hklm\\"),
    ("hklm:\\", "hklm\\"),
    ("hkcu:\\", "hkcu\\"),
    ("./vendor/msft/", "./device/vendor/msft/"),
    ("vendor/msft/", "./device/vendor/msft/"),
    ("device/vendor/msft/", "./device/vendor/msft/"),
    ("user/vendor/msft/", "./user/vendor/msft/"),
]
# Record fields in output order.
FIELDS = [
    "key", "title", "short_id", "scope", "oma_uri", "definition_id", "registry", "registry_aliases",
    "shares_registry_with", "setting_of", "security_option", "other_names", "format", "admx_backed", "values",
    "default", "options", "parent", "element", "value_list",
]


# ---------------------------------------------------------------------------------------------
# Small helpers


def normalise_alias(alias):
    """Mirror of catalog::normalise_alias in src/catalog/mod.rs: keep the two in step."""
    lower = alias.strip().lower()
    if len(lower) > 1 and lower.endswith("."):
        lower = lower[:-1]
    if len(lower) > 1 and lower.startswith("{") and lower.endswith("}"):
        lower = lower[1:-1]
    for prefix, replacement in HIVE_PREFIXES:
        if lower.startswith(prefix):
            return replacement + lower[len(prefix):]
    return lower


def compact(name):
    """A setting name reduced for matching across sources: no punctuation or case."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def compact_loose(name):
    """`compact` without parenthesised parts, to match a name against a CSP policy node name."""
    return compact(PARENTHESES.sub("", name))


def strip_period(name):
    return name.strip().rstrip(".").strip() if name else name


def strip_hk_notes(name):
    previous = None
    while previous != name:
        previous, name = name, HK_NOTE.sub("", name).strip()
    return name


def registry_path(hive, key, value_name):
    """`HKLM\\<key>\\<value name>`; the top-level key (SOFTWARE, SYSTEM) upper-cased."""
    key = key.strip().strip("\\")
    for prefix in ("HKLM:\\", "HKCU:\\", "HKLM\\", "HKCU\\"):
        if key.upper().startswith(prefix):
            key = key[len(prefix):]
    top, sep, rest = key.partition("\\")
    if top.upper() in ("SOFTWARE", "SYSTEM"):
        top = top.upper()
    return f"{hive}\\{top}{sep}{rest}\\{value_name}"


def int_or_str(text, as_int):
    """An integer where the setting is numeric and the text is one (as Rust's i64 parse), else the text."""
    if as_int and re.fullmatch(r"[+-]?[0-9]+", text) and -(2**63) <= int(text) < 2**63:
        return int(text)
    return text


# ---------------------------------------------------------------------------------------------
# Sources


def load_policies(path):
    with open(path, encoding="utf-8") as f:
        policies = json.load(f)
    drop_shared_security_names(policies)
    return policies


def drop_shared_security_names(policies):
    """A security policy name given to two policies stays only with the one named like it.

    The DDF names `UserRights/DenyLocalLogOn` "Deny log on as a service" as well as
    `DenyLogOnAsService`.
    """
    by_name = {}
    for policy in policies:
        if policy.get("security_policy_name"):
            by_name.setdefault(compact(policy["security_policy_name"]), []).append(policy)
    for name, group in by_name.items():
        if len(group) < 2:
            continue
        owner = max(group, key=lambda p: difflib.SequenceMatcher(None, compact(p["policy"]), name).ratio())
        for policy in group:
            if policy is not owner:
                warn(f"{policy['area']}/{policy['policy']}: security policy name "
                     f"{policy['security_policy_name']!r} belongs to another policy; dropped")
                policy["security_policy_name"] = None


def load_settings_map(path):
    with open(path, "rb") as f:
        return tomllib.load(f)["setting"]


class HardeningKitty:
    """Facts from the HardeningKitty finding lists, by compact setting name."""

    def __init__(self, folder):
        self.security_options = {}  # compact name -> (name, registry path)
        self.services = {}  # compact display name -> registry path of the Start value
        self.privileges = {}  # compact user right name -> privilege constant
        self.audit = {}  # compact subcategory name ("audit ..." form) -> GUID
        for path in sorted(Path(folder).glob("*.csv")):
            with open(path, encoding="utf-8") as f:
                for row in csv.DictReader(f):
                    self.add(row)

    def add(self, row):
        category, method, name = row["Category"], row["Method"], strip_hk_notes(row["Name"].strip())
        name = strip_period(name)
        if method == "Registry" and category == "Security Options" and row["RegistryPath"]:
            path = registry_path("HKLM", row["RegistryPath"], row["RegistryItem"])
            self.security_options.setdefault(compact(name), (name, path))
        elif method == "Registry" and category == "System Services" and row["RegistryItem"] == "Start":
            display = HK_SERVICE.sub("", name)
            self.services.setdefault(compact(display), registry_path("HKLM", row["RegistryPath"], "Start"))
        elif method == "accesschk" and category == "User Rights Assignment":
            self.privileges.setdefault(compact(name), row["MethodArgument"])
        elif method == "auditpol":
            self.audit.setdefault(compact("Audit " + name), row["MethodArgument"].strip("{}").lower())

    def security_option_for_policy(self, policy_name):
        """The one security option whose name reads like a CSP node name, or None."""
        wanted = compact(policy_name)
        found = {v[1].lower(): v for v in self.security_options.values() if compact_loose(v[0]) == wanted}
        return next(iter(found.values())) if len(found) == 1 else None


# ---------------------------------------------------------------------------------------------
# Names GPO sources use (GptTmpl.inf, gpreport.xml)

# `[System Access]` names in GptTmpl.inf (and `Account` / `SystemAccessPolicyName` in gpreport.xml)
# for the Policy CSP policy that sets the same value. [MS-GPSB] 2.2.1 lists the names.
SYSTEM_ACCESS_NAMES = {
    ("DeviceLock", "MinimumPasswordAge"): "MinimumPasswordAge",
    ("DeviceLock", "MaximumPasswordAge"): "MaximumPasswordAge",
    ("DeviceLock", "MinimumPasswordLength"): "MinimumPasswordLength",
    ("DeviceLock", "PasswordComplexity"): "PasswordComplexity",
    ("DeviceLock", "PasswordHistorySize"): "PasswordHistorySize",
    ("DeviceLock", "ClearTextPassword"): "ClearTextPassword",
    ("DeviceLock", "AllowAdministratorLockout"): "AllowAdministratorLockout",
    ("LocalPoliciesSecurityOptions", "NetworkAccess_AllowAnonymousSIDOrNameTranslation"): "LSAAnonymousNameLookup",
    ("LocalPoliciesSecurityOptions", "Accounts_EnableAdministratorAccountStatus"): "EnableAdminAccount",
    ("LocalPoliciesSecurityOptions", "Accounts_EnableGuestAccountStatus"): "EnableGuestAccount",
    ("LocalPoliciesSecurityOptions", "Accounts_RenameAdministratorAccount"): "NewAdministratorName",
    ("LocalPoliciesSecurityOptions", "Accounts_RenameGuestAccount"): "NewGuestName",
    ("LocalPoliciesSecurityOptions", "NetworkSecurity_ForceLogoffWhenLogonHoursExpire"): "ForceLogoffWhenHourExpire",
}

# Service short names (the `Services\<name>` key GptTmpl.inf `[Service General Setting]` and
# gpreport.xml `SystemServices` name) for the SystemServices policies HardeningKitty gives no
# registry path for.
SERVICE_SHORT_NAMES = {
    "ConfigureHomeGroupListenerServiceStartupMode": "HomeGroupListener",
    "ConfigureHomeGroupProviderServiceStartupMode": "HomeGroupProvider",
    "ConfigureInternetConnectionSharingServiceStartupMode": "SharedAccess",
    "ConfigureWindowsMobileHotspotServiceStartupMode": "icssvc",
    "ConfigureXboxAccessoryManagementServiceStartupMode": "XboxGipSvc",
    "ConfigureXboxLiveAuthManagerServiceStartupMode": "XblAuthManager",
    "ConfigureXboxLiveGameSaveServiceStartupMode": "XblGameSave",
    "ConfigureXboxLiveNetworkingServiceStartupMode": "XboxNetApiSvc",
}


def admx_report_name(policy, scope):
    """`admx:computer/<category path>/<display name>` as baselint builds it from a gpreport.xml
    `Policy` (`Category` with `/` separators, `Name`); `admx:user/...` for user scope."""
    gp = policy.get("gp") or {}
    if gp.get("kind") != "admx" or not gp.get("friendly_name") or not gp.get("path"):
        return None
    half = "user" if scope == "user" else "computer"
    category = "/".join(part.strip() for part in gp["path"].split(" > "))
    return f"admx:{half}/{category}/{gp['friendly_name'].strip()}"


def add_gpo_names(record, policy, scope):
    """Aliases for the names GPO exports use: ADMX display names (ADMX-backed records only, so
    Enabled/Disabled keep the record's meaning), `[System Access]` names, service short names."""
    names = []
    if policy["admx_backed"]:
        names.append(admx_report_name(policy, scope))
    names.append(SYSTEM_ACCESS_NAMES.get((policy["area"], policy["policy"])))
    service = SERVICE_SHORT_NAMES.get(policy["policy"])
    if policy["area"] == "SystemServices" and service and record["registry"] is None:
        names.append(registry_path("HKLM", f"SYSTEM\\CurrentControlSet\\Services\\{service}", "Start"))
    for name in names:
        if name and name.lower() not in (n.lower() for n in record["other_names"]):
            record["other_names"].append(name)


# ---------------------------------------------------------------------------------------------
# Records from policy-csp.json


def policy_title(policy):
    gp = policy.get("gp") or {}
    return (
        strip_period(policy.get("security_policy_name"))
        or gp.get("friendly_name")
        or f"{policy['area']}/{policy['policy']}"
    )


def policy_registry(policy, hive):
    """The registry value a CSP policy's own value lands in, or None.

    ADMX-backed policies: the policy-level value (Enabled/Disabled), unless one of its elements
    writes the same value (the element child then owns it).
    Native policies mapped to an ADMX policy: only where the CSP value is the registry data,
    which the DDF does not state. Accepted: the ADMX element the DDF names (`gp.element`), the
    only element of a policy without a policy-level value, or a policy-level value named like
    the CSP policy. Rejected: `AllowRealtimeMonitoring` (CSP 1 = allow) onto
    `DisableRealtimeMonitoring` (1 = off) and the like.
    """
    reg = policy.get("registry")
    if not reg or not hive:
        return None
    elements = {e["id"]: e for e in reg.get("elements", []) if e.get("value_name")}
    own = registry_path(hive, reg["key"], reg["value_name"]) if reg.get("value_name") else None
    if policy["admx_backed"]:
        written = {element_path(hive, reg, e).lower() for e in elements.values()}
        return own if own and own.lower() not in written else None
    gp = policy.get("gp") or {}
    wanted = gp.get("element")
    if wanted in elements:
        return element_path(hive, reg, elements[wanted])
    if wanted and wanted != gp.get("name"):
        return None
    if own is None and len(elements) == 1:
        return element_path(hive, reg, next(iter(elements.values())))
    if own and compact(reg["value_name"]) == compact(policy["policy"]):
        return own
    return None


def element_path(hive, reg, element):
    return registry_path(hive, element.get("key") or reg["key"], element["value_name"])


def admx_value(spec, fallback):
    """Registry data of an ADMX `enabledValue`/`disabledValue`/item value."""
    if not spec or spec.get("type") == "delete":
        return fallback
    return int_or_str(spec["value"], spec["type"] in ("decimal", "longDecimal"))


def admx_states(policy, has_registry_value):
    """Values and options of an ADMX-backed policy: `_1` Enabled, `_0` Disabled.

    When the record is keyed by the policy's registry value, Enabled/Disabled normalise to the
    registry data the policy writes (LocalAccountTokenFilterPolicy: Enabled = 0); otherwise to
    1 and 0.
    """
    reg = policy.get("registry") or {}
    enabled, disabled = 1, 0
    if has_registry_value:
        enabled = admx_value(reg.get("enabled_value"), 1)
        disabled = admx_value(reg.get("disabled_value"), 0)
    values = [{"value": str(enabled), "label": "Enabled"}, {"value": str(disabled), "label": "Disabled"}]
    return values, {"1": enabled, "0": disabled}


# Native CSP policies whose registry value holds other data than the CSP value (the DDF does not
# say how they map). SmartScreen/PreventOverrideForFilesInShell writes ShellSmartScreenLevel:
# 0 "Do not prevent override" = `Warn`, 1 "Prevent override" = `Block` (Policy CSP reference,
# SmartScreen: "0 - Employees can ignore SmartScreen warnings", "1 - ... can't ignore").
# Defender/AllowCloudProtection writes SpynetReporting ("Join Microsoft MAPS"): 1 "Allowed" is
# MAPS membership, which Defender runs as Advanced (2) since Basic membership was retired
# (Defender's MAPS reference: Basic is treated as Advanced); so the CSP's 1 is the 2 that
# Microsoft's security baseline and GPOs write, and 0 is Disabled.
REGISTRY_DATA = {
    "./Device/Vendor/MSFT/Policy/Config/SmartScreen/PreventOverrideForFilesInShell": {"0": "Warn", "1": "Block"},
    "./Device/Vendor/MSFT/Policy/Config/Defender/AllowCloudProtection": {"0": 0, "1": 2},
}


def with_registry_data(record):
    """Options and values of a native CSP policy in its registry value's data (`REGISTRY_DATA`)."""
    data = REGISTRY_DATA.get(record["oma_uri"])
    if not data or not record.get("registry"):
        return
    record["format"] = "int" if all(isinstance(d, int) for d in data.values()) else "chr"
    record["options"] = dict(data)
    record["values"] = [{"value": str(data[v["value"]]), "label": v["label"]} for v in record["values"]]


def policy_uris(policies):
    """The OMA-URIs of Policy CSP policies given as (scope, area, policy)."""
    return {f"./{scope}/Vendor/MSFT/Policy/Config/{area}/{policy}" for scope, area, policy in policies}


# Native CSP policies that allow what their Group Policy twin's registry value disables:
# `Defender/AllowBehaviorMonitoring` (1 = allowed) is the setting GP and the STIG/CIS checks hold
# as `...\Real-Time Protection\DisableBehaviorMonitoring` (0 = on). The DDF names the GP policy
# (`gp`) and the table its registry value, but not that the data is the CSP value inverted, so
# these are listed: each is a 0/1 ENUM whose labels say "Allowed" or "Turns on" for 1, and whose
# registry value is named `Disable<X>` for the CSP's `Allow<X>` (Policy CSP reference, Defender
# and Experience areas). Left out: System/AllowLocation (three states onto one 0/1 value) and
# Experience/AllowSpotlightCollection (a range, not a choice).
INVERTED_REGISTRY = policy_uris(
    [
        ("Device", "Defender", "AllowArchiveScanning"),
        ("Device", "Defender", "AllowBehaviorMonitoring"),
        ("Device", "Defender", "AllowEmailScanning"),
        ("Device", "Defender", "AllowFullScanOnMappedNetworkDrives"),
        ("Device", "Defender", "AllowFullScanRemovableDriveScanning"),
        ("Device", "Defender", "AllowIOAVProtection"),
        ("Device", "Defender", "AllowOnAccessProtection"),
        ("Device", "Defender", "AllowRealtimeMonitoring"),
        ("Device", "Defender", "AllowScanningNetworkFiles"),
        ("User", "Experience", "AllowTailoredExperiencesWithDiagnosticData"),
        ("User", "Experience", "AllowThirdPartySuggestionsInWindowsSpotlight"),
        ("Device", "Experience", "AllowWindowsConsumerFeatures"),
        ("User", "Experience", "AllowWindowsSpotlight"),
        ("User", "Experience", "AllowWindowsSpotlightOnActionCenter"),
        ("User", "Experience", "AllowWindowsSpotlightOnSettings"),
        ("User", "Experience", "AllowWindowsSpotlightWindowsWelcomeExperience"),
        ("Device", "Experience", "AllowWindowsTips"),
    ]
)
INVERTED_DATA = {"0": 1, "1": 0}

# Native CSP policies whose value is their Group Policy twin's registry data under another name:
# `LanmanWorkstation/EnableInsecureGuestLogons` 0/1 is `AllowInsecureGuestAuth` 0/1, which the
# STIG (WN11-CC-000040) and CIS (18.6.8.1) check. `policy_registry` keeps only registry values
# named like the policy, since the DDF does not say the data is the CSP value; these were checked
# by hand against the Policy CSP reference and the ADMX (0/1 ENUMs whose 1 is the GP policy
# Enabled, `enabledValue` 1, `disabledValue` 0). Left out from the same DDF pattern: the legacy
# Edge `Browser` area, `Experience/AllowWindowsTips` (inverted: `DisableSoftLanding`),
# `Connectivity/DisallowNetworkConnectivityActiveTests` (labels that contradict the name), and the
# Windows Security UI policies (one `UILockdown` value name for several keys).
SAME_DATA_REGISTRY = policy_uris(
    [
        ("Device", "ApplicationManagement", "MSIAllowUserControlOverInstall"),
        ("Device", "ApplicationManagement", "MSIAlwaysInstallWithElevatedPrivileges"),
        ("User", "ApplicationManagement", "MSIAlwaysInstallWithElevatedPrivileges"),
        ("User", "Education", "PreventAddingNewPrinters"),
        ("Device", "LanmanWorkstation", "EnableInsecureGuestLogons"),
        ("Device", "Licensing", "DisallowKMSClientOnlineAVSValidation"),
        ("Device", "Notifications", "DisallowCloudNotification"),
        ("User", "Notifications", "DisallowTileNotification"),
        ("Device", "System", "AllowFontProviders"),
        ("Device", "System", "DisableOneDriveFileSync"),
        ("Device", "System", "TurnOffFileHistory"),
        ("Device", "WebThreatDefense", "AutomaticDataCollection"),
        ("Device", "Wifi", "AllowAutoConnectToWiFiSenseHotspots"),
    ]
)

# Names of a record's setting besides its own, by the record's OMA-URI: the `_v2` Settings
# Catalog definition Intune moved *Interactive logon: Machine inactivity limit* to (same
# seconds), and the Defender CSP names of two ADMX_MicrosoftDefenderAntivirus settings
# (`CSP_TWIN_SETTINGS`, below).
EXTRA_NAMES = {
    "./Device/Vendor/MSFT/Policy/Config/LocalPoliciesSecurityOptions/InteractiveLogon_MachineInactivityLimit": [
        "device_vendor_msft_policy_config_localpoliciessecurityoptions_interactivelogon_machineinactivitylimit_v2",
    ],
    "./Device/Vendor/MSFT/Policy/Config/ADMX_MicrosoftDefenderAntivirus/DisableLocalAdminMerge": [
        "./Vendor/MSFT/Defender/Configuration/DisableLocalAdminMerge",
        "device_vendor_msft_defender_configuration_disablelocaladminmerge",
    ],
    "./Device/Vendor/MSFT/Policy/Config/ADMX_MicrosoftDefenderAntivirus/MpEngine_EnableFileHashComputation": [
        "./Vendor/MSFT/Defender/Configuration/EnableFileHashComputation",
        "device_vendor_msft_defender_configuration_enablefilehashcomputation",
    ],
}

# ADMX element children that lose their registry value to another record (`shares_registry_with`)
# but write the same data to it as that record takes: the same setting, so what they set is kept
# under the winner's key (`setting_of`), where a Registry.pol or a STIG check on that value
# looks. Checked by hand against the winner's values: SmartScreen's level (`Warn`/`Block`, the
# native PreventOverrideForFilesInShell's data), Defender's scan day (0-8), scan time (minutes),
# quarantine purge (days) and three signature update strings, the NTP client elements that
# ConfigureNtpClient and the W32Time ADMX share, and the power scheme GUID. Left out: the
# SpynetReporting level (0-2 against AllowCloudProtection's 0/1), the cipher suite and curve
# lists (the CSPs take other list formats), and policy-level values (Enabled/Disabled).
SAME_REGISTRY_DATA = {
    "device_vendor_msft_policy_config_admx_windowsexplorer_enablesmartscreen_enablesmartscreendropdown",
    "device_vendor_msft_policy_config_admx_microsoftdefenderantivirus_scan_scheduleday_scan_scheduleday",
    "device_vendor_msft_policy_config_admx_microsoftdefenderantivirus_scan_scheduletime_scan_scheduletime",
    "device_vendor_msft_policy_config_admx_microsoftdefenderantivirus_quarantine_purgeitemsafterdelay_quarantine_purgeitemsafterdelay",
    "device_vendor_msft_policy_config_admx_microsoftdefenderantivirus_signatureupdate_definitionupdatefilesharessources_signatureupdate_definitionupdatefilesharessources",
    "device_vendor_msft_policy_config_admx_microsoftdefenderantivirus_signatureupdate_fallbackorder_signatureupdate_fallbackorder",
    "device_vendor_msft_policy_config_admx_microsoftdefenderantivirus_signatureupdate_sharedsignatureslocation_signatureupdate_sharedsignatureslocation",
    "device_vendor_msft_policy_config_admx_power_inboxactiveschemeoverride_2_inboxactiveschemeoverrideenter",
    "device_vendor_msft_policy_config_mixedreality_configurentpclient_w32time_ntpserver",
    "device_vendor_msft_policy_config_mixedreality_configurentpclient_w32time_type",
    "device_vendor_msft_policy_config_mixedreality_configurentpclient_w32time_crosssitesyncflags",
    "device_vendor_msft_policy_config_mixedreality_configurentpclient_w32time_resolvepeerbackoffminutes",
    "device_vendor_msft_policy_config_mixedreality_configurentpclient_w32time_resolvepeerbackoffmaxtimes",
    "device_vendor_msft_policy_config_mixedreality_configurentpclient_w32time_specialpollinterval",
    "device_vendor_msft_policy_config_mixedreality_configurentpclient_w32time_ntpclienteventlogflags",
}


def with_twin(record, policy, hive):
    """A listed policy (`INVERTED_REGISTRY`, `SAME_DATA_REGISTRY`) stands for its Group Policy
    twin's registry value (`twin_registry`: claimed, or joined to the record that owns it, in
    `KeyAssigner`); it must be a 0/1 policy with such a value."""
    reg = policy.get("registry") or {}
    if not hive or not reg.get("value_name") or {v["value"] for v in record["values"]} != {"0", "1"}:
        sys.exit(f"error: {record['oma_uri']} is not a 0/1 policy with a registry value")
    record["twin_registry"] = registry_path(hive, reg["key"], reg["value_name"])
    record["format"] = "int"


def with_inverted_registry(record, policy, hive):
    """A policy of `INVERTED_REGISTRY`: its values in its twin's registry data."""
    if record["oma_uri"] not in INVERTED_REGISTRY:
        return
    with_twin(record, policy, hive)
    labels = {v["value"]: v["label"] for v in record["values"]}
    record["options"] = dict(INVERTED_DATA)
    # The label names the CSP value, since a report shows the data where the export has the CSP
    # value: "set to 1 (AllowRealtimeMonitoring = 0: Not allowed. ...)".
    name = record["oma_uri"].rsplit("/", 1)[1]
    record["values"] = [
        {"value": str(INVERTED_DATA[v]), "label": f"{name} = {v}: {labels[v]}"} for v in ("1", "0")
    ]
    if record.get("default") in INVERTED_DATA:
        record["default"] = str(INVERTED_DATA[record["default"]])


def with_twin_registry(record, policy, hive):
    """A policy of `SAME_DATA_REGISTRY`: the registry value it writes its own value to."""
    if record["oma_uri"] not in SAME_DATA_REGISTRY:
        return
    with_twin(record, policy, hive)
    # A GPO report's Enabled / Disabled is the registry data 1 / 0: this policy's own values.
    name = admx_report_name(policy, record["scope"])
    if name:
        record["other_names"].append(name)


def enum_values(policy):
    allowed = policy.get("allowed") or {}
    if allowed.get("type") != "ENUM":
        return [], None
    as_int = policy["format"] == "int"
    values, options = [], {}
    for item in allowed["values"]:
        values.append({"value": item["value"], "label": item.get("label") or ""})
        options[item["value"].lower()] = int_or_str(item["value"], as_int)
    return values, options


def parent_record(policy, scope, hk):
    hive = (policy.get("registry_hives") or {}).get(scope)
    registry = policy_registry(policy, hive)
    record = {
        "title": policy_title(policy),
        "scope": scope,
        "oma_uri": policy["oma_uris"][scope],
        "definition_id": policy["setting_definition_ids"][scope],
        "registry": registry,
        "registry_aliases": [],
        "security_option": strip_period(policy.get("security_policy_name")),
        "other_names": [],
        "format": policy["format"],
        "admx_backed": policy["admx_backed"],
        "default": policy.get("default"),
        "hk_registry": False,
    }
    if policy["admx_backed"]:
        record["values"], record["options"] = admx_states(policy, registry is not None)
    else:
        record["values"], record["options"] = enum_values(policy)
        with_registry_data(record)
        with_inverted_registry(record, policy, hive)
        with_twin_registry(record, policy, hive)
        record["value_list"] = CSP_VALUE_LISTS.get(record["oma_uri"])
    record["other_names"] += EXTRA_NAMES.get(record["oma_uri"], [])
    add_hardeningkitty_facts(record, policy, hk)
    add_gpo_names(record, policy, scope)
    return record


def add_hardeningkitty_facts(record, policy, hk):
    """Security option registry values, service Start values, privilege constants, audit GUIDs."""
    name = record["security_option"]
    if policy["area"] == "LocalPoliciesSecurityOptions" and not name:
        match = hk.security_option_for_policy(policy["policy"])
        if match:
            record["security_option"] = record["title"] = name = match[0]
    if not name:
        return
    key = hk_security_option_key(compact(name), record["values"], hk)
    if key in hk.security_options:
        hk_name, path = hk.security_options[key]
        # Another spelling of the name is an alias; a name with a value's label after it is not.
        if hk_name.lower() != name.lower() and key == compact(name):
            record["other_names"].append(hk_name)
        if record["registry"] is None:
            record["registry"], record["hk_registry"] = path, True
    elif policy["area"] == "SystemServices" and key in hk.services and record["registry"] is None:
        record["registry"], record["hk_registry"] = hk.services[key], True
    elif policy["area"] == "UserRights" and key in hk.privileges:
        record["other_names"].append(hk.privileges[key])
    elif policy["area"] == "Audit" and key in hk.audit:
        record["other_names"].append(hk.audit[key])


def hk_security_option_key(key, values, hk):
    """The HardeningKitty key of a security option: its compact name, or that name followed by
    one of its values' labels, which some lists append to the name (the Microsoft 24H2 list's
    "User Account Control: Configure type of Admin Approval Mode Admin approval mode with
    enhanced privilege protection")."""
    if key in hk.security_options:
        return key
    with_label = (key + compact(v["label"]) for v in values if v["label"])
    return next((k for k in with_label if k in hk.security_options), key)


def element_record(policy, scope, parent, element):
    """A Settings Catalog child setting for one ADMX element that writes a registry value."""
    hive = (policy.get("registry_hives") or {}).get(scope)
    if not hive:
        return None
    kind = element["type"]
    record = {
        "title": f"{parent['title']}: {element['id']}",
        "scope": scope,
        "definition_id": f"{parent['definition_id']}_{element['id'].lower()}",
        "registry": element_path(hive, policy["registry"], element),
        "registry_aliases": [],
        "other_names": [],
        "format": "int" if kind in ("decimal", "longDecimal", "boolean") else "chr",
        "admx_backed": False,
        "parent_record": parent,
        "element": element["id"],
        "values": [],
        "options": None,
    }
    if kind == "enum":
        items = [i for i in element.get("items", []) if i.get("value") and i["value"]["type"] != "delete"]
        as_int = all(i["value"]["type"] in ("decimal", "longDecimal") for i in items)
        record["format"] = "int" if as_int else "chr"
        record["values"] = [{"value": i["value"]["value"], "label": i.get("label") or ""} for i in items]
        record["options"] = {i["value"]["value"].lower(): int_or_str(i["value"]["value"], as_int) for i in items}
    elif kind == "boolean":
        # A check box without a `falseValue` (or with `<delete/>`) deletes its value when
        # cleared: Group Policy writes `**del.<value>` to Registry.pol (the NSA Secure Host
        # Baseline's EnableScriptBlockInvocationLogging), so a cleared box is the value not
        # configured (JSON null), as Registry.pol reads it, not 0.
        true, false = admx_value(element.get("true_value"), 1), admx_value(element.get("false_value"), None)
        record["values"] = [{"value": str(true), "label": "Enabled"}]
        if false is not None:
            record["values"].append({"value": str(false), "label": "Disabled"})
        record["options"] = {"1": true, "0": false}
    return record


def value_list_record(policy, scope, parent, element):
    """A Settings Catalog child setting for an ADMX list that names its values (`explicitValue`):
    each entry is a registry value named by the entry's name under the list's key (Hardened UNC
    Paths: `HKLM\\...\\HardenedPaths\\\\*\\NETLOGON` = its flags)."""
    hive = (policy.get("registry_hives") or {}).get(scope)
    key = element.get("key") or (policy.get("registry") or {}).get("key")
    if not hive or not key:
        return None
    return {
        "title": f"{parent['title']}: {element['id']}",
        "scope": scope,
        "definition_id": f"{parent['definition_id']}_{element['id'].lower()}",
        "registry": None,
        "registry_aliases": [],
        "other_names": [],
        "format": "chr",
        "admx_backed": False,
        "parent_record": parent,
        "element": element["id"],
        "values": [],
        "options": None,
        "value_list": f"{hive}\\{key}",
    }


def numbered_list_record(policy, scope, parent, element):
    """A Settings Catalog child setting for an ADMX list whose entries are plain values (device
    IDs to block): Group Policy writes each entry as a value of the list's key, named `1`, `2`...
    (`valuePrefix=""`) or after the entry itself (no `valuePrefix`). The setting is the whole
    list, keyed by the list's key with `\\*` for "every value of it"
    (`HKLM\\...\\Restrictions\\DenyDeviceIDs\\*`): Settings Catalog collections, GPO report
    list boxes and Registry.pol values of that key all read into it."""
    hive = (policy.get("registry_hives") or {}).get(scope)
    key = element.get("key") or (policy.get("registry") or {}).get("key")
    if not hive or not key:
        return None
    return {
        "title": f"{parent['title']}: {element['id']}",
        "scope": scope,
        "definition_id": f"{parent['definition_id']}_{element['id'].lower()}",
        "registry": registry_path(hive, key, "*"),
        "registry_aliases": [],
        "other_names": [],
        "format": "list",
        "admx_backed": False,
        "parent_record": parent,
        "element": element["id"],
        "values": [],
        "options": None,
    }


# Defender Attack Surface Reduction rules: the Settings Catalog lists each rule as a choice
# (`..._attacksurfacereductionrules_<name>`, options off/block/audit/warn), Group Policy and CIS
# as a registry value named by the rule's GUID under ASR\Rules (0 off, 1 block, 2 audit, 6 warn).
# Neither table gives the pairing; it is Microsoft's ASR rules reference, checked against the
# HardeningKitty lists (name and GUID of 16 rules) and public scripts.
ASR_KEY = "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Windows Defender Exploit Guard\\ASR\\Rules"
ASR_RULES = [
    ("blockabuseofexploitedvulnerablesigneddrivers", "56a863a9-875e-4185-98a7-b882c64b5ce5",
     "Block abuse of exploited vulnerable signed drivers"),
    ("blockadobereaderfromcreatingchildprocesses", "7674ba52-37eb-4a4f-a9a1-f0f9a1619a2c",
     "Block Adobe Reader from creating child processes"),
    ("blockallofficeapplicationsfromcreatingchildprocesses", "d4f940ab-401b-4efc-aadc-ad5f3c50688a",
     "Block all Office applications from creating child processes"),
    ("blockcredentialstealingfromwindowslocalsecurityauthoritysubsystem", "9e6c4e1f-7d60-472f-ba1a-a39ef669e4b2",
     "Block credential stealing from the Windows local security authority subsystem (lsass.exe)"),
    ("blockexecutablecontentfromemailclientandwebmail", "be9ba2d9-53ea-4cdc-84e5-9b1eeee46550",
     "Block executable content from email client and webmail"),
    ("blockexecutablefilesrunningunlesstheymeetprevalenceagetrustedlistcriterion",
     "01443614-cd74-433a-b99e-2ecdc07bfc25",
     "Block executable files from running unless they meet a prevalence, age, or trusted list criterion"),
    ("blockexecutionofpotentiallyobfuscatedscripts", "5beb7efe-fd9a-4556-801d-275e5ffc04cc",
     "Block execution of potentially obfuscated scripts"),
    ("blockjavascriptorvbscriptfromlaunchingdownloadedexecutablecontent", "d3e037e1-3eb8-44c8-a917-57927947596d",
     "Block JavaScript or VBScript from launching downloaded executable content"),
    ("blockofficeapplicationsfromcreatingexecutablecontent", "3b576869-a4ec-4529-8536-b80a7769e899",
     "Block Office applications from creating executable content"),
    ("blockofficeapplicationsfrominjectingcodeintootherprocesses", "75668c1f-73b5-4cf0-bb93-3ecf5cb7cc84",
     "Block Office applications from injecting code into other processes"),
    ("blockofficecommunicationappfromcreatingchildprocesses", "26190899-1602-49e8-8b27-eb1d0a1ce869",
     "Block Office communication application from creating child processes"),
    ("blockpersistencethroughwmieventsubscription", "e6db77e5-3df2-4cf1-b95a-636979351e5b",
     "Block persistence through WMI event subscription"),
    ("blockprocesscreationsfrompsexecandwmicommands", "d1e49aac-8f56-4280-b9ba-993a6d77406c",
     "Block process creations originating from PSExec and WMI commands"),
    ("blockrebootingmachineinsafemode", "33ddedf1-c6e0-47cb-833e-de6133960387",
     "Block rebooting machine in Safe Mode"),
    ("blockuntrustedunsignedprocessesthatrunfromusb", "b2b3f03d-6a65-4f7b-a9c7-1c7ef74a9ba4",
     "Block untrusted and unsigned processes that run from USB"),
    ("blockuseofcopiedorimpersonatedsystemtools", "c0033c00-d16d-4114-a5a0-dc9b3a7d2ceb",
     "Block use of copied or impersonated system tools"),
    ("blockwebshellcreationforservers", "a8f5898e-1dc8-49a9-9878-85004b8a61e6",
     "Block Webshell creation for Servers"),
    ("blockwin32apicallsfromofficemacros", "92e97fa1-2edf-4476-bdd6-9dd0b4dddc7b",
     "Block Win32 API calls from Office macros"),
    ("useadvancedprotectionagainstransomware", "c1db55ab-c21a-4637-bb3f-a12568109d35",
     "Use advanced protection against ransomware"),
]
ASR_STATES = [("off", 0, "Off"), ("block", 1, "Block"), ("audit", 2, "Audit"), ("warn", 6, "Warn")]
# Defender's remediation action per threat alert level: the Settings Catalog lists each level as a
# choice (`..._threatseveritydefaultaction_<level>`, options clean/quarantine/.../block), Group
# Policy ("Specify threat alert levels at which default action should not be taken when
# detected", a list of explicit values) and the Defender STIG (WNDF-AV-000031, -40, -41, -42) as a
# REG_SZ value named by the level's id under Threats\ThreatSeverityDefaultAction, whose data is
# the action. Level ids from the STIG's check texts (1 low, 2 moderate, 4 high, 5 severe);
# actions from Defender's MPTHREAT_ACTION enumeration (1 clean, 2 quarantine, 3 remove, 6 allow,
# 8 user defined, 10 block); option suffixes as Settings Catalog exports spell them.
THREAT_ACTION_KEY = "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender\\Threats\\ThreatSeverityDefaultAction"
THREAT_LEVELS = [
    ("lowseveritythreats", 1, "low severity threats"),
    ("moderateseveritythreats", 2, "moderate severity threats"),
    ("highseveritythreats", 4, "high severity threats"),
    ("severethreats", 5, "severe threats"),
]
THREAT_ACTIONS = [
    ("clean", 1, "Clean"), ("quarantine", 2, "Quarantine"), ("remove", 3, "Remove"),
    ("allow", 6, "Allow"), ("userdefined", 8, "User defined"), ("block", 10, "Block"),
]
# Native CSP policies whose value is a `name=data|name=data` string of registry values under one
# key (Defender CSP: AttackSurfaceReductionRules = `<rule GUID>=<state>|...`,
# ThreatSeverityDefaultAction = `<level id>=<action>|...`).
CSP_VALUE_LISTS = {
    "./Device/Vendor/MSFT/Policy/Config/Defender/AttackSurfaceReductionRules": ASR_KEY,
    "./Device/Vendor/MSFT/Policy/Config/Defender/ThreatSeverityDefaultAction": THREAT_ACTION_KEY,
}


# Windows Firewall: Group Policy (and CIS section 9) keeps each profile's settings under
# `...\WindowsFirewall\<Profile>Profile`, Intune sets them through the Firewall CSP
# (`./Vendor/MSFT/Firewall/MdmStore/<Profile>Profile/...`, Settings Catalog
# `vendor_msft_firewall_mdmstore_...`), which the Policy CSP table does not list. The pairs
# below follow the Firewall CSP reference; each CSP node holds the registry value's meaning
# (true = 1; DefaultInboundAction 1 = block, as in the registry; DisableInboundNotifications is
# DisableNotifications; the log settings sit under `Logging`).
FIREWALL_KEY = "HKLM\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall"
FIREWALL_PROFILES = ["Domain", "Private", "Public"]
FIREWALL_SETTINGS = [
    # (CSP node, registry value under the profile, kind, title)
    ("EnableFirewall", "EnableFirewall", "bool", "Firewall state"),
    ("DefaultInboundAction", "DefaultInboundAction", "action", "Inbound connections"),
    ("DefaultOutboundAction", "DefaultOutboundAction", "action", "Outbound connections"),
    ("DisableInboundNotifications", "DisableNotifications", "bool", "Do not display a notification"),
    ("AllowLocalPolicyMerge", "AllowLocalPolicyMerge", "bool", "Apply local firewall rules"),
    ("AllowLocalIpsecPolicyMerge", "AllowLocalIPsecPolicyMerge", "bool", "Apply local connection security rules"),
    ("DisableUnicastResponsesToMulticastBroadcast", "DisableUnicastResponsesToMulticastBroadcast", "bool",
     "Do not allow unicast response"),
    ("LogFilePath", "Logging\\LogFilePath", "path", "Logging: Name"),
    ("LogMaxFileSize", "Logging\\LogFileSize", "int", "Logging: Size limit (KB)"),
    ("EnableLogDroppedPackets", "Logging\\LogDroppedPackets", "bool", "Logging: Log dropped packets"),
    ("EnableLogSuccessConnections", "Logging\\LogSuccessfulConnections", "bool", "Logging: Log successful connections"),
]
FIREWALL_KINDS = {
    "bool": ("int", [("1", "Yes (true)"), ("0", "No (false)")], {"true": 1, "false": 0}),
    "action": ("int", [("0", "Allow"), ("1", "Block")], {"0": 0, "1": 1}),
    "int": ("int", [], None),
    "path": ("chr", [], None),
}


def firewall_records():
    """One record per firewall profile and setting: its registry value, its Firewall CSP node."""
    records = []
    for profile in FIREWALL_PROFILES:
        for node, value, kind, title in FIREWALL_SETTINGS:
            fmt, values, options = FIREWALL_KINDS[kind]
            records.append({
                "title": f"Windows Firewall: {profile}: {title}",
                "scope": "device",
                "oma_uri": f"./Vendor/MSFT/Firewall/MdmStore/{profile}Profile/{node}",
                "definition_id": f"vendor_msft_firewall_mdmstore_{profile.lower()}profile_{node.lower()}",
                "registry": f"{FIREWALL_KEY}\\{profile}Profile\\{value}",
                "registry_aliases": [],
                # How a GPO report names it: the profile element, then the value's own name.
                "other_names": [f"firewall:{profile}Profile/{value.rsplit(chr(92), 1)[-1]}"],
                "format": fmt,
                "admx_backed": False,
                "values": [{"value": v, "label": label} for v, label in values],
                "options": options,
            })
    return records


# SMB client and server policies of Windows 11 24H2 (Policy CSP LanmanServer and
# LanmanWorkstation areas, LanmanServer.admx / LanmanWorkstation.admx), newer than the DDF
# edition of policy-csp.json: the Settings Catalog sets them as choices whose option is the
# registry data (`..._minsmb2dialect_768`) or as a number. Registry value names from Microsoft's
# security baseline for 24H2 (HardeningKitty's list of it, rows 10710-10726); the CSP's
# `AuthRateLimiterDelayInMs` is `InvalidAuthenticationDelayTimeInMs`. On/off policies also carry
# their Group Policy name (Enabled = 1); the dialects and the delay are set through an element of
# their GP policy, whose display name the catalog does not know, so they carry none.
LANMAN_KEY = "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows"
SMB_DIALECTS = [(514, "SMB 2.0.2"), (528, "SMB 2.1.0"), (768, "SMB 3.0.0"), (770, "SMB 3.0.2"), (785, "SMB 3.1.1")]
ON_OFF = [(0, "Disabled"), (1, "Enabled")]
LANMAN_SETTINGS = [
    # (area, CSP policy, registry value, Group Policy name or None, values or None for a number)
    ("LanmanServer", "AuditClientDoesNotSupportEncryption", None, "Audit client does not support encryption", ON_OFF),
    ("LanmanServer", "AuditClientDoesNotSupportSigning", None, "Audit client does not support signing", ON_OFF),
    ("LanmanServer", "AuditInsecureGuestLogon", None, "Audit insecure guest logon", ON_OFF),
    ("LanmanServer", "AuthRateLimiterDelayInMs", "InvalidAuthenticationDelayTimeInMs", None, None),
    ("LanmanServer", "EnableAuthRateLimiter", None, "Enable authentication rate limiter", ON_OFF),
    ("LanmanServer", "EnableMailslots", None, "Enable remote mailslots", ON_OFF),
    ("LanmanServer", "MaxSmb2Dialect", None, None, SMB_DIALECTS),
    ("LanmanServer", "MinSmb2Dialect", None, None, SMB_DIALECTS),
    ("LanmanWorkstation", "AuditInsecureGuestLogon", None, "Audit insecure guest logon", ON_OFF),
    ("LanmanWorkstation", "AuditServerDoesNotSupportEncryption", None, "Audit server does not support encryption", ON_OFF),
    ("LanmanWorkstation", "AuditServerDoesNotSupportSigning", None, "Audit server does not support signing", ON_OFF),
    ("LanmanWorkstation", "EnableMailslots", None, "Enable remote mailslots", ON_OFF),
    ("LanmanWorkstation", "MaxSmb2Dialect", None, None, SMB_DIALECTS),
    ("LanmanWorkstation", "MinSmb2Dialect", None, None, SMB_DIALECTS),
    ("LanmanWorkstation", "RequireEncryption", None, "Require Encryption", ON_OFF),
]


# BitLocker CSP policies (`./Device/Vendor/MSFT/BitLocker/...`), which policy-csp.json leaves out
# (a CSP of its own): each is "a direct mapping to the BitLocker Group Policy" of
# VolumeEncryption.admx (BitLocker CSP reference), ADMX-backed, with the GP policy's elements as
# its `<data id>`s and Settings Catalog children (`..._configurepinusagedropdown_name_1`). They
# are written in policy-csp.json's shape and go through the same records as its ADMX-backed
# policies. Registry values are those of the STIG (WN11-00-000031 UseAdvancedStartup and
# UseTPMPIN / UseTPMKeyPIN, WN11-00-000032 MinimumPIN) and CIS 18.10.9.x; the startup dropdowns'
# data is the CSP's "2 = Optional, 1 = Required, 0 = Disallowed", labelled as Group Policy shows
# them (a GPO report's dropdown gives the label). `ELEMENT_NAMES` holds the display names a report
# gives elements that no element id matches.
#
# The recovery, encryption type, removable-drive, PIN-change, slate, InstantGo and identification
# policies follow VolumeEncryption.admx (Windows 10+) and its ADML: element ids, registry value
# names and enum data from the ADMX, labels from the ADML's strings, cross-checked against CIS
# 18.10.9.x (HardeningKitty's list) and the BitLocker CSP reference. The deny-write-access
# policies write under SYSTEM\CurrentControlSet\Policies (RDVCrossOrg has its own key).
BITLOCKER_ROOT = "Windows Components > BitLocker Drive Encryption"
BITLOCKER_PATH = f"{BITLOCKER_ROOT} > Operating System Drives"
BITLOCKER_FDV_PATH = f"{BITLOCKER_ROOT} > Fixed Data Drives"
BITLOCKER_RDV_PATH = f"{BITLOCKER_ROOT} > Removable Data Drives"
FVE_KEY = "SOFTWARE\\Policies\\Microsoft\\FVE"
FVE_SYSTEM_KEY = "SYSTEM\\CurrentControlSet\\Policies\\Microsoft\\FVE"


def decimal(data):
    """An ADMX `<decimal value=..>` as policy-csp.json writes it."""
    return {"type": "decimal", "value": str(data)}


def dropdown(element_id, value_name, items):
    """An ADMX enum element: (data, label) items."""
    items = [{"label": label, "value": decimal(data)} for data, label in items]
    return {"id": element_id, "type": "enum", "value_name": value_name, "items": items}


def usage_dropdown(element_id, value_name, what):
    return dropdown(element_id, value_name, [(2, f"Allow {what}"), (1, f"Require {what}"), (0, f"Do not allow {what}")])


def flag(element_id, value_name):
    return {"id": element_id, "type": "boolean", "value_name": value_name, "true_value": decimal(1),
            "false_value": decimal(0)}


def text(element_id, value_name):
    return {"id": element_id, "type": "text", "value_name": value_name}


def bitlocker_policy(policy, gp_name, friendly, value_name, elements, path=BITLOCKER_PATH, key=FVE_KEY):
    registry = {"key": key, "elements": elements}
    if value_name:
        registry.update(value_name=value_name, enabled_value=decimal(1), disabled_value=decimal(0))
    return {
        "area": "BitLocker",
        "policy": policy,
        "scopes": ["device"],
        "oma_uris": {"device": f"./Device/Vendor/MSFT/BitLocker/{policy}"},
        "setting_definition_ids": {"device": f"device_vendor_msft_bitlocker_{policy.lower()}"},
        "format": "chr",
        "admx_backed": True,
        "security_policy_name": None,
        "gp": {"name": gp_name, "admx_file": "VolumeEncryption.admx", "kind": "admx", "friendly_name": friendly,
               "path": path},
        "registry": registry,
        "registry_hives": {"device": "HKLM"},
    }


def bitlocker_policies():
    encryption_methods = [(3, "AES-CBC 128-bit"), (4, "AES-CBC 256-bit"), (6, "XTS-AES 128-bit"), (7, "XTS-AES 256-bit")]

    def method(element_id, value_name):
        return dropdown(element_id, value_name, encryption_methods)

    startup = bitlocker_policy(
        "SystemDrivesRequireStartupAuthentication", "ConfigureAdvancedStartup_Name",
        "Require additional authentication at startup", "UseAdvancedStartup",
        [
            flag("ConfigureNonTPMStartupKeyUsage_Name", "EnableBDEWithNoTPM"),
            usage_dropdown("ConfigureTPMUsageDropDown_Name", "UseTPM", "TPM"),
            usage_dropdown("ConfigurePINUsageDropDown_Name", "UseTPMPIN", "startup PIN with TPM"),
            usage_dropdown("ConfigureTPMStartupKeyUsageDropDown_Name", "UseTPMKey", "startup key with TPM"),
            usage_dropdown("ConfigureTPMPINKeyUsageDropDown_Name", "UseTPMKeyPIN", "startup key and PIN with TPM"),
        ],
    )
    minimum_pin = bitlocker_policy(
        "SystemDrivesMinimumPINLength", "MinimumPINLength_Name", "Configure minimum PIN length for startup", None,
        [{"id": "MinPINLength", "type": "decimal", "value_name": "MinimumPIN"}],
    )
    enhanced_pin = bitlocker_policy(
        "SystemDrivesEnhancedPIN", "EnhancedPIN_Name", "Allow enhanced PINs for startup", "UseEnhancedPin", []
    )
    methods = bitlocker_policy(
        "EncryptionMethodByDriveType", "EncryptionMethodWithXts_Name",
        "Choose drive encryption method and cipher strength (Windows 10 [Version 1511] and later)", None,
        [
            method("EncryptionMethodWithXtsOsDropDown_Name", "EncryptionMethodWithXtsOs"),
            method("EncryptionMethodWithXtsFdvDropDown_Name", "EncryptionMethodWithXtsFdv"),
            method("EncryptionMethodWithXtsRdvDropDown_Name", "EncryptionMethodWithXtsRdv"),
        ],
    )
    methods["gp"]["path"] = BITLOCKER_ROOT
    removable = bitlocker_policy(
        "RemovableDrivesRequireEncryption", "RDVDenyWriteAccess_Name",
        "Deny write access to removable drives not protected by BitLocker", "RDVDenyWriteAccess",
        [flag("RDVCrossOrg", "RDVDenyCrossOrg") | {"key": FVE_KEY}], BITLOCKER_RDV_PATH, FVE_SYSTEM_KEY,
    )
    fixed_write = bitlocker_policy(
        "FixedDrivesRequireEncryption", "FDVDenyWriteAccess_Name",
        "Deny write access to fixed drives not protected by BitLocker", "FDVDenyWriteAccess", [],
        BITLOCKER_FDV_PATH, FVE_SYSTEM_KEY,
    )
    return [startup, minimum_pin, enhanced_pin, methods, removable, fixed_write,
            *bitlocker_recovery_policies(), *bitlocker_encryption_type_policies(), *bitlocker_other_policies()]


def bitlocker_recovery_policies():
    """*Choose how BitLocker-protected … drives can be recovered*, for OS and fixed drives (the
    CSP has no removable-drive recovery policy)."""

    def recovery(policy, prefix, gp_name, drives, path, stored):
        return bitlocker_policy(
            policy, gp_name, f"Choose how BitLocker-protected {drives} can be recovered", f"{prefix}Recovery",
            [
                flag(f"{prefix}AllowDRA_Name", f"{prefix}ManageDRA"),
                usage_dropdown(f"{prefix}RecoveryPasswordUsageDropDown_Name", f"{prefix}RecoveryPassword",
                               "48-digit recovery password"),
                usage_dropdown(f"{prefix}RecoveryKeyUsageDropDown_Name", f"{prefix}RecoveryKey", "256-bit recovery key"),
                flag(f"{prefix}HideRecoveryPage_Name", f"{prefix}HideRecoveryPage"),
                flag(f"{prefix}ActiveDirectoryBackup_Name", f"{prefix}ActiveDirectoryBackup"),
                dropdown(f"{prefix}ActiveDirectoryBackupDropDown_Name", f"{prefix}ActiveDirectoryInfoToStore",
                         [(1, f"{stored} recovery passwords and key packages"), (2, f"{stored} recovery passwords only")]),
                flag(f"{prefix}RequireActiveDirectoryBackup_Name", f"{prefix}RequireActiveDirectoryBackup"),
            ],
            path,
        )

    return [
        recovery("SystemDrivesRecoveryOptions", "OS", "OSRecoveryUsage_Name", "operating system drives",
                 BITLOCKER_PATH, "Store"),
        recovery("FixedDrivesRecoveryOptions", "FDV", "FDVRecoveryUsage_Name", "fixed drives",
                 BITLOCKER_FDV_PATH, "Backup"),
    ]


def bitlocker_encryption_type_policies():
    """*Enforce drive encryption type on … drives*: the dropdown writes the policy's value."""
    types = [(0, "Allow user to choose (default)"), (1, "Full encryption"), (2, "Used Space Only encryption")]
    return [
        bitlocker_policy(
            policy, f"{prefix}EncryptionType_Name", f"Enforce drive encryption type on {drives}", None,
            [dropdown(f"{prefix}EncryptionTypeDropDown_Name", f"{prefix}EncryptionType", types)], path,
        )
        for policy, prefix, drives, path in [
            ("SystemDrivesEncryptionType", "OS", "operating system drives", BITLOCKER_PATH),
            ("FixedDrivesEncryptionType", "FDV", "fixed data drives", BITLOCKER_FDV_PATH),
            ("RemovableDrivesEncryptionType", "RDV", "removable data drives", BITLOCKER_RDV_PATH),
        ]
    ]


def bitlocker_other_policies():
    message_sources = [(0, "(empty)"), (1, "Use default recovery message and URL"),
                       (2, "Use custom recovery message"), (3, "Use custom recovery URL")]
    return [
        bitlocker_policy(
            "SystemDrivesRecoveryMessage", "PrebootRecoveryInfo_Name", "Configure pre-boot recovery message and URL",
            None,
            [dropdown("PrebootRecoveryInfoDropDown_Name", "RecoveryKeyMessageSource", message_sources),
             text("RecoveryMessage_Input", "RecoveryKeyMessage"), text("RecoveryUrl_Input", "RecoveryKeyUrl")],
        ),
        bitlocker_policy(
            "SystemDrivesDisallowStandardUsersCanChangePIN", "DisallowStandardUsersCanChangePIN_Name",
            "Disallow standard users from changing the PIN or password", "DisallowStandardUserPINReset", [],
        ),
        bitlocker_policy(
            "SystemDrivesEnablePrebootInputProtectorsOnSlates", "EnablePrebootInputProtectorsOnSlates_Name",
            "Enable use of BitLocker authentication requiring preboot keyboard input on slates",
            "OSEnablePrebootInputProtectorsOnSlates", [],
        ),
        bitlocker_policy(
            "SystemDrivesEnablePreBootPinExceptionOnDECapableDevice", "EnablePreBootPinExceptionOnDECapableDevice_Name",
            "Allow devices compliant with InstantGo or HSTI to opt out of pre-boot PIN.",
            "OSEnablePreBootPinExceptionOnDECapableDevice", [],
        ),
        bitlocker_policy(
            "RemovableDrivesConfigureBDE", "RDVConfigureBDE", "Control use of BitLocker on removable drives",
            "RDVConfigureBDE", [flag("RDVAllowBDE_Name", "RDVAllowBDE"), flag("RDVDisableBDE_Name", "RDVDisableBDE")],
            BITLOCKER_RDV_PATH,
        ),
        bitlocker_policy(
            "IdentificationField", "IdentificationField_Name", "Provide the unique identifiers for your organization",
            "IdentificationField",
            [text("IdentificationField", "IdentificationFieldString"),
             text("SecIdentificationField", "SecondaryIdentificationField")],
            BITLOCKER_ROOT,
        ),
    ]


# Display names a GPO report gives ADMX elements that no element id matches (the catalog has no
# ADML), by (OMA-URI of the policy, element id): BitLocker's elements, as VolumeEncryption.adml's
# presentations label them. The recovery policies' password and key dropdowns have no label of
# their own there, so they are left out (a report's kind match does not guess between two).
BITLOCKER_ELEMENT_NAMES = {
    "SystemDrivesRequireStartupAuthentication": [
        ("ConfigureNonTPMStartupKeyUsage_Name",
         "Allow BitLocker without a compatible TPM (requires a password or a startup key on a USB flash drive)"),
        ("ConfigureTPMUsageDropDown_Name", "Configure TPM startup:"),
        ("ConfigurePINUsageDropDown_Name", "Configure TPM startup PIN:"),
        ("ConfigureTPMStartupKeyUsageDropDown_Name", "Configure TPM startup key:"),
        ("ConfigureTPMPINKeyUsageDropDown_Name", "Configure TPM startup key and PIN:"),
    ],
    "SystemDrivesRecoveryOptions": [
        ("OSAllowDRA_Name", "Allow data recovery agent"),
        ("OSHideRecoveryPage_Name", "Omit recovery options from the BitLocker setup wizard"),
        ("OSActiveDirectoryBackup_Name", "Save BitLocker recovery information to AD DS for operating system drives"),
        ("OSActiveDirectoryBackupDropDown_Name", "Configure storage of BitLocker recovery information to AD DS:"),
        ("OSRequireActiveDirectoryBackup_Name",
         "Do not enable BitLocker until recovery information is stored to AD DS for operating system drives"),
    ],
    "FixedDrivesRecoveryOptions": [
        ("FDVAllowDRA_Name", "Allow data recovery agent"),
        ("FDVHideRecoveryPage_Name", "Omit recovery options from the BitLocker setup wizard"),
        ("FDVActiveDirectoryBackup_Name", "Save BitLocker recovery information to AD DS for fixed data drives"),
        ("FDVActiveDirectoryBackupDropDown_Name", "Configure storage of BitLocker recovery information to AD DS:"),
        ("FDVRequireActiveDirectoryBackup_Name",
         "Do not enable BitLocker until recovery information is stored to AD DS for fixed data drives"),
    ],
    "SystemDrivesRecoveryMessage": [
        ("PrebootRecoveryInfoDropDown_Name", "Select an option for the pre-boot recovery message:"),
        ("RecoveryMessage_Input", "Custom recovery message option:"),
        ("RecoveryUrl_Input", "Custom recovery URL option:"),
    ],
    "RemovableDrivesConfigureBDE": [
        ("RDVAllowBDE_Name", "Allow users to apply BitLocker protection on removable data drives"),
        ("RDVDisableBDE_Name", "Allow users to suspend and decrypt BitLocker protection on removable data drives"),
    ],
    "IdentificationField": [
        ("IdentificationField", "BitLocker identification field:"),
        ("SecIdentificationField", "Allowed BitLocker identification field:"),
    ],
}
ELEMENT_NAMES = {
    (f"./Device/Vendor/MSFT/BitLocker/{policy}", element): name
    for policy, names in BITLOCKER_ELEMENT_NAMES.items()
    for element, name in names
}


# The check boxes of the Group Policy processing policies (*Configure registry policy
# processing* and its siblings, `ADMX_GroupPolicy/CSE_*`), by element id prefix: each policy has
# two or three, so a report's check boxes cannot be told apart by kind. STIG WN11-CC-000090
# checks the registry policy's `NoGPOListChanges` = 0. Display names as GPMC reports show them.
ELEMENT_NAME_PREFIXES = {
    ("ADMX_GroupPolicy", "CSE_NOCHANGES"): "Process even if the Group Policy objects have not changed",
    ("ADMX_GroupPolicy", "CSE_NOBACKGROUND"): "Do not apply during periodic background processing",
}


def element_display_name(policy, parent, element):
    """The display name a GPO report gives an element, where the catalog knows it."""
    shown = ELEMENT_NAMES.get((parent["oma_uri"], element["id"]))
    if shown:
        return shown
    for (area, prefix), name in ELEMENT_NAME_PREFIXES.items():
        if policy["area"] == area and element["id"].startswith(prefix):
            return name
    return None


# The policies whose value Group Policy sets through an element, by (area, CSP policy): the GP
# policy and the element's display name, as a GPO report names them (`Network/Lanman Server/
# Mandate the minimum version of SMB/Version:`). LanmanServer.admx / LanmanWorkstation.admx and
# their ADML (Windows 11 24H2): the dialect policies are one policy each with one dropdown
# labelled "Version:", the delay a number box labelled "Value (milliseconds):".
LANMAN_GP_ELEMENTS = {
    (area, policy): names
    for area in ("LanmanServer", "LanmanWorkstation")
    for policy, names in [
        ("MinSmb2Dialect", ("Mandate the minimum version of SMB", "Version:")),
        ("MaxSmb2Dialect", ("Mandate the maximum version of SMB", "Version:")),
    ]
} | {
    ("LanmanServer", "AuthRateLimiterDelayInMs"): (
        "Set authentication rate limiter delay (milliseconds)", "Value (milliseconds):"),
}

# Keys other than the area's own (`...\Windows\LanmanServer`): remote mailslots are the
# browser's (`Bowser`) on the server side and the network provider's on the client side (the
# ADMX, the CSP reference and CIS 18.6.7.x; HardeningKitty's 24H2 baseline list puts both under
# the Lanman keys, which the ADMX does not).
LANMAN_KEYS = {
    ("LanmanServer", "EnableMailslots"): "Bowser",
    ("LanmanWorkstation", "EnableMailslots"): "NetworkProvider",
}


def native_record(title, oma_uri, definition_id, registry, values, options, fmt="int", other_names=(),
                  registry_aliases=()):
    """A device record of a native CSP setting the script writes itself (not from policy-csp.json):
    keyed by `registry`, named by its OMA-URI and Settings Catalog id; `values` are
    (data, label) pairs, `options` Settings Catalog option suffixes to data (None: the values)."""
    return {
        "title": title,
        "scope": "device",
        "oma_uri": oma_uri,
        "definition_id": definition_id,
        "registry": registry,
        "registry_aliases": list(registry_aliases),
        "other_names": list(other_names),
        "format": fmt,
        "admx_backed": False,
        "values": [{"value": str(data), "label": label} for data, label in values or []],
        "options": options,
    }


# BitLocker CSP settings with no Group Policy equivalent (MDM only, BitLocker CSP reference): the
# silent-encryption switches and recovery password rotation. Keyed by their OMA-URI; the Settings
# Catalog options are the values.
BITLOCKER_MDM_SETTINGS = [
    ("RequireDeviceEncryption", "BitLocker: Require device encryption",
     [(0, "Encryption is not required"), (1, "Encryption is required")]),
    ("AllowWarningForOtherDiskEncryption", "BitLocker: Allow warning for other disk encryption",
     [(0, "Disable the warning prompt (silent encryption)"), (1, "Warning prompt allowed")]),
    ("AllowStandardUserEncryption", "BitLocker: Allow standard user encryption",
     [(0, "Silent encryption only for administrators"), (1, "Silent encryption for standard users too")]),
    ("ConfigureRecoveryPasswordRotation", "BitLocker: Configure recovery password rotation",
     [(0, "Refresh off"), (1, "Refresh on for Microsoft Entra joined devices"),
      (2, "Refresh on for Microsoft Entra joined and hybrid joined devices")]),
]


def bitlocker_mdm_records():
    """One record per MDM-only BitLocker CSP setting (`BITLOCKER_MDM_SETTINGS`)."""
    return [
        native_record(title, f"./Device/Vendor/MSFT/BitLocker/{policy}",
                      f"device_vendor_msft_bitlocker_{policy.lower()}", None, values, None)
        for policy, title, values in BITLOCKER_MDM_SETTINGS
    ]


def lanman_records():
    """One record per 24H2 SMB policy (`LANMAN_SETTINGS`)."""
    records = []
    for area, policy, value, gp_name, values in LANMAN_SETTINGS:
        area_title = "Lanman Server" if area == "LanmanServer" else "Lanman Workstation"
        other_names = [f"admx:computer/Network/{area_title}/{gp_name}"] if gp_name else []
        if (area, policy) in LANMAN_GP_ELEMENTS:
            gp_policy, element = LANMAN_GP_ELEMENTS[(area, policy)]
            other_names.append(f"admx:computer/Network/{area_title}/{gp_policy}/{element}")
        key = LANMAN_KEYS.get((area, policy), area)
        records.append(native_record(
            f"{area_title}: {gp_name or policy}",
            f"./Device/Vendor/MSFT/Policy/Config/{area}/{policy}",
            f"device_vendor_msft_policy_config_{area.lower()}_{policy.lower()}",
            f"{LANMAN_KEY}\\{key}\\{value or policy}",
            values, None, other_names=other_names,
        ))
    return records


# Windows LAPS (`./Device/Vendor/MSFT/LAPS/Policies/<Name>`, Settings Catalog
# `device_vendor_msft_laps_policies_<name>`), a CSP of its own that policy-csp.json leaves out.
# Its settings are those of LAPS.admx ("System > LAPS"), which writes them under `LAPS_KEY`, where
# CIS 18.9.25.x checks them; the CSP keeps them under `LAPS_CSP_KEY` by the same names (a
# registry alias). Windows LAPS reads one root only, the CSP's first: a device with both takes
# none of the GPO's values (Windows LAPS policy settings, "Policy root key"), so a GPO and an
# Intune policy that set one LAPS value differently do conflict. Values and labels from the LAPS
# CSP reference and LAPS.adml (GP labels, so a GPO report's dropdowns map); the CSP's booleans
# are the Settings Catalog's `_true` / `_false` options and GP's Enabled / Disabled 1 / 0. Each
# record names the GP policy, or the GP policy and element its value is set through, as a GPO
# report shows them. Left out: ADBackupDSRMPassword (no CSP node: domain controllers only).
LAPS_KEY = "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Policies\\LAPS"
LAPS_CSP_KEY = "HKLM\\SOFTWARE\\Microsoft\\Policies\\LAPS"
LAPS_BOOLEAN = [(1, "Enabled"), (0, "Disabled")]
LAPS_SETTINGS = [
    # (CSP node, format, values or None, GP policy, GP element or None, other definition ids)
    ("BackupDirectory", "int", [(0, "Disabled"), (1, "Azure Active Directory"), (2, "Active Directory")],
     "Configure password backup directory", "Backup directory", []),
    ("PasswordComplexity", "int", [
        (1, "Large letters"), (2, "Large letters + small letters"),
        (3, "Large letters + small letters + numbers"), (4, "Large letters + small letters + numbers + specials"),
        (5, "Large letters + small letters + numbers + specials (improved readability)"),
        (6, "Passphrase (long words)"), (7, "Passphrase (short words)"),
        (8, "Passphrase (short words with unique prefixes)"),
    ], "Password Settings", "Password Complexity", []),
    ("PasswordLength", "int", None, "Password Settings", "Password Length", []),
    # Two Settings Catalog definitions (AD 1-365 days, Entra ID 7-365) write the one CSP node.
    ("PasswordAgeDays", "int", None, "Password Settings", "Password Age (Days)",
     ["device_vendor_msft_laps_policies_passwordagedays_aad"]),
    ("PassphraseLength", "int", None, "Password Settings", "Passphrase Length (words)", []),
    ("AdministratorAccountName", "chr", None, "Name of administrator account to manage",
     "Administrator account name", []),
    ("PasswordExpirationProtectionEnabled", "int", LAPS_BOOLEAN,
     "Do not allow password expiration time longer than required by policy", None, []),
    ("ADPasswordEncryptionEnabled", "int", LAPS_BOOLEAN, "Enable password encryption", None, []),
    ("ADPasswordEncryptionPrincipal", "chr", None, "Configure authorized password decryptors",
     "Authorized password decryptor", []),
    ("ADEncryptedPasswordHistorySize", "int", None, "Configure size of encrypted password history",
     "Encrypted password history size", []),
    ("PostAuthenticationResetDelay", "int", None, "Post-authentication actions", "Grace period (hours):", []),
    ("PostAuthenticationActions", "int", [
        (0, "Disabled - take no actions"), (1, "Reset the password"),
        (3, "Reset the password and logoff the managed account"), (5, "Reset the password and reboot the device"),
        (11, "Reset the password, logoff the managed account, and terminate any remaining processes"),
    ], "Post-authentication actions", "Actions:", []),
    ("AutomaticAccountManagementEnabled", "int", LAPS_BOOLEAN, "Configure automatic account management", None, []),
    ("AutomaticAccountManagementTarget", "int",
     [(0, "Manage the built-in admin account"), (1, "Manage a custom admin account")],
     "Configure automatic account management", "Specify the target account to manage:", []),
    ("AutomaticAccountManagementNameOrPrefix", "chr", None, "Configure automatic account management",
     "Automatic account name (or name prefix):", []),
    ("AutomaticAccountManagementEnableAccount", "int", LAPS_BOOLEAN, "Configure automatic account management",
     "Enable the managed account", []),
    ("AutomaticAccountManagementRandomizeName", "int", LAPS_BOOLEAN, "Configure automatic account management",
     "Randomize the name of the managed account", []),
]


def laps_records():
    """One record per Windows LAPS CSP setting (`LAPS_SETTINGS`)."""
    records = []
    for node, fmt, values, gp_policy, element, other_ids in LAPS_SETTINGS:
        gp_name = f"{gp_policy}/{element}" if element else gp_policy
        options = None
        if values == LAPS_BOOLEAN:
            options = {"true": 1, "false": 0}
        elif values:
            options = {str(data): data for data, _ in values}
        records.append(native_record(
            f"LAPS: {gp_policy}" + (f": {element.rstrip(':')}" if element else ""),
            f"./Device/Vendor/MSFT/LAPS/Policies/{node}",
            f"device_vendor_msft_laps_policies_{node.lower()}",
            f"{LAPS_KEY}\\{node}",
            values, options, fmt,
            other_names=[f"admx:computer/System/LAPS/{gp_name}", *other_ids],
            registry_aliases=[f"{LAPS_CSP_KEY}\\{node}"],
        ))
    return records


# Defender CSP `Configuration` settings (`./Vendor/MSFT/Defender/Configuration/<Name>`, Settings
# Catalog `device_vendor_msft_defender_configuration_<name>`) and one PassportForWork setting that
# baselines check as Group Policy's registry values (Microsoft's 24H2 baseline, CIS 18.10.8.1.1,
# STIG V-63677), with the same data: 1 = the GP policy Enabled. Checked against the Defender and
# PassportForWork CSP references and the Settings Catalog's options (`_1`, `_true`). Defender's
# DisableLocalAdminMerge and EnableFileHashComputation already have records (their
# ADMX_MicrosoftDefenderAntivirus twins, which `EXTRA_NAMES` names so. Left out:
# PassiveRemediation (a bit mask whose CSP values were not verified) and the update channels (no
# baseline row).
DEFENDER_KEY = "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows Defender"
DEFENDER_AV = "Windows Components/Microsoft Defender Antivirus"
CSP_TWIN_SETTINGS = [
    # (OMA-URI, definition id, registry, GP name (admx:computer/...), option suffixes)
    ("./Vendor/MSFT/Defender/Configuration/HideExclusionsFromLocalAdmins",
     "device_vendor_msft_defender_configuration_hideexclusionsfromlocaladmins",
     f"{DEFENDER_KEY}\\HideExclusionsFromLocalAdmins",
     f"{DEFENDER_AV}/Control whether or not exclusions are visible to Local Admins", ("1", "0")),
    ("./Vendor/MSFT/Defender/Configuration/HideExclusionsFromLocalUsers",
     "device_vendor_msft_defender_configuration_hideexclusionsfromlocalusers",
     f"{DEFENDER_KEY}\\HideExclusionsFromLocalUsers",
     f"{DEFENDER_AV}/Control whether exclusions are visible to local users", ("1", "0")),
    ("./Vendor/MSFT/Defender/Configuration/EnableConvertWarnToBlock",
     "device_vendor_msft_defender_configuration_enableconvertwarntoblock",
     f"{DEFENDER_KEY}\\NIS\\EnableConvertWarnToBlock",
     f"{DEFENDER_AV}/Network Inspection System/Convert warn verdict to block", ("1", "0")),
    ("./Vendor/MSFT/Defender/Configuration/QuickScanIncludeExclusions",
     "device_vendor_msft_defender_configuration_quickscanincludeexclusions",
     f"{DEFENDER_KEY}\\Scan\\QuickScanIncludeExclusions",
     f"{DEFENDER_AV}/Scan/Scan excluded files and directories during quick scans", ("1", "0")),
    ("./Device/Vendor/MSFT/PassportForWork/Biometrics/FacialFeaturesUseEnhancedAntiSpoofing",
     "device_vendor_msft_passportforwork_biometrics_facialfeaturesuseenhancedantispoofing",
     "HKLM\\SOFTWARE\\Policies\\Microsoft\\Biometrics\\FacialFeatures\\EnhancedAntiSpoofing",
     "Windows Components/Biometrics/Facial Features/Configure enhanced anti-spoofing", ("true", "false")),
]


def csp_twin_records():
    """One record per `CSP_TWIN_SETTINGS` row: keyed by the registry value, named by the CSP."""
    return [
        native_record(
            gp_name.rsplit("/", 1)[1], oma_uri, definition_id, registry, [(1, "Enabled"), (0, "Disabled")],
            {on: 1, off: 0}, other_names=[f"admx:computer/{gp_name}"],
        )
        for oma_uri, definition_id, registry, gp_name, (on, off) in CSP_TWIN_SETTINGS
    ]


def choice_value_records(key, definition_prefix, states, rows):
    """One record per (choice name, registry value name, title) of a native CSP list whose
    Settings Catalog form is one choice per entry (`<definition_prefix>_<choice name>`) and
    whose Group Policy form is one registry value per entry under `key`; `states` are the
    (option suffix, data, label) every entry takes."""
    return [
        native_record(
            title, None, f"{definition_prefix}_{name}", f"{key}\\{value_name}",
            [(data, label) for _, data, label in states], {suffix: data for suffix, data, _ in states},
        )
        for name, value_name, title in rows
    ]


def asr_records():
    """One record per ASR rule: its registry value, its Settings Catalog choice and its states."""
    return choice_value_records(
        ASR_KEY, "device_vendor_msft_policy_config_defender_attacksurfacereductionrules", ASR_STATES,
        [(name, guid, f"Attack Surface Reduction rule: {title}") for name, guid, title in ASR_RULES],
    )


def threat_action_records():
    """One record per threat alert level: its registry value, its Settings Catalog choice, the
    remediation actions."""
    return choice_value_records(
        THREAT_ACTION_KEY, "device_vendor_msft_policy_config_defender_threatseveritydefaultaction",
        THREAT_ACTIONS,
        [(name, level_id, f"Microsoft Defender Antivirus: remediation action for {level}")
         for name, level_id, level in THREAT_LEVELS],
    )


def policy_records(policies, hk):
    parents, children = [], []
    for policy in policies:
        for scope in policy["scopes"]:
            parent = parent_record(policy, scope, hk)
            parents.append(parent)
            if not policy["admx_backed"]:
                continue
            for element in (policy.get("registry") or {}).get("elements", []):
                if element.get("value_name"):
                    child = element_record(policy, scope, parent, element)
                    shown = element_display_name(policy, parent, element)
                    report_name = admx_report_name(policy, scope)
                    if child and shown and report_name:
                        child["other_names"].append(f"{report_name}/{shown}")
                        child["title"] = f"{parent['title']}: {shown.rstrip(':')}"
                elif element.get("type") == "list" and element.get("explicitValue") == "true":
                    child = value_list_record(policy, scope, parent, element)
                elif element.get("type") == "list":
                    child = numbered_list_record(policy, scope, parent, element)
                else:
                    child = None
                if child:
                    children.append(child)
    return parents, children


# ---------------------------------------------------------------------------------------------
# Curated settings-map entries


def unique_paths(paths, exclude=None):
    seen = {exclude.lower()} if exclude else set()
    out = []
    for path in paths:
        if path.lower() not in seen:
            seen.add(path.lower())
            out.append(path)
    return out


def curated_registry(entry):
    reg = entry.get("registry") or {}
    if reg.get("hive") in ("HKLM", "HKCU") and reg.get("value"):
        return registry_path(reg["hive"], reg["path"], reg["value"])
    return None


def find_curated_match(entry, by_alias):
    csp = entry.get("csp") or {}
    for alias in (entry.get("intune_setting_definition_id"), csp.get("uri"), curated_registry(entry)):
        if alias and normalise_alias(alias) in by_alias:
            return by_alias[normalise_alias(alias)]
    return None


def curated_options(entry, record):
    definition_id = entry.get("intune_setting_definition_id") or ""
    options = {}
    for option_id, value in (entry.get("intune_options") or {}).items():
        if option_id.lower().startswith(definition_id.lower() + "_"):
            options[option_id[len(definition_id) + 1:].lower()] = value
        else:
            warn(f"settings-map {entry['id']}: option {option_id} does not extend {definition_id}")
    if record.get("admx_backed"):
        for suffix, value in options.items():
            if (record.get("options") or {}).get(suffix) != value:
                warn(
                    f"settings-map {entry['id']}: option _{suffix} = {value} disagrees with the ADMX "
                    f"registry data {record['options'].get(suffix)}; keeping the registry data"
                )
        return
    if options:
        record["options"] = {**(record.get("options") or {}), **options}


def curated_values(entry):
    csp_values = (entry.get("csp") or {}).get("values") or {}
    labels = csp_values or entry.get("registry_values") or {}
    return [{"value": v, "label": l} for v, l in labels.items()]


def merge_curated(entry, record):
    record["short_id"] = entry["id"]
    record["title"] = entry["title"]
    registry = curated_registry(entry)
    if registry:
        previous = record.get("registry")
        if previous and previous.lower() != registry.lower():
            record["registry_aliases"].append(previous)
        record["registry"], record["hk_registry"] = registry, False
    for alt in entry.get("registry_alt") or []:
        record["registry_aliases"].append(registry_path(alt["hive"], alt["path"], alt["value"]))
    record["registry_aliases"] = unique_paths(record["registry_aliases"], exclude=record.get("registry"))
    if (entry.get("registry") or {}).get("type") == "privilege":
        value = entry["registry"]["value"]
        if value.lower() not in (a.lower() for a in record["other_names"]):
            record["other_names"].append(value)
    if entry["kind"] == "security_option" and not record.get("security_option"):
        record["security_option"] = strip_period(entry["title"])
    if not record.get("values"):
        record["values"] = curated_values(entry)
    else:
        fill_missing_labels(record, curated_values(entry))
    curated_options(entry, record)


def fill_missing_labels(record, curated):
    labels = {v["value"]: v["label"] for v in curated}
    for value in record["values"]:
        if not value["label"] and value["value"] in labels:
            value["label"] = labels[value["value"]]


def standalone_curated(entry):
    reg = entry.get("registry") or {}
    registry = curated_registry(entry)
    csp = entry.get("csp") or {}
    record = {
        "title": entry["title"],
        "short_id": entry["id"],
        "scope": "user" if reg.get("hive") == "HKCU" else "device",
        "oma_uri": csp.get("uri") or None,
        "definition_id": entry.get("intune_setting_definition_id"),
        "registry": registry,
        "registry_aliases": [],
        "security_option": strip_period(entry["title"]) if entry["kind"] == "security_option" else None,
        "other_names": [],
        "format": {"REG_DWORD": "int", "REG_SZ": "chr"}.get(reg.get("type")),
        "admx_backed": False,
        "values": curated_values(entry),
        "default": csp.get("default"),
        "options": None,
    }
    curated_options(entry, record)
    return record


def apply_settings_map(entries, parents):
    """Merge each curated entry into its policy record; return the curated records first."""
    by_alias = {}
    for record in parents:
        for alias in (record["definition_id"], record["oma_uri"], record["registry"]):
            if alias:
                by_alias.setdefault(normalise_alias(alias), record)
    curated = []
    for entry in entries:
        record = find_curated_match(entry, by_alias)
        if record is None:
            record = standalone_curated(entry)
        else:
            merge_curated(entry, record)
        if all(record is not c for c in curated):
            curated.append(record)
    return curated


# ---------------------------------------------------------------------------------------------
# Keys and aliases


def alias_fields(record):
    """(field, alias) pairs the Rust index builds for a record, key excluded."""
    pairs = [(f, record.get(f)) for f in ("short_id", "oma_uri", "definition_id", "registry", "security_option")]
    pairs += [("registry_aliases", a) for a in record.get("registry_aliases", [])]
    pairs += [("other_names", a) for a in record.get("other_names", [])]
    return [(f, a) for f, a in pairs if a]


class KeyAssigner:
    """Gives each record its key and drops aliases another record already holds."""

    def __init__(self):
        self.owner = {}  # normalised alias -> record
        self.collisions = 0

    def assign(self, record):
        twin = record.get("twin_registry")
        if twin and normalise_alias(twin) in self.owner:
            record["setting_of"] = self.owner[normalise_alias(twin)]["key"]
        elif twin:
            record["registry"] = twin
        registry = record.get("registry")
        if registry and normalise_alias(registry) in self.owner:
            winner = self.owner[normalise_alias(registry)]
            self.collide(f"registry {registry}", record, winner)
            record["shares_registry_with"] = winner["key"]
            record["registry"] = None
            if record.get("definition_id") in SAME_REGISTRY_DATA:
                record["setting_of"] = winner["key"]
        record["key"] = record.get("registry") or record.get("oma_uri") or record.get("definition_id")
        if normalise_alias(record["key"]) in self.owner:
            self.collide(f"key {record['key']}", record, self.owner[normalise_alias(record["key"])])
            return False
        self.owner[normalise_alias(record["key"])] = record
        for field, alias in alias_fields(record):
            self.claim(record, field, alias)
        return True

    def claim(self, record, field, alias):
        holder = self.owner.setdefault(normalise_alias(alias), record)
        if holder is record:
            return
        self.collide(f"{field} {alias}", record, holder)
        if isinstance(record.get(field), list):
            record[field] = [a for a in record[field] if a != alias]
        else:
            record[field] = None

    def collide(self, what, loser, winner):
        self.collisions += 1
        warn(f"collision on {what}: kept for {winner['key']}, dropped for {describe(loser)}")


def describe(record):
    return record.get("oma_uri") or record.get("definition_id") or record.get("registry") or record.get("title")


# ---------------------------------------------------------------------------------------------
# Output


def warn(message):
    print(f"warning: {message}", file=sys.stderr)


def full_record(record):
    """The record with every field the Rust loader sees, before compaction."""
    parent = record.get("parent_record")
    out = {field: record.get(field) for field in FIELDS}
    out["parent"] = parent["key"] if parent is not None else None
    out["scope"] = record.get("scope") or "device"
    out["format"] = record.get("format") or ("chr" if record.get("admx_backed") else None)
    out["options"] = record.get("options") or derived_options(out)
    if record.get("admx_backed"):
        out["values"] = admx_values(out["options"])
    for field in ("registry_aliases", "other_names", "values"):
        out[field] = out.get(field) or []
    out["admx_backed"] = bool(record.get("admx_backed"))
    return out


def compact_record(full, parents):
    """Drop what the loader derives (see README "File format"); keep one line per record short."""
    out = {"key": full["key"]}
    parent = parents.get(full["parent"])
    derived = {
        "title": f"{parent['title']}: {full['element']}" if parent else None,
        "scope": parent["scope"] if parent else "device",
        "oma_uri": full["key"],
        "definition_id": child_definition_id(parent, full["element"]) if parent else uri_definition_id(full["oma_uri"]),
        "registry": registry_of_key(full["key"]),
        "format": "chr" if full["admx_backed"] else None,
        "values": admx_values(full["options"]) if full["admx_backed"] else [],
        "options": derived_options(full),
    }
    for field in FIELDS[1:]:
        value = full.get(field)
        if value in (None, [], {}, False, "") or value == derived.get(field):
            continue
        out[field] = [[v["value"], v["label"]] for v in value] if field == "values" else value
    return out


def expand_record(line, parents):
    """Mirror of the Rust loader (`Record::into_setting`), used to check the compaction."""
    parent = parents.get(line.get("parent"))
    full = {field: line.get(field) for field in FIELDS}
    full["values"] = [{"value": v, "label": l} for v, l in line.get("values", [])]
    full["scope"] = line.get("scope") or (parent["scope"] if parent else "device")
    full["title"] = line.get("title") or (f"{parent['title']}: {line.get('element')}" if parent else "")
    full["registry"] = line.get("registry") or registry_of_key(line["key"])
    if not line.get("oma_uri") and not parent and line["key"].startswith("./"):
        full["oma_uri"] = line["key"]
    if not line.get("definition_id"):
        full["definition_id"] = (
            child_definition_id(parent, line["element"]) if parent else uri_definition_id(full["oma_uri"])
        )
    full["format"] = line.get("format") or ("chr" if line.get("admx_backed") else None)
    full["admx_backed"] = bool(line.get("admx_backed"))
    full["options"] = line.get("options") or derived_options(full)
    if full["admx_backed"]:
        full["values"] = admx_values(full["options"])
    for field in ("registry_aliases", "other_names"):
        full[field] = full.get(field) or []
    return full


def uri_definition_id(uri):
    return uri[2:].replace("/", "_").lower() if uri and uri.startswith("./") else None


def child_definition_id(parent, element):
    return f"{parent['definition_id']}_{element.lower()}"


def registry_of_key(key):
    return key if key.startswith(("HKLM\\", "HKCU\\")) else None


def derived_options(record):
    """Options the loader derives when a record gives none: ADMX `_1`/`_0`, else one per value."""
    if record.get("admx_backed"):
        return {"1": 1, "0": 0}
    as_int = record.get("format") == "int"
    return {v["value"].lower(): int_or_str(v["value"], as_int) for v in record.get("values") or []}


def admx_values(options):
    return [{"value": str(options["1"]), "label": "Enabled"}, {"value": str(options["0"]), "label": "Disabled"}]


def write_catalog(records, path):
    fulls = [full_record(r) for r in records]
    by_key = {f["key"]: f for f in fulls}
    lines = [compact_record(f, by_key) for f in fulls]
    for line, full in zip(lines, fulls):
        expanded = expand_record(line, by_key)
        if expanded != full:
            diff = {k: (full[k], expanded[k]) for k in full if full[k] != expanded.get(k)}
            sys.exit(f"error: {full['key']} does not survive compaction: {diff}")
    text = ",\n".join(json.dumps(line, ensure_ascii=False, separators=(",", ":")) for line in lines)
    Path(path).write_text("[\n" + text + "\n]\n", encoding="utf-8")


def disambiguate_titles(records):
    """Native CSP policies that map to one Group Policy policy share its friendly name
    (DeviceGuard's EnableVirtualizationBasedSecurity, RequirePlatformSecurityFeatures and
    ConfigureSystemGuardLaunch are all "Turn On Virtualization Based Security"): a finding
    could not say which one it means, so each such title names its CSP policy too."""
    groups = {}
    for record in records:
        uri = record.get("oma_uri") or ""
        if record.get("parent_record") is None and uri and "/ADMX_" not in uri:
            groups.setdefault((record["title"], record.get("scope")), []).append(record)
    for shared in groups.values():
        if len(shared) > 1:
            for record in shared:
                area, policy = record["oma_uri"].split("/")[-2:]
                record["title"] = f"{record['title']} ({area}/{policy})"


def order_native_first(parents):
    """Native Policy CSP areas before their `ADMX_*` twins, so the native policy wins a shared key."""
    return sorted(parents, key=lambda r: r["oma_uri"].split("/")[-2].lower().startswith("admx_"))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    shared = ROOT.parent / "shared"
    parser.add_argument("--policy-csp", default=shared / "catalog" / "policy-csp.json")
    parser.add_argument("--settings-map", default=shared / "docs" / "settings-map.toml")
    parser.add_argument(
        "--hardeningkitty", default=shared / "corpus" / "finding-lists" / "scipag__HardeningKitty" / "lists"
    )
    parser.add_argument("--out", default=ROOT / "src" / "catalog" / "catalog.json")
    return parser.parse_args()


def main():
    args = parse_args()
    hk = HardeningKitty(args.hardeningkitty)
    parents, children = policy_records(load_policies(args.policy_csp) + bitlocker_policies(), hk)
    stale = SAME_DATA_REGISTRY - {r["oma_uri"] for r in parents if "twin_registry" in r}
    if stale:
        sys.exit(f"error: SAME_DATA_REGISTRY names policies the table does not have: {sorted(stale)}")
    curated = apply_settings_map(load_settings_map(args.settings_map), parents)
    taken = {id(r) for r in curated}
    rest = [r for r in order_native_first(parents) if id(r) not in taken]
    assigner = KeyAssigner()
    # Policies of `INVERTED_REGISTRY` and `SAME_DATA_REGISTRY` last: they join the record that owns their registry value,
    # wherever it comes in the order.
    ordered = curated + rest + children + asr_records() + threat_action_records() + firewall_records() + lanman_records() + laps_records() + csp_twin_records() + bitlocker_mdm_records()
    ordered.sort(key=lambda r: "twin_registry" in r)
    records = [r for r in ordered if assigner.assign(r)]
    disambiguate_titles(records)
    write_catalog(records, args.out)
    size = Path(args.out).stat().st_size
    print(f"records: {len(records)} ({len(children)} ADMX element children) -> {args.out} ({size:,} bytes)")
    print(f"with registry: {sum(1 for r in records if r.get('registry'))}")
    print(f"security settings with registry from HardeningKitty: {sum(1 for r in records if r.get('hk_registry'))}")
    print(f"collisions: {assigner.collisions}")


if __name__ == "__main__":
    main()
