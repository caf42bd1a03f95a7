//! Passwords stored in Group Policy Preferences items (MS14-025): a `cpassword` attribute on a
//! local user, a scheduled task, a service, a mapped drive, a data source or a printer item,
//! wherever a GPO report or a preferences file holds one.
//!
//! The attribute is the password encrypted with an AES key Microsoft published, so anyone who
//! can read SYSVOL (every domain user) can read the password. Each one becomes a setting keyed
//! [`KEY`] at the attribute's value, its value naming the item (`scheduled task "Nightly
//! backup"`) and its raw name the item's `uid`; the password itself is not copied into the
//! model.
//!
//! The automatic logon password a GPO writes as a registry value (Winlogon's
//! `DefaultPassword`) is a setting of the registry readers; [`hide_autologon_passwords`]
//! replaces its value once the model is read, and [`is_secret`] names both kinds for the
//! human report to mask.

use crate::model::{Setting, Value};
use crate::source::SourceId;

use super::gpo_report::xml::Element;

/// The key of every stored password.
pub const KEY: &str = "gpp_password";

/// The registry value automatic logon reads its password from, as the readers key it (the
/// catalog has no record of it): a GPO that writes it (a preference registry item, as
/// PowerSploit's `Get-GPPAutologon` finds them, or Registry.pol) keeps the password in clear
/// text in SYSVOL.
pub const AUTOLOGON_PASSWORD_KEY: &str =
    r"hklm\software\microsoft\windows nt\currentversion\winlogon\defaultpassword";

/// The account automatic logon signs in as, as the readers key it.
pub const AUTOLOGON_USER_KEY: &str =
    r"hklm\software\microsoft\windows nt\currentversion\winlogon\defaultusername";

/// What the model holds for an automatic logon password a GPO writes: the password itself is
/// never kept, so that no report or message can show it.
pub const HIDDEN: &str = "(a password, not shown)";

/// True for a setting whose bytes in its file are a password: no report quotes them.
pub fn is_secret(key: &str) -> bool {
    key == KEY || key == AUTOLOGON_PASSWORD_KEY
}

/// Replace every automatic logon password in `model` with [`HIDDEN`] (an empty one, which
/// sets none, stays empty).
pub fn hide_autologon_passwords(model: &mut crate::model::Model) {
    for policy in &mut model.policies {
        let passwords = (policy.settings.iter_mut()).filter(|s| *s.key == *AUTOLOGON_PASSWORD_KEY);
        for setting in passwords {
            if let Value::Str(text) = &mut setting.value
                && !text.is_empty()
            {
                *text = HIDDEN.to_string();
            }
        }
    }
}

/// The stored passwords at or below `root` (a report's extension, or a preferences file);
/// `file` is set on every setting (None for the report's own file).
pub fn read(root: &Element, file: Option<SourceId>, out: &mut Vec<Setting>) {
    read_below(root, root, file, out);
}

fn read_below(parent: &Element, element: &Element, file: Option<SourceId>, out: &mut Vec<Setting>) {
    let stored = element
        .attr("cpassword")
        .filter(|attr| !attr.value.trim().is_empty());
    if let Some(attr) = stored {
        // A preference item keeps its settings in a `Properties` child.
        let item = if element.local == "Properties" {
            parent
        } else {
            element
        };
        out.push(Setting {
            key: KEY.into(),
            // The item's uid tells two items of one name apart (findings' fingerprints).
            raw_name: item
                .attr("uid")
                .map_or("cpassword", |uid| uid.value.trim())
                .into(),
            value: Value::Str(describe(item, element)),
            value_label: None,
            span: attr.span,
            name_span: element.name_span,
            file,
        });
    }
    for child in &element.children {
        read_below(element, child, file, out);
    }
}

/// The item as findings name it: its kind and its name (`local user "Administrator"`).
fn describe(item: &Element, properties: &Element) -> String {
    let kind = match item.local.as_str() {
        "User" => "local user",
        "Task" | "TaskV2" | "ImmediateTask" | "ImmediateTaskV2" => "scheduled task",
        "NTService" => "service",
        "Drive" => "mapped drive",
        "DataSource" => "data source",
        "SharedPrinter" | "PortPrinter" | "LocalPrinter" => "printer",
        other => other,
    };
    let name = (item.attr_text("name")).or_else(|| properties.attr_text("userName"));
    match name {
        Some(name) => format!("{kind} {name:?}"),
        None => kind.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::gpo_report::xml;

    /// Every item kind that can hold a password, in any preferences file; an empty `cpassword`
    /// (an item that stores none) is no finding. Spans are the encrypted bytes.
    #[test]
    fn every_stored_password_is_found_at_its_attribute() {
        let text = r#"<?xml version="1.0" encoding="utf-8"?>
<Groups clsid="{3125E937-EB16-4b4c-9934-544FC6D24D26}">
  <User clsid="{DF5F1855-51E5-4d24-8B1A-D9BDE98BA1D1}" name="LocalAdmin" uid="{1}"><Properties action="U" newName="" fullName="" description="" cpassword="j1Uyj3Vx8TY9LtLZil2uAuZkFQA/4latT76ZwgdHdhw" changeLogon="0" noChange="1" neverExpires="1" acctDisabled="0" userName="LocalAdmin"/></User>
  <User clsid="{DF5F1855-51E5-4d24-8B1A-D9BDE98BA1D1}" name="Kiosk" uid="{2}"><Properties action="U" cpassword="" userName="Kiosk"/></User>
</Groups>
<!-- and another file's -->"#;
        let tasks = r#"<ScheduledTasks clsid="{CC63F200-7309-4ba0-B154-A71CD118DBCC}"><TaskV2 clsid="{D8896631-B747-47a7-84A6-C155337F3BC8}" name="Nightly backup" uid="{3}"><Properties action="U" name="Nightly backup" runAs="CONTOSO\svc-backup" logonType="Password"><Task version="1.2"><Principals><Principal id="Author"><UserId>CONTOSO\svc-backup</UserId></Principal></Principals></Task></Properties></TaskV2><ImmediateTaskV2 name="" uid="{4}"><Properties runAs="x" cpassword="AAAA"/></ImmediateTaskV2></ScheduledTasks>"#;
        let found = |text: &str| {
            let (root, damage) = xml::parse(text);
            assert!(damage.is_none(), "{damage:?}");
            let mut out = Vec::new();
            read(&root.unwrap(), None, &mut out);
            out.iter()
                .map(|s| {
                    let Value::Str(item) = &s.value else {
                        panic!("{s:?}");
                    };
                    (
                        s.key.to_string(),
                        item.clone(),
                        text[s.span.range()].to_string(),
                        s.raw_name.to_string(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let groups = text.split("<!--").next().unwrap();
        assert_eq!(
            found(groups),
            [(
                KEY.to_string(),
                r#"local user "LocalAdmin""#.to_string(),
                "j1Uyj3Vx8TY9LtLZil2uAuZkFQA/4latT76ZwgdHdhw".to_string(),
                "{1}".to_string()
            )]
        );
        // The task that stores its password in `cpassword`; one named by neither `name` nor
        // `userName` is named by its kind.
        assert_eq!(
            found(tasks),
            [(
                KEY.to_string(),
                "scheduled task".to_string(),
                "AAAA".to_string(),
                "{4}".to_string()
            )]
        );
    }
}
