# The two PKU2U rules of baselint (pku2u-disabled-on-entra-joined, pku2u-disabled-on-hybrid-joined)
# written in Rego, for scripts/bench.sh: what a user would otherwise write, evaluated by OPA and
# regorus over the same synthetic tenant. See scripts/bench/README.md.
#
# Input (built by tenant_input.py from a tenant folder):
#   {"policies":  [{"file": "intune/X.json", "doc": <the file: one Graph policy, or {"value": [...]}>}],
#    "groups":    <entra/groups.json: {"value": [group]}>,
#    "filters":   <entra/assignmentFilters.json: {"value": [filter]}>,
#    "inventory": {"groups": {<group id or name>: ["entra", ...]}}}   (baselint.toml)
#
# Output: data.pku2u.findings, a set of {"rule", "policy", "target"}: a policy that sets
# AllowOnlineID to 0 (Settings Catalog option `..._0`, or the OMA-URI with value 0) and has an
# include assignment that may reach devices of the rule's join type after its filter and the
# policy's exclusions. This is baselint's `forbid` check with `possible` reach (src/rules/engine.rs,
# src/scope.rs): a group whose join types are unknown (user rule, undeclared static group, group
# in no export) may hold any device, so it is reported, as baselint does.
#
# Membership and filter rules are read as a disjunction of conjunctions of conditions (split on
# ` -or ` then ` -and `), each condition evaluated like baselint's three-valued analysis
# (src/ingest/membership_rule.rs): deviceTrustType -eq/-ne/-in/-notIn and deviceOSType -eq
# "Windows" are known, anything else is unknown. Limits (not in the generated tenants): `-or`
# inside parentheses under an `-and`, `-not` before a trust-type condition (read as unknown),
# `-match` on deviceTrustType, and ` and ` / ` or ` inside quoted values.
package pku2u

import rego.v1

pku2u_definition := "device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests"

pku2u_block := concat("", [pku2u_definition, "_0"])

# The OMA-URI, lower-cased, with and without the `./Device` prefix (baselint accepts both).
pku2u_uris := {
	"./device/vendor/msft/policy/config/localpoliciessecurityoptions/networksecurity_allowpku2uauthenticationrequests",
	"./vendor/msft/policy/config/localpoliciessecurityoptions/networksecurity_allowpku2uauthenticationrequests",
}

rule_join_type := {
	"pku2u-disabled-on-entra-joined": "entra",
	"pku2u-disabled-on-hybrid-joined": "hybrid",
}

# Join types Intune manages (baselint's JoinTypeSet::MDM): what "All devices" reaches, and what
# a group of unknown make-up may hold. Domain-only devices never get MDM policies.
mdm := {"entra", "hybrid", "registered"}

unknown_reach := {"possible": mdm, "certain": set()}

# deviceTrustType values per dialect (group rules and assignment filters spell them apart).
trust_values := {
	"group": {"azuread": "entra", "serverad": "hybrid", "workplace": "registered"},
	"filter": {"azure ad joined": "entra", "hybrid azure ad joined": "hybrid", "azure ad registered": "registered"},
}

findings contains finding if {
	some file in input.policies
	some policy in policy_objects(file.doc)
	disables_pku2u(policy)
	excluded := excluded_certain(policy)
	some assignment in policy.assignments
	is_include(assignment.target)
	reach := apply_filter(target_reach(assignment.target), assignment.target)
	possible := reach.possible - excluded
	some rule, join_type in rule_join_type
	join_type in possible
	finding := {"rule": rule, "policy": policy_name(policy), "target": target_label(assignment.target)}
}

# A file holds one policy object, or a Graph list of them.
policy_objects(doc) := doc.value if is_array(doc.value)

else := [doc]

policy_name(policy) := policy.name if is_string(policy.name)

else := policy.displayName

# ---- the setting ----

disables_pku2u(policy) if {
	some setting in policy.settings
	instance := setting.settingInstance
	lower(instance.settingDefinitionId) == pku2u_definition
	lower(instance.choiceSettingValue.value) == pku2u_block
}

disables_pku2u(policy) if {
	some setting in policy.omaSettings
	lower(setting.omaUri) in pku2u_uris
	is_zero(setting.value)
}

is_zero(value) if value == 0

is_zero(value) if {
	is_string(value)
	trim_space(value) == "0"
}

# ---- targets ----

target_type(target) := trim_prefix(object.get(target, "@odata.type", ""), "#microsoft.graph.")

group_keys(target) := [lower(key) |
	some field in ["groupId", "groupName"]
	key := object.get(target, field, null)
	is_string(key)
]

is_group(target) if {
	target_type(target) in {"groupAssignmentTarget", "exclusionGroupAssignmentTarget", ""}
	count(group_keys(target)) > 0
}

is_include(target) if target_type(target) != "exclusionGroupAssignmentTarget"

is_exclude(target) if target_type(target) == "exclusionGroupAssignmentTarget"

target_label(target) := "All devices" if {
	target_type(target) == "allDevicesAssignmentTarget"
} else := "All users" if {
	target_type(target) == "allLicensedUsersAssignmentTarget"
} else := target.groupName if {
	is_string(object.get(target, "groupName", null))
} else := name if {
	# The lookup is in the body, not the head: when an `else` head's value is undefined, OPA
	# goes on to the next `else` but regorus 0.14 makes the whole function undefined.
	is_string(object.get(target, "groupId", null))
	name := groups_by_id[lower(target.groupId)].displayName
} else := target.groupId if {
	is_string(object.get(target, "groupId", null))
} else := target_type(target)

# Reach of a target before its filter: every device for "All devices"; users' devices (any join
# type, none for certain) for "All users"; for a group, the inventory first (baselint.toml, the
# user knows best), then the groups export, then a rule written inline in the assignment.
target_reach(target) := {"possible": mdm, "certain": mdm} if {
	target_type(target) == "allDevicesAssignmentTarget"
} else := r if {
	is_group(target)
	r := group_reach(target)
} else := unknown_reach

group_reach(target) := {"possible": inventory[key], "certain": set()} if {
	some key in group_keys(target)
	inventory[key]
} else := group_analysis[key] if {
	some key in group_keys(target)
	group_analysis[key]
} else := rule_reach(target.membershipRule, "group") if {
	is_string(object.get(target, "membershipRule", null))
	trim_space(target.membershipRule) != ""
} else := unknown_reach

# Lookup tables are complete rules (comprehensions): each is computed once per evaluation and
# then indexed, where a partial rule `t[key] := ... if { some group in ... }` would scan every
# group on each lookup.
inventory := {lower(name): {join | some join in join_types} |
	some name, join_types in input.inventory.groups
}

groups_by_id := {lower(group.id): group |
	some group in input.groups.value
	is_string(group.id)
}

# Each group's rule is analysed once, keyed by lower-cased id and by name.
group_analysis := {key: group_rule_reach(group) |
	some group in input.groups.value
	some key in object_keys(group)
}

object_keys(obj) := {lower(k) | some k in [object.get(obj, "id", null), object.get(obj, "displayName", null)]; is_string(k)}

group_rule_reach(group) := rule_reach(group.membershipRule, "group") if {
	is_string(object.get(group, "membershipRule", null))
	trim_space(group.membershipRule) != ""
} else := unknown_reach # a static group the inventory does not declare

# ---- filters and exclusions ----

filter_analysis := {key: rule_reach(filter.rule, "filter") |
	some filter in input.filters.value
	some key in object_keys(filter)
}

filter_id(target) := id if {
	id := target.deviceAndAppManagementAssignmentFilterId
	is_string(id)
	id != ""
	id != "00000000-0000-0000-0000-000000000000"
}

filter_mode(target) := mode if {
	is_string(target.deviceAndAppManagementAssignmentFilterType)
	mode := lower(target.deviceAndAppManagementAssignmentFilterType)
	mode in {"include", "exclude"}
	filter_id(target)
}

# An include filter narrows to what it may match; an exclude filter removes what it certainly
# matches. A filter in no export keeps `possible` and loses `certain`.
apply_filter(reach, target) := reach if {
	not filter_mode(target)
} else := r if {
	filter := filter_analysis[lower(filter_id(target))]
	filter_mode(target) == "include"
	r := {"possible": reach.possible & filter.possible, "certain": reach.certain & filter.certain}
} else := r if {
	filter := filter_analysis[lower(filter_id(target))]
	r := {"possible": reach.possible - filter.certain, "certain": reach.certain - filter.possible}
} else := {"possible": reach.possible, "certain": set()}

# Exclusion groups remove only the join types they certainly hold (after their own filter).
excluded_certain(policy) := union({reach.certain |
	some assignment in policy.assignments
	is_exclude(assignment.target)
	reach := apply_filter(target_reach(assignment.target), assignment.target)
})

# ---- membership and filter rules ----

rule_reach(rule, dialect) := unknown_reach if {
	# A rule on users: members are users, their devices may be of any join type.
	regex.match(`(?i)(^|[^a-z0-9_.])user\.`, rule)
} else := r if {
	parts := [conjunction_reach(text, dialect) | some text in regex.split(`(?i)\s+-?or\s+`, rule)]
	r := {
		"possible": union({p.possible | some p in parts}),
		"certain": union({p.certain | some p in parts}),
	}
}

conjunction_reach(text, dialect) := r if {
	parts := [condition_reach(trim(c, "() \t\r\n"), dialect) | some c in regex.split(`(?i)\s+-?and\s+`, text)]
	r := {
		"possible": intersection({p.possible | some p in parts}),
		"certain": intersection({p.certain | some p in parts}),
	}
}

condition_reach(condition, dialect) := r if {
	match := regex.find_all_string_submatch_n(`(?i)^device\.deviceTrustType\s+-?(eq|ne|in|notin)\s+(.*)$`, condition, 1)
	count(match) == 1
	named := {trust_values[dialect][lower(value[1])] |
		some value in regex.find_all_string_submatch_n(`["']([^"']*)["']`, match[0][2], -1)
		trust_values[dialect][lower(value[1])]
	}
	r := trust_reach(lower(match[0][1]), named)
} else := {"possible": mdm, "certain": mdm} if {
	regex.match(`(?i)^device\.deviceOSType\s+-?eq\s+["']windows["']$`, condition)
} else := unknown_reach

trust_reach(op, named) := {"possible": named, "certain": named} if op in {"eq", "in"}

else := {"possible": mdm - named, "certain": mdm - named}
