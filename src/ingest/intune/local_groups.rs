//! Local user group membership written as a custom OMA-URI profile: Policy CSP
//! `LocalUsersAndGroups/Configure`, whose value is an XML document
//!
//! ```xml
//! <GroupConfiguration>
//!   <accessgroup desc="S-1-5-32-544">
//!     <group action="U"/>
//!     <add member="AzureAD\support@contoso.com"/>
//!     <remove member="CONTOSO\Old admins"/>
//!   </accessgroup>
//! </GroupConfiguration>
//! ```
//!
//! Each `accessgroup` names a local group (by name or SID) and an action: `R` replaces the
//! group's members with the `add` members, `U` adds the `add` members and removes the `remove`
//! ones. The reader turns each into the items the Settings Catalog writes for the same CSP
//! (Replace `add_restrict`, Update `add_update` and `remove_update`), so that policies written
//! either way compare (`conflicting-setting-values`, `local-group-update-overridden`).

use std::ops::Range;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

pub(super) const CONFIGURE_URI: &str =
    "./Device/Vendor/MSFT/Policy/Config/LocalUsersAndGroups/Configure";

/// The Settings Catalog collection whose items configure local groups (the same CSP). The
/// reader keys each item's children `intune:<this>_<child>[<item>]`, and rules read them back.
pub(crate) const LOCAL_GROUPS: &str =
    "device_vendor_msft_policy_config_localusersandgroups_configure_groupconfiguration_accessgroup";

/// The built-in local groups the Settings Catalog offers as options: their SID, their option
/// (`..._accessgroup_desc_<option>`) and the name Windows gives them.
const BUILT_IN_GROUPS: [(&str, &str, &str); 6] = [
    ("S-1-5-32-544", "administrators", "Administrators"),
    ("S-1-5-32-545", "users", "Users"),
    ("S-1-5-32-546", "guests", "Guests"),
    ("S-1-5-32-547", "powerusers", "Power Users"),
    ("S-1-5-32-555", "remotedesktopusers", "Remote Desktop Users"),
    (
        "S-1-5-32-580",
        "remotemanagementusers",
        "Remote Management Users",
    ),
];

/// A local group as Windows names it, from the option the reader keys it by (a group that is
/// not built in keeps its option, its name in lower case).
pub(crate) fn group_name(option: &str) -> String {
    BUILT_IN_GROUPS
        .iter()
        .find(|(_, known, _)| option.eq_ignore_ascii_case(known))
        .map_or_else(|| option.to_string(), |(_, _, name)| (*name).to_string())
}

/// A name or SID and where it is written in the XML text (a byte range of it).
pub(super) type Written = (String, Range<usize>);

/// One item as the Settings Catalog would write it.
#[derive(Debug, PartialEq)]
pub(super) struct XmlItem {
    /// The local group, as the Settings Catalog's option names it (`administrators`).
    pub group: Written,
    /// `add_restrict`, `add_update` or `remove_update`, and the `action` attribute's value.
    pub action: (&'static str, Range<usize>),
    pub members: Vec<Written>,
}

/// The items of a `GroupConfiguration` document; None when the text is no such document
/// (not XML, no `accessgroup` with a `group` action, an action other than `R` or `U`).
pub(super) fn items(xml: &str) -> Option<Vec<XmlItem>> {
    let mut reader = Reader::from_str(xml);
    let mut items = Vec::new();
    let mut open: Option<AccessGroup> = None;
    // Elements opened and not yet closed: a document cut short is no configuration.
    let mut depth = 0usize;
    loop {
        let event = reader.read_event().ok()?;
        match &event {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.checked_sub(1)?,
            _ => {}
        }
        match event {
            Event::Start(element) | Event::Empty(element) => {
                let name = element.local_name();
                let name: &str = name.as_ref();
                if name.eq_ignore_ascii_case("accessgroup") {
                    if let Some(done) = open.take() {
                        items.extend(done.items()?);
                    }
                    open = Some(AccessGroup {
                        desc: attribute(xml, &element, "desc")?,
                        ..AccessGroup::default()
                    });
                } else if let Some(group) = open.as_mut() {
                    group.read(xml, name, &element)?;
                }
            }
            Event::End(element) => {
                if element
                    .local_name()
                    .as_ref()
                    .eq_ignore_ascii_case("accessgroup")
                    && let Some(done) = open.take()
                {
                    items.extend(done.items()?);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (depth == 0 && open.is_none() && !items.is_empty()).then_some(items)
}

/// One `accessgroup` of a RestrictedGroups `groupmembership` document.
#[derive(Debug, PartialEq)]
pub(crate) struct RestrictedGroup {
    /// The group, as the Settings Catalog's options name it (`administrators`).
    pub group: String,
    /// Its members as written (the CSP replaces the group's members with them).
    pub members: Vec<String>,
    /// The element in the XML text, from its start tag's `<` to its end tag's `>`.
    pub element: Range<usize>,
}

/// The groups a RestrictedGroups `groupmembership` document sets; None when the text is no
/// such document.
pub(crate) fn restricted_groups(xml: &str) -> Option<Vec<RestrictedGroup>> {
    let mut reader = Reader::from_str(xml);
    let mut groups: Vec<RestrictedGroup> = Vec::new();
    // Elements opened and not yet closed, and whether an `accessgroup` is open.
    let (mut depth, mut in_group) = (0usize, false);
    loop {
        let before = usize::try_from(reader.buffer_position()).ok()?;
        let event = reader.read_event().ok()?;
        let after = usize::try_from(reader.buffer_position()).ok()?;
        match &event {
            Event::Start(element) | Event::Empty(element) => {
                let opens = matches!(event, Event::Start(_));
                depth += usize::from(opens);
                let name = element.local_name();
                if name.as_ref().eq_ignore_ascii_case("accessgroup") {
                    let group = group_option(&attribute(xml, element, "desc")?.0);
                    if group.is_empty() {
                        return None;
                    }
                    groups.push(RestrictedGroup {
                        group,
                        members: Vec::new(),
                        element: before..after,
                    });
                    in_group = opens;
                } else if in_group && name.as_ref().eq_ignore_ascii_case("member") {
                    let member = attribute(xml, element, "name")?.0;
                    groups.last_mut()?.members.push(member);
                }
            }
            Event::End(element) => {
                depth = depth.checked_sub(1)?;
                if element
                    .local_name()
                    .as_ref()
                    .eq_ignore_ascii_case("accessgroup")
                    && in_group
                {
                    groups.last_mut()?.element.end = after;
                    in_group = false;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    (depth == 0 && !groups.is_empty()).then_some(groups)
}

/// An `accessgroup` element as read so far.
#[derive(Default)]
struct AccessGroup {
    desc: Written,
    action: Option<Written>,
    add: Vec<Written>,
    remove: Vec<Written>,
}

impl AccessGroup {
    fn read(&mut self, xml: &str, name: &str, element: &BytesStart) -> Option<()> {
        if name.eq_ignore_ascii_case("group") {
            self.action = Some(attribute(xml, element, "action")?);
        } else if name.eq_ignore_ascii_case("add") {
            self.add.push(attribute(xml, element, "member")?);
        } else if name.eq_ignore_ascii_case("remove") {
            self.remove.push(attribute(xml, element, "member")?);
        }
        Some(())
    }

    /// A Replace item, or an Update's additions and removals as two items (the Settings
    /// Catalog's `add_update` and `remove_update`), those that list members.
    fn items(self) -> Option<Vec<XmlItem>> {
        let (action, at) = self.action?;
        let group = (group_option(&self.desc.0), self.desc.1);
        // A group with no name names nothing to compare.
        if group.0.is_empty() {
            return None;
        }
        let item = |action: &'static str, members: Vec<Written>| XmlItem {
            group: group.clone(),
            action: (action, at.clone()),
            members,
        };
        match action.trim() {
            a if a.eq_ignore_ascii_case("R") => Some(vec![item("add_restrict", self.add)]),
            a if a.eq_ignore_ascii_case("U") => Some(
                [("add_update", self.add), ("remove_update", self.remove)]
                    .into_iter()
                    .filter(|(_, members)| !members.is_empty())
                    .map(|(action, members)| item(action, members))
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// The value of the attribute `name` (in any case) and where it is written; None when it is
/// missing or not valid XML text.
fn attribute(xml: &str, element: &BytesStart, name: &str) -> Option<Written> {
    for attribute in element.attributes() {
        let attribute = attribute.ok()?;
        if !attribute
            .key
            .local_name()
            .as_ref()
            .eq_ignore_ascii_case(name)
        {
            continue;
        }
        let raw = attribute.value.as_ref();
        // A reader over a string lends the values from it: their place is their address.
        let start = (raw.as_ptr() as usize).checked_sub(xml.as_ptr() as usize)?;
        let range = start..start + raw.len();
        xml.get(range.clone())?;
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .ok()?
            .trim()
            .to_string();
        return Some((value, range));
    }
    None
}

/// The Settings Catalog's option for a local group written by name or SID: the built-in
/// groups it lists by their SIDs or names (`S-1-5-32-544`, `BUILTIN\Administrators`), others
/// by their name in lower case.
pub(crate) fn group_option(desc: &str) -> String {
    let desc = desc.trim().trim_start_matches('*');
    let name = desc
        .get(..8)
        .filter(|head| head.eq_ignore_ascii_case("builtin\\"))
        .map_or(desc, |_| &desc[8..]);
    let squeezed: String = name
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    BUILT_IN_GROUPS
        .iter()
        .find(|(sid, option, _)| desc.eq_ignore_ascii_case(sid) || squeezed == *option)
        .map_or(squeezed.clone(), |(_, option, _)| (*option).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'x>(xml: &'x str, range: &Range<usize>) -> &'x str {
        &xml[range.clone()]
    }

    #[test]
    fn replace_and_update_groups_become_catalog_items_with_their_places() {
        let xml = r#"<GroupConfiguration>
  <accessgroup desc="S-1-5-32-544"><group action="R"/><add member="WLapsAdmin"/><add member="S-1-12-1-1"/></accessgroup>
  <accessgroup desc = "Remote Desktop Users">
    <group action = "U" />
    <add member="AzureAD\alice@contoso.com"/>
    <remove member="CONTOSO\Old &amp; gone"/>
  </accessgroup>
</GroupConfiguration>"#;
        let items = items(xml).unwrap();
        let summary: Vec<(&str, &str, Vec<&str>)> = items
            .iter()
            .map(|item| {
                let members = item.members.iter().map(|(m, _)| m.as_str()).collect();
                (item.group.0.as_str(), item.action.0, members)
            })
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "administrators",
                    "add_restrict",
                    vec!["WLapsAdmin", "S-1-12-1-1"]
                ),
                (
                    "remotedesktopusers",
                    "add_update",
                    vec![r"AzureAD\alice@contoso.com"]
                ),
                (
                    "remotedesktopusers",
                    "remove_update",
                    vec!["CONTOSO\\Old & gone"]
                ),
            ]
        );
        // Each part points at its attribute's value as written.
        assert_eq!(at(xml, &items[0].group.1), "S-1-5-32-544");
        assert_eq!(at(xml, &items[0].action.1), "R");
        assert_eq!(at(xml, &items[0].members[1].1), "S-1-12-1-1");
        assert_eq!(at(xml, &items[1].group.1), "Remote Desktop Users");
        assert_eq!(at(xml, &items[2].action.1), "U");
        assert_eq!(at(xml, &items[2].members[0].1), "CONTOSO\\Old &amp; gone");
    }

    #[test]
    fn groups_are_named_as_the_settings_catalog_names_them() {
        for (desc, option) in [
            ("S-1-5-32-544", "administrators"),
            ("*s-1-5-32-555", "remotedesktopusers"),
            ("BUILTIN\\Administrators", "administrators"),
            ("Remote Management Users", "remotemanagementusers"),
            ("Helpdesk Operators", "helpdeskoperators"),
        ] {
            assert_eq!(group_option(desc), option, "{desc}");
        }
    }

    /// A RestrictedGroups document: each `accessgroup` replaces its group's members.
    #[test]
    fn restricted_groups_documents_list_each_group_and_its_members() {
        let xml = r#"<groupmembership>
  <accessgroup desc="S-1-5-32-544"><member name="Administrator"/><member name="CONTOSO\Workstation Admins"/></accessgroup>
  <accessgroup desc="Remote Desktop Users"></accessgroup>
  <accessgroup desc="Guests"/>
</groupmembership>"#;
        let groups = restricted_groups(xml).unwrap();
        let read: Vec<(&str, Vec<&str>, &str)> = groups
            .iter()
            .map(|g| {
                let members = g.members.iter().map(String::as_str).collect();
                (g.group.as_str(), members, &xml[g.element.clone()])
            })
            .collect();
        assert_eq!(
            read,
            [
                (
                    "administrators",
                    vec!["Administrator", r"CONTOSO\Workstation Admins"],
                    r#"<accessgroup desc="S-1-5-32-544"><member name="Administrator"/><member name="CONTOSO\Workstation Admins"/></accessgroup>"#
                ),
                (
                    "remotedesktopusers",
                    vec![],
                    r#"<accessgroup desc="Remote Desktop Users"></accessgroup>"#
                ),
                ("guests", vec![], r#"<accessgroup desc="Guests"/>"#),
            ]
        );
        for not_one in [
            "",
            "not xml",
            "<groupmembership><accessgroup desc=\"S-1-5-32-544\">",
            "<groupmembership><accessgroup><member name=\"x\"/></accessgroup></groupmembership>",
        ] {
            assert_eq!(restricted_groups(not_one), None, "{not_one}");
        }
    }

    #[test]
    fn anything_else_is_no_group_configuration() {
        for text in [
            "",
            "1",
            "<GroupConfiguration/>",
            r#"<GroupConfiguration><accessgroup desc="Administrators"><add member="x"/></accessgroup></GroupConfiguration>"#,
            r#"<GroupConfiguration><accessgroup desc="Administrators"><group action="D"/></accessgroup></GroupConfiguration>"#,
            r#"<GroupConfiguration><accessgroup><group action="R"/></accessgroup></GroupConfiguration>"#,
            r#"<GroupConfiguration><accessgroup desc=" "><group action="R"/></accessgroup></GroupConfiguration>"#,
            r#"<GroupConfiguration><accessgroup desc="Administrators"><group action="R"/>"#,
            r#"<accessgroup desc="a"><group action="R"/></accessgroup><"#,
        ] {
            assert_eq!(items(text), None, "{text}");
        }
    }
}
