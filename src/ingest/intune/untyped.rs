//! What an export object without `@odata.type` is (IntuneCD, portal import shapes, templates),
//! told by which keys it has, whatever their values. One decision for both readers: the
//! reference reader notes the keys from the parsed object, the fast path as its cursor meets
//! them, and both ask [`UntypedKeys::shape`].

/// The shapes an object without `@odata.type` can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Untyped {
    /// An endpoint-security intent (`settingsDelta`, or a `templateId` with `settings`).
    Intent,
    SettingsCatalog,
    CustomOmaUri,
    /// An entry of IntuneCD's Assignment Report.
    ReportGroup,
    /// An assignment filter.
    Filter,
    /// A Graph group.
    Group,
}

/// Which of the keys that tell an object's shape it has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct UntypedKeys {
    settings: bool,
    settings_delta: bool,
    /// `templateId` in any case (portal import shapes write `TemplateId`).
    template_id: bool,
    template_reference: bool,
    name: bool,
    platforms: bool,
    technologies: bool,
    oma_settings: bool,
    group_name: bool,
    group_type: bool,
    rule: bool,
    platform: bool,
    display_name: bool,
    group_types: bool,
    membership_rule: bool,
    security_enabled: bool,
}

impl UntypedKeys {
    /// The keys among `names` (an object's property names, as decoded).
    pub(crate) fn of<'k>(names: impl IntoIterator<Item = &'k str>) -> UntypedKeys {
        let mut keys = UntypedKeys::default();
        for name in names {
            keys.note(name);
        }
        keys
    }

    /// Note one property name; true when it is one of the keys that tell the shape.
    pub(crate) fn note(&mut self, name: &str) -> bool {
        let present = match name {
            "settings" => &mut self.settings,
            "settingsDelta" => &mut self.settings_delta,
            "templateReference" => &mut self.template_reference,
            "name" => &mut self.name,
            "platforms" => &mut self.platforms,
            "technologies" => &mut self.technologies,
            "omaSettings" => &mut self.oma_settings,
            "groupName" => &mut self.group_name,
            "groupType" => &mut self.group_type,
            // A filter's keys in any case too (`Get-MgBetaDeviceManagementAssignmentFilter`).
            name if name.eq_ignore_ascii_case("rule") => &mut self.rule,
            name if name.eq_ignore_ascii_case("platform") => &mut self.platform,
            name if name.eq_ignore_ascii_case("templateId") => &mut self.template_id,
            // A group's keys in any case: the Graph PowerShell SDK's objects write `DisplayName`.
            name if name.eq_ignore_ascii_case("displayName") => &mut self.display_name,
            name if name.eq_ignore_ascii_case("groupTypes") => &mut self.group_types,
            name if name.eq_ignore_ascii_case("membershipRule") => &mut self.membership_rule,
            name if name.eq_ignore_ascii_case("securityEnabled") => &mut self.security_enabled,
            _ => return false,
        };
        *present = true;
        true
    }

    /// The shape, in this order of precedence; None for an object of no known shape.
    pub(crate) fn shape(&self) -> Option<Untyped> {
        let intent =
            self.settings_delta || (self.template_id && self.settings && !self.template_reference);
        let catalog_keys = self.name || self.platforms || self.technologies;
        let catalog = (self.settings && catalog_keys) || (self.platforms && self.technologies);
        let group = self.display_name
            && (self.group_types || self.membership_rule || self.security_enabled);
        let shape = if intent {
            Untyped::Intent
        } else if catalog {
            Untyped::SettingsCatalog
        } else if self.oma_settings {
            Untyped::CustomOmaUri
        } else if self.group_name && self.group_type {
            Untyped::ReportGroup
        } else if self.rule && self.platform {
            Untyped::Filter
        } else if group {
            Untyped::Group
        } else {
            return None;
        };
        Some(shape)
    }
}

#[cfg(test)]
mod tests {
    use super::{Untyped, UntypedKeys};

    fn shape(names: &[&str]) -> Option<Untyped> {
        UntypedKeys::of(names.iter().copied()).shape()
    }

    #[test]
    fn each_shape_from_its_keys() {
        assert_eq!(shape(&["settingsDelta"]), Some(Untyped::Intent));
        assert_eq!(shape(&["TemplateId", "settings"]), Some(Untyped::Intent));
        assert_eq!(shape(&["name", "settings"]), Some(Untyped::SettingsCatalog));
        assert_eq!(
            shape(&["platforms", "technologies"]),
            Some(Untyped::SettingsCatalog)
        );
        assert_eq!(
            shape(&["templateId", "templateReference", "settings", "name"]),
            Some(Untyped::SettingsCatalog)
        );
        assert_eq!(shape(&["omaSettings"]), Some(Untyped::CustomOmaUri));
        assert_eq!(
            shape(&["groupName", "groupType", "membershipRule"]),
            Some(Untyped::ReportGroup)
        );
        assert_eq!(
            shape(&["displayName", "rule", "platform"]),
            Some(Untyped::Filter)
        );
        assert_eq!(
            shape(&["displayName", "securityEnabled"]),
            Some(Untyped::Group)
        );
    }

    #[test]
    fn no_shape_without_its_deciding_keys() {
        assert_eq!(shape(&[]), None);
        assert_eq!(shape(&["settings"]), None);
        assert_eq!(shape(&["name", "platforms"]), None);
        assert_eq!(shape(&["displayName"]), None);
        assert_eq!(shape(&["groupTypes", "membershipRule"]), None);
        assert_eq!(shape(&["rule"]), None);
        // Names are exact, but for `templateId`.
        assert_eq!(shape(&["SettingsDelta"]), None);
        assert_eq!(shape(&["TEMPLATEID", "settings"]), Some(Untyped::Intent));
    }

    #[test]
    fn note_says_which_names_count() {
        let mut keys = UntypedKeys::default();
        assert!(keys.note("omaSettings"));
        assert!(!keys.note("description"));
        assert!(!keys.note("@odata.type"));
        assert_eq!(keys.shape(), Some(Untyped::CustomOmaUri));
    }
}
