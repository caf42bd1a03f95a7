#!/usr/bin/env python3
"""Copy a generated tenant, making every policy disable PKU2U.

    disable_pku2u_everywhere.py TENANT_DIR OUT_DIR

In a tenant from examples/gen_tenant.rs only about 1 % of policies disable PKU2U, and all of them
are assigned to one Entra-joined or hybrid-joined group, with no filter and no exclusion: the
benchmark's findings exercise one path of the reach logic. In the copy every policy carries the
setting (Settings Catalog option `..._0`, or the OMA-URI with value 0), so the findings cover
every assignment shape the generator writes (All devices, user groups, static groups with and
without an inventory entry, unknown groups, include and exclude filters, exclusion groups), and
comparing them checks that pku2u.rego and baselint agree on all of those. Standard library only.
"""

import json
import shutil
import sys
from pathlib import Path

DEFINITION = "device_vendor_msft_policy_config_localpoliciessecurityoptions_networksecurity_allowpku2uauthenticationrequests"
URI = "./Device/Vendor/MSFT/Policy/Config/LocalPoliciesSecurityOptions/NetworkSecurity_AllowPKU2UAuthenticationRequests"
GRAPH = "#microsoft.graph.deviceManagementConfiguration"

CATALOG_SETTING = {
    "@odata.type": f"{GRAPH}Setting",
    "id": "pku2u",
    "settingInstance": {
        "@odata.type": f"{GRAPH}ChoiceSettingInstance",
        "settingDefinitionId": DEFINITION,
        "settingInstanceTemplateReference": None,
        "choiceSettingValue": {
            "@odata.type": f"{GRAPH}ChoiceSettingValue",
            "settingValueTemplateReference": None,
            "value": f"{DEFINITION}_0",
            "children": [],
        },
    },
}
OMA_SETTING = {
    "@odata.type": "#microsoft.graph.omaSettingInteger",
    "displayName": "Disable PKU2U online identities",
    "omaUri": URI,
    "value": 0,
}


def main() -> int:
    if len(sys.argv) != 3:
        print("usage: disable_pku2u_everywhere.py TENANT_DIR OUT_DIR", file=sys.stderr)
        return 2
    src, dst = Path(sys.argv[1]), Path(sys.argv[2])
    shutil.copytree(src, dst)
    for path in sorted((dst / "intune").glob("*.json")):
        policy = json.loads(path.read_text(encoding="utf-8"))
        if "settings" in policy:
            ids = {s["settingInstance"]["settingDefinitionId"].lower() for s in policy["settings"]}
            if DEFINITION not in ids:
                policy["settings"].insert(0, CATALOG_SETTING)
        elif "omaSettings" in policy:
            if URI.lower() not in {s["omaUri"].lower() for s in policy["omaSettings"]}:
                policy["omaSettings"].insert(0, OMA_SETTING)
        path.write_text(json.dumps(policy, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
