"""quality_scale.yaml lists every current rule, and each status names what proves it.

Also the hassfest checks a custom integration does not get from CI (hassfest skips custom
integrations' quality scale): manifest order, icons per translation key, services per action.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from homeassistant.setup import async_setup_component

from custom_components.crosswatch.const import DOMAIN, PLATFORMS

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "custom_components" / "crosswatch"

# The Integration Quality Scale's rules by tier, as listed on
# https://developers.home-assistant.io/docs/core/integration-quality-scale/rules (docs-triggers and
# docs-conditions are Bronze since 2026).
RULES: dict[str, tuple[str, ...]] = {
    "bronze": (
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow-test-coverage",
        "config-flow",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ),
    "silver": (
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ),
    "gold": (
        "devices",
        "diagnostics",
        "discovery-update-info",
        "discovery",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ),
    "platinum": ("async-dependency", "inject-websession", "strict-typing"),
}
TEST_REF = re.compile(r"(tests/[\w/]+\.py)::(\w+)")
FILE_REF = re.compile(r"(?<![\w/])((?:custom_components/crosswatch/|README\.md)[\w/.]*)")


def _rules() -> dict[str, Any]:
    rules: dict[str, Any] = yaml.safe_load((PACKAGE / "quality_scale.yaml").read_text())["rules"]
    return rules


def test_every_current_rule_is_listed_once() -> None:
    listed = _rules()
    expected = [rule for tier in RULES.values() for rule in tier]
    assert len(expected) == len(set(expected)) == 54
    assert sorted(listed) == sorted(expected)


def test_every_status_names_its_proof_and_the_proof_exists() -> None:
    for rule, entry in _rules().items():
        assert isinstance(entry, dict), f"{rule}: a status with a comment"
        assert entry["status"] in {"done", "todo", "exempt"}, rule
        comment = entry.get("comment", "")
        assert len(comment) > 20, f"{rule}: say why"
        for path, name in TEST_REF.findall(comment):
            source = (ROOT / path).read_text()
            assert re.search(rf"^(async )?def {name}\(", source, re.MULTILINE), f"{rule}: {name}"
        for path in FILE_REF.findall(comment):
            assert (ROOT / path.rstrip(".")).exists(), f"{rule}: {path}"
        if entry["status"] == "done":
            assert TEST_REF.search(comment), f"{rule}: a done rule names the test that proves it"


def test_no_triggers_or_conditions_are_provided() -> None:
    """docs-triggers and docs-conditions are exempt only while there is nothing to document."""
    rules = _rules()
    for platform, rule in (("trigger", "docs-triggers"), ("condition", "docs-conditions")):
        provided = (PACKAGE / f"{platform}.py").exists() or (
            PACKAGE / f"device_{platform}.py"
        ).exists()
        assert provided is (rules[rule]["status"] != "exempt"), rule


def test_every_platform_sets_parallel_updates() -> None:
    for platform in PLATFORMS:
        source = (PACKAGE / f"{platform.value}.py").read_text()
        assert re.search(r"^PARALLEL_UPDATES = \d+$", source, re.MULTILINE), platform


def test_manifest_keys_are_sorted_the_hassfest_way() -> None:
    manifest = json.loads((PACKAGE / "manifest.json").read_text())
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_icons_match_translation_keys() -> None:
    strings = json.loads((PACKAGE / "strings.json").read_text())
    icons = json.loads((PACKAGE / "icons.json").read_text())
    assert {p: set(keys) for p, keys in icons["entity"].items()} == {
        p: set(keys) for p, keys in strings["entity"].items()
    }
    assert set(icons["services"]) == set(strings["services"])


async def test_actions_are_registered_without_any_entry_and_match_services_yaml(
    hass: HomeAssistant,
) -> None:
    assert await async_setup_component(hass, DOMAIN, {})
    described = yaml.safe_load((PACKAGE / "services.yaml").read_text())
    registered = hass.services.async_services_for_domain(DOMAIN)
    assert set(registered) == set(described)
    strings = json.loads((PACKAGE / "strings.json").read_text())["services"]
    for action, spec in described.items():
        assert set(strings[action]["fields"]) == set(spec.get("fields", {})), action


def test_brand_icons_are_pngs() -> None:
    for name in ("icon.png", "icon@2x.png"):
        assert (PACKAGE / "brand" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name


def test_readme_has_the_sections_the_docs_rules_ask_for() -> None:
    readme = (ROOT / "README.md").read_text()
    headings = set(re.findall(r"^#+ (.+)$", readme, re.MULTILINE))
    assert {
        "Install",
        "Connect your accounts",
        "How data is updated",
        "Sync pairs",
        "Actions",
        "Scrobbling",
        "Repairs",
        "Limits",
        "Troubleshooting",
    } <= headings
    assert "**Removing CrossWatch:**" in readme
    assert "Typical uses:" in readme


def test_readme_names_every_entity_and_action() -> None:
    """docs-supported-functions: a user finds every entity and action in the README."""
    readme = " ".join((ROOT / "README.md").read_text().split())
    strings = json.loads((PACKAGE / "strings.json").read_text())
    for platform, entities in strings["entity"].items():
        for key, entity in entities.items():
            name = entity["name"].replace(" {user}", "")
            assert f"*{name}" in readme, f"{platform}.{key}: {name}"
    for action in strings["services"]:
        assert f"`crosswatch.{action}`" in readme, action
