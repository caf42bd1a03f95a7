//! The settings catalog: canonical setting keys and every alias a source uses for them.
//!
//! INTERIM IMPLEMENTATION (API is fixed; the data behind it is being replaced by the generated
//! catalog built from ../shared/catalog/policy-csp.json and ../shared/docs/settings-map.toml).

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::Value;

/// One allowed value of a setting, with its label ("0" = "Block").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueLabel {
    pub value: String,
    pub label: String,
}

/// A setting the catalog knows.
#[derive(Clone, Debug, Default)]
pub struct SettingDef {
    /// Canonical key: `HKLM\<path>\<value name>` where the setting has a registry value,
    /// otherwise the Policy CSP OMA-URI (`./Device/Vendor/MSFT/Policy/Config/<Area>/<Policy>`).
    pub key: String,
    /// Human title ("Network security: Allow PKU2U authentication requests ...").
    pub title: String,
    /// Short curated id where one exists (`pku2u_allow_online_id`).
    pub short_id: Option<String>,
    pub oma_uri: Option<String>,
    pub definition_id: Option<String>,
    pub registry: Option<String>,
    pub security_option: Option<String>,
    /// CSP data format: `int`, `chr`, `bool`...
    pub format: Option<String>,
    pub values: Vec<ValueLabel>,
    pub default: Option<String>,
}

/// The catalog: settings plus lookup indexes over every alias (all lower-cased).
#[derive(Debug, Default)]
pub struct Catalog {
    settings: Vec<SettingDef>,
    by_alias: HashMap<String, usize>,
}

impl Catalog {
    /// The catalog embedded in the binary.
    pub fn builtin() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(interim)
    }

    pub fn len(&self) -> usize {
        self.settings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.settings.is_empty()
    }

    pub fn settings(&self) -> &[SettingDef] {
        &self.settings
    }

    /// Find a setting by any alias: canonical key, short id, OMA-URI (`./Device/Vendor/...` or
    /// `./Vendor/...`), Settings Catalog definition id, registry path (`HKLM\`, `MACHINE\`,
    /// `HKEY_LOCAL_MACHINE\` or no hive), or security option name. Case-insensitive.
    pub fn resolve(&self, alias: &str) -> Option<&SettingDef> {
        let normal = normalise_alias(alias);
        self.by_alias.get(&normal).map(|&i| &self.settings[i])
    }

    pub fn by_definition_id(&self, id: &str) -> Option<&SettingDef> {
        self.resolve(id)
    }

    pub fn by_oma_uri(&self, uri: &str) -> Option<&SettingDef> {
        self.resolve(uri)
    }

    pub fn by_registry(&self, path: &str) -> Option<&SettingDef> {
        self.resolve(path)
    }

    /// A Settings Catalog choice option id (`<definition id>_<suffix>`) mapped to its setting,
    /// value and label: `..._allowpku2uauthenticationrequests_0` -> (PKU2U, Int(0), "Block").
    pub fn choice(&self, option_id: &str) -> Option<(&SettingDef, Value, Option<&str>)> {
        let lower = option_id.to_ascii_lowercase();
        let (def_id, suffix) = lower.rsplit_once('_')?;
        let def = self.by_definition_id(def_id)?;
        let label = def
            .values
            .iter()
            .find(|v| v.value == suffix)
            .map(|v| v.label.as_str());
        let value = match suffix.parse::<i64>() {
            Ok(i) => Value::Int(i),
            Err(_) => Value::Choice(option_id.to_string()),
        };
        Some((def, value, label))
    }

    /// Normalise a raw value for a setting (an OMA-URI string "0" for an int setting -> 0).
    pub fn normalise(&self, def: &SettingDef, raw: Value) -> Value {
        match (def.format.as_deref(), &raw) {
            (Some("int"), Value::Str(s)) => s.trim().parse().map(Value::Int).unwrap_or(raw),
            (Some("int"), Value::Bool(b)) => Value::Int(*b as i64),
            _ => raw,
        }
    }

    /// The label of a value where the catalog knows it.
    pub fn label<'a>(&'a self, def: &'a SettingDef, value: &Value) -> Option<&'a str> {
        let text = match value {
            Value::Int(i) => i.to_string(),
            Value::Str(s) => s.clone(),
            _ => return None,
        };
        def.values
            .iter()
            .find(|v| v.value == text)
            .map(|v| v.label.as_str())
    }
}

/// Lower-case and strip the forms that name the same thing differently.
pub fn normalise_alias(alias: &str) -> String {
    let lower = alias.trim().to_ascii_lowercase().replace('/', "/");
    for (prefix, replacement) in [
        ("hkey_local_machine\\", "hklm\\"),
        ("machine\\", "hklm\\"),
        ("./vendor/msft/", "./device/vendor/msft/"),
    ] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return format!("{replacement}{rest}");
        }
    }
    lower
}

fn interim() -> Catalog {
    let pku2u = SettingDef {
        key: r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa\pku2u\AllowOnlineID".into(),
        title: "Network security: Allow PKU2U authentication requests to this computer to use online identities".into(),
        short_id: Some("pku2u_allow_online_id".into()),
        oma_uri: Some("./Device/Vendor/MSFT/Policy/Config/LocalPoliciesSecurityOptions/NetworkSecurity_AllowPKU2UAuthenticationRequests".into()),
        definition_id: Some("device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests".into()),
        registry: Some(r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa\pku2u\AllowOnlineID".into()),
        security_option: Some("Network security: Allow PKU2U authentication requests to this computer to use online identities".into()),
        format: Some("int".into()),
        values: vec![
            ValueLabel { value: "0".into(), label: "Block".into() },
            ValueLabel { value: "1".into(), label: "Allow".into() },
        ],
        default: Some("1".into()),
    };
    let mut catalog = Catalog::default();
    let aliases = [
        Some(pku2u.key.clone()),
        pku2u.short_id.clone(),
        pku2u.oma_uri.clone(),
        pku2u.definition_id.clone(),
        pku2u.registry.clone(),
        pku2u.security_option.clone(),
    ];
    for alias in aliases.into_iter().flatten() {
        catalog.by_alias.insert(normalise_alias(&alias), 0);
    }
    catalog.settings.push(pku2u);
    catalog
}
