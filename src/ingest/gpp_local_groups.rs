//! Group Policy Preferences' local groups (Computer Configuration > Preferences > Control Panel
//! Settings > Local Users and Groups): a backup's `Machine/Preferences/Groups/Groups.xml`, and
//! the same items in a GPO report's `Lugs` extension (namespace
//! `http://www.microsoft.com/GroupPolicy/Settings/Lugs`, the elements prefixed).
//!
//! ```xml
//! <Groups clsid="{3125E937-EB16-4b4c-9934-544FC6D24D26}">
//!   <Group clsid="{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}" name="Administrators (built-in)"
//!          uid="{300BCC33-237E-4FBA-8E4D-D8C3BE2BB836}">
//!     <Properties action="U" deleteAllUsers="0" deleteAllGroups="0" groupSid="S-1-5-32-544"
//!                 groupName="Administrators (built-in)">
//!       <Members>
//!         <Member name="CONTOSO\Helpdesk" action="ADD" sid="S-1-5-21-...-1140"/>
//!       </Members>
//!     </Properties>
//!   </Group>
//! </Groups>
//! ```
//!
//! Each item that changes a group's members becomes settings keyed
//! `gpp_local_group:<group>/<item uid>/<relation>`, the group its SID where the item gives one
//! (else its name without GPMC's " (built-in)"), in lower case, and each value the members'
//! SIDs (names where no SID is given), sorted:
//!
//! | Item | Relation |
//! |---|---|
//! | action `R` (Replace: the group is deleted and created again), or `U` with both "Delete all member users" and "Delete all member groups" | `members`: the `ADD` members are the group's members |
//! | action `U` (Update) | `add`: its `ADD` members; `remove`: its `REMOVE` members (each when there are some) |
//! | item-level targeting (`Filters` with a filter) | `targeted`: `true`, at the `Filters` element (beside the item's other settings) |
//!
//! Left out: `C` (Create changes nothing on a group that exists) and `D` (Delete); disabled
//! items; items applied once ("Apply once and do not reapply", `FilterRunOnce`), which do not
//! come back after another channel changes the group. An Update that deletes only the member
//! users or only the member groups is read as its additions and removals. Which devices an
//! item's filters match baselint cannot tell, so a targeted item says so (`targeted`) and rules
//! name its filters. Keys carry the item's `uid` because items add up across GPOs: two GPOs
//! adding different members to one group do not override each other.

use crate::model::{Setting, Value};
use crate::source::SourceId;

use super::gpo_report::xml::{Element, span_of_all};

/// The prefix of the keys this reader writes.
pub const KEY_PREFIX: &str = "gpp_local_group:";

/// What an item does to its group's members, as its key's last segment says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// The listed members replace the group's members.
    Members,
    /// The listed members are added.
    Add,
    /// The listed members are removed.
    Remove,
    /// Not a change: the item has item-level targeting.
    Targeted,
}

impl Relation {
    fn name(self) -> &'static str {
        match self {
            Relation::Members => "members",
            Relation::Add => "add",
            Relation::Remove => "remove",
            Relation::Targeted => "targeted",
        }
    }
}

/// What a key this reader writes names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ItemKey<'k> {
    /// The group as the key writes it: a SID or a name, in lower case.
    pub group: &'k str,
    /// The item's `uid` in lower case (`#<n>`, its place, when it has none).
    pub item: &'k str,
    pub relation: Relation,
}

/// The parts of a key this reader writes.
pub fn parse_key(key: &str) -> Option<ItemKey<'_>> {
    let rest = key.strip_prefix(KEY_PREFIX)?;
    let (rest, relation) = rest.rsplit_once('/')?;
    let (group, item) = rest.rsplit_once('/')?;
    let relation = match relation {
        "members" => Relation::Members,
        "add" => Relation::Add,
        "remove" => Relation::Remove,
        "targeted" => Relation::Targeted,
        _ => return None,
    };
    (!group.is_empty() && !item.is_empty()).then_some(ItemKey {
        group,
        item,
        relation,
    })
}

/// Settings of every local group item at or below `root` (a report's extension, or a
/// `Groups.xml` document); `file` is set on every setting (None for the report's own file).
pub fn read(root: &Element, file: Option<SourceId>, out: &mut Vec<Setting>) {
    let mut position = 0;
    read_below(root, file, &mut position, out);
}

fn read_below(
    root: &Element,
    file: Option<SourceId>,
    position: &mut usize,
    out: &mut Vec<Setting>,
) {
    for element in &root.children {
        let properties = (element.local == "Group")
            .then(|| element.child_local("Properties"))
            .flatten();
        match properties {
            Some(properties) => {
                *position += 1;
                if let Some(targeting) = applies(element, properties) {
                    let item = Item {
                        element,
                        properties,
                        position: *position,
                        targeting,
                    };
                    out.extend(item.settings(file));
                }
            }
            None => read_below(element, file, position, out),
        }
    }
}

/// Whether an item applies at every refresh: None when it is disabled or applied once; else
/// its `Filters` element when it has item-level targeting.
fn applies<'e>(item: &'e Element, properties: &Element) -> Option<Option<&'e Element>> {
    let disabled = |e: &Element| e.attr_text("disabled") == Some("1");
    if disabled(item) || disabled(properties) {
        return None;
    }
    let filters = item
        .child_local("Filters")
        .filter(|filters| !filters.children.is_empty());
    if filters.is_some_and(|f| f.child_local("FilterRunOnce").is_some()) {
        return None;
    }
    Some(filters)
}

/// A local group item that applies.
struct Item<'e> {
    element: &'e Element,
    properties: &'e Element,
    /// Its place among the document's items, from 1.
    position: usize,
    /// Its `Filters` element when it has item-level targeting.
    targeting: Option<&'e Element>,
}

impl Item<'_> {
    fn settings(&self, file: Option<SourceId>) -> Vec<Setting> {
        let properties = self.properties;
        let text = |name: &str| properties.attr_text(name).unwrap_or("");
        let Some((group, written)) = group_id(properties) else {
            return Vec::new();
        };
        let uid = (self.element.attr_text("uid"))
            .map(str::to_lowercase)
            .unwrap_or_else(|| format!("#{}", self.position));
        let members: Vec<&Element> = properties
            .child_local("Members")
            .map(|m| m.children.iter().filter(|c| c.local == "Member").collect())
            .unwrap_or_default();
        let with_action = |wanted: &str| -> Vec<&Element> {
            (members.iter().copied())
                .filter(|m| {
                    m.attr("action")
                        .is_some_and(|a| a.value.trim().eq_ignore_ascii_case(wanted))
                })
                .collect()
        };
        let deletes_all = text("deleteAllUsers") == "1" && text("deleteAllGroups") == "1";
        let relations = match text("action").to_ascii_uppercase().as_str() {
            "R" => vec![(Relation::Members, with_action("ADD"))],
            "U" | "" if deletes_all => vec![(Relation::Members, with_action("ADD"))],
            "U" | "" => vec![
                (Relation::Add, with_action("ADD")),
                (Relation::Remove, with_action("REMOVE")),
            ],
            _ => Vec::new(),
        };
        let name_span = (properties
            .attr("groupName")
            .or_else(|| properties.attr("groupSid")))
        .map_or(properties.name_span, |a| a.span);
        let setting = |relation: Relation, value, span| Setting {
            key: format!("{KEY_PREFIX}{group}/{uid}/{}", relation.name()).into(),
            raw_name: written.clone().into(),
            value,
            value_label: None,
            span,
            name_span,
            file,
        };
        let mut settings: Vec<Setting> = relations
            .into_iter()
            .filter(|(relation, listed)| *relation == Relation::Members || !listed.is_empty())
            .map(|(relation, listed)| {
                let span = span_of_all(&listed).unwrap_or(properties.span);
                setting(relation, principals(&listed), span)
            })
            .collect();
        if let Some(filters) = self.targeting.filter(|_| !settings.is_empty()) {
            settings.push(setting(Relation::Targeted, Value::Bool(true), filters.span));
        }
        settings
    }
}

/// The group as keys write it (its SID, else its name without " (built-in)", in lower case)
/// and as the item writes it.
fn group_id(properties: &Element) -> Option<(String, String)> {
    let attr = |name: &str| properties.attr_text(name);
    let name = attr("groupName").map(|n| n.strip_suffix(" (built-in)").unwrap_or(n));
    let written = attr("groupName").or(attr("groupSid"))?.to_string();
    let id = attr("groupSid").or(name)?.to_lowercase();
    Some((id, written))
}

/// Member SIDs (names where no SID is given), sorted.
fn principals(members: &[&Element]) -> Value {
    let mut ids: Vec<String> = members
        .iter()
        .filter_map(|m| m.attr_text("sid").or(m.attr_text("name")))
        .map(str::to_string)
        .collect();
    ids.sort();
    Value::List(ids.into_iter().map(Value::Str).collect())
}

/// The (SID in capitals, name) pairs the items' members give both of.
pub fn named_members(element: &Element) -> Option<(String, String)> {
    if element.local != "Member" {
        return None;
    }
    let (sid, name) = (element.attr_text("sid")?, element.attr_text("name")?);
    Some((sid.to_ascii_uppercase(), name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::gpo_report::xml;

    const GROUPS_XML: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<Groups clsid="{3125E937-EB16-4b4c-9934-544FC6D24D26}">
  <Group clsid="{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}" name="Administrators (built-in)" image="2" uid="{300BCC33-237E-4FBA-8E4D-D8C3BE2BB836}">
    <Properties action="U" newName="" description="" deleteAllUsers="0" deleteAllGroups="0" removeAccounts="0" groupSid="S-1-5-32-544" groupName="Administrators (built-in)">
      <Members>
        <Member name="CONTOSO\Helpdesk" action="ADD" sid="S-1-5-21-1-2-3-1140"/>
        <Member name="CONTOSO\Old admins" action="REMOVE" sid=""/>
        <Member name="CONTOSO\Desktop" action="ADD" sid=""/>
      </Members>
    </Properties>
  </Group>
  <Group clsid="{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}" name="Remote Desktop Users (built-in)" uid="{A1}">
    <Properties action="U" deleteAllUsers="1" deleteAllGroups="1" groupSid="" groupName="Remote Desktop Users (built-in)">
      <Members><Member name="CONTOSO\RDP" action="ADD" sid="S-1-5-21-1-2-3-1150"/></Members>
    </Properties>
  </Group>
  <Group clsid="{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}" name="Backup Operators (built-in)" uid="{A2}" disabled="1">
    <Properties action="U" groupSid="S-1-5-32-551" groupName="Backup Operators (built-in)">
      <Members><Member name="CONTOSO\Backup" action="ADD" sid=""/></Members>
    </Properties>
  </Group>
  <Group clsid="{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}" name="Network Configuration Operators (built-in)" uid="{A7}">
    <Properties action="U" groupSid="S-1-5-32-556" groupName="Network Configuration Operators (built-in)" disabled="1">
      <Members><Member name="CONTOSO\Network" action="ADD" sid=""/></Members>
    </Properties>
  </Group>
  <Group clsid="{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}" name="Kiosk operators" uid="{A3}">
    <Properties action="C" groupName="Kiosk operators">
      <Members><Member name="CONTOSO\Kiosk" action="ADD" sid=""/></Members>
    </Properties>
  </Group>
  <Group clsid="{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}" name="Power Users (built-in)" uid="{A4}">
    <Properties action="U" groupSid="S-1-5-32-547" groupName="Power Users (built-in)">
      <Members><Member name="CONTOSO\Power" action="ADD" sid=""/></Members>
    </Properties>
    <Filters><FilterGroup bool="AND" not="0" name="CONTOSO\Labs" sid="S-1-5-21-1-2-3-1160" userContext="0" primaryGroup="0" localGroup="0"/></Filters>
  </Group>
  <Group clsid="{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}" name="Hyper-V Administrators (built-in)" uid="{A6}">
    <Properties action="U" groupSid="S-1-5-32-578" groupName="Hyper-V Administrators (built-in)">
      <Members><Member name="CONTOSO\Once" action="ADD" sid=""/></Members>
    </Properties>
    <Filters><FilterRunOnce hidden="1" not="0" bool="AND" id="{F1}"/></Filters>
  </Group>
  <Group clsid="{6D4A79E4-529C-4481-ABD0-F5BD7EA93BA7}" name="Event Log Readers" uid="{A5}">
    <Properties action="R" groupName="Event Log Readers"><Members/></Properties>
    <Filters/>
  </Group>
</Groups>"#;

    fn read_text(text: &str) -> Vec<Setting> {
        let (root, damage) = xml::parse(text);
        assert!(damage.is_none(), "{damage:?}");
        let mut out = Vec::new();
        read(&root.unwrap(), None, &mut out);
        out
    }

    fn listed(value: &Value) -> Vec<&str> {
        let Value::List(items) = value else {
            panic!("{value:?}");
        };
        items
            .iter()
            .map(|v| match v {
                Value::Str(s) => s.as_str(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    /// An Update adds its ADD members and removes its REMOVE ones; an Update deleting every
    /// member, or a Replace, sets the group's members (an empty list too); Create, disabled
    /// (on the item or its properties) and run-once items are left out, and a targeted item
    /// says so at its filters. Spans cover the members as written.
    #[test]
    fn items_become_member_changes_keyed_by_group_and_item() {
        let settings = read_text(GROUPS_XML);
        let (targeted, settings): (Vec<Setting>, Vec<Setting>) = settings
            .into_iter()
            .partition(|s| s.key.ends_with("/targeted"));
        let [targeted] = &targeted[..] else {
            panic!("{targeted:?}");
        };
        assert_eq!(&*targeted.key, "gpp_local_group:s-1-5-32-547/{a4}/targeted");
        assert_eq!(targeted.value, Value::Bool(true));
        assert!(GROUPS_XML[targeted.span.range()].starts_with("<Filters><FilterGroup "));
        let found: Vec<(&str, Vec<&str>, &str)> = settings
            .iter()
            .map(|s| {
                let text = &GROUPS_XML[s.span.range()];
                let head = text.get(..text.len().min(30)).unwrap_or(text);
                (s.key.as_str(), listed(&s.value), head)
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "gpp_local_group:s-1-5-32-544/{300bcc33-237e-4fba-8e4d-d8c3be2bb836}/add",
                    vec!["CONTOSO\\Desktop", "S-1-5-21-1-2-3-1140"],
                    "<Member name=\"CONTOSO\\Helpdesk"
                ),
                (
                    "gpp_local_group:s-1-5-32-544/{300bcc33-237e-4fba-8e4d-d8c3be2bb836}/remove",
                    vec!["CONTOSO\\Old admins"],
                    "<Member name=\"CONTOSO\\Old admi"
                ),
                (
                    "gpp_local_group:remote desktop users/{a1}/members",
                    vec!["S-1-5-21-1-2-3-1150"],
                    "<Member name=\"CONTOSO\\RDP\" act"
                ),
                (
                    "gpp_local_group:s-1-5-32-547/{a4}/add",
                    vec!["CONTOSO\\Power"],
                    "<Member name=\"CONTOSO\\Power\" a"
                ),
                (
                    "gpp_local_group:event log readers/{a5}/members",
                    vec![],
                    "<Properties action=\"R\" groupNa"
                ),
            ]
        );
        // The whole span of the first: from the first ADD member to the last.
        let first = &GROUPS_XML[settings[0].span.range()];
        assert!(first.ends_with(r#"<Member name="CONTOSO\Desktop" action="ADD" sid=""/>"#));
        assert_eq!(
            &GROUPS_XML[settings[0].name_span.range()],
            "Administrators (built-in)"
        );
        assert_eq!(&*settings[0].raw_name, "Administrators (built-in)");
        for setting in &settings {
            assert_eq!(
                parse_key(&setting.key).map(|k| k.group),
                setting.key[KEY_PREFIX.len()..].split('/').next()
            );
        }
    }

    #[test]
    fn keys_parse_back_into_group_item_and_relation() {
        let key = |group, item, relation| {
            Some(ItemKey {
                group,
                item,
                relation,
            })
        };
        assert_eq!(
            parse_key("gpp_local_group:s-1-5-32-544/{a}/add"),
            key("s-1-5-32-544", "{a}", Relation::Add)
        );
        assert_eq!(
            parse_key("gpp_local_group:administrators/#2/members"),
            key("administrators", "#2", Relation::Members)
        );
        assert_eq!(
            parse_key("gpp_local_group:power users/{b}/targeted"),
            key("power users", "{b}", Relation::Targeted)
        );
        assert_eq!(parse_key("gpp_local_group:s-1-5-32-544/add"), None);
        assert_eq!(parse_key("gpp_local_group:/{a}/add"), None);
        assert_eq!(parse_key("gpp_local_group:x//add"), None);
        assert_eq!(parse_key("gpp_local_group:x/{a}/memberof"), None);
        assert_eq!(parse_key("group_membership:s-1-5-32-544/members"), None);
    }

    /// Items without a uid are told apart by their place; members name SID and name pairs.
    #[test]
    fn items_without_uid_and_named_members() {
        let text = r#"<Groups><Group name="x"><Properties action="U" groupName="Administrators (built-in)"><Members><Member name="A" action="ADD" sid="s-1-5-21-9"/></Members></Properties></Group></Groups>"#;
        let settings = read_text(text);
        assert_eq!(settings.len(), 1);
        assert_eq!(&*settings[0].key, "gpp_local_group:administrators/#1/add");
        let (root, _) = xml::parse(text);
        let member = &root.unwrap().children[0].children[0].children[0].children[0];
        assert_eq!(
            named_members(member),
            Some(("S-1-5-21-9".to_string(), "A".to_string()))
        );
    }
}
