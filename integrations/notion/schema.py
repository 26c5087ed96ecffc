"""Which Notion property holds which task field, and making the data source fit.

Defaults: Name (title), Status (status or select: To do / In progress / Done / Skipped),
Scheduled (date with end), Due (date), Course (select), Type (select), Minutes (number),
Priority (number), Topics (multi_select), Task ID (rich_text, ours), Notes (rich_text, the
task's description). A user whose database already exists maps our fields onto their names.

Notion lets an integration add properties and select options with `data_sources.update`, but
not create status options (nor change a status property at all), so a Status property of type
status that lacks one of our options is an error telling the user exactly what to add.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from notion_client import Client

from integrations.notion.errors import NotionSchemaError, as_json, translate
from integrations.notion.values import NotionStatus

StatusKind = Literal["status", "select"]

DEFAULT_STATUS_OPTIONS: Mapping[NotionStatus, str] = {
    NotionStatus.TODO: "To do",
    NotionStatus.IN_PROGRESS: "In progress",
    NotionStatus.DONE: "Done",
    NotionStatus.SKIPPED: "Skipped",
}

# field -> the Notion property types that can hold it
_FIELD_TYPES: dict[str, tuple[str, ...]] = {
    "title": ("title",),
    "status": ("status", "select"),
    "scheduled": ("date",),
    "due": ("date",),
    "course": ("select",),
    "task_type": ("select",),
    "minutes": ("number",),
    "priority": ("number",),
    "topics": ("multi_select",),
    "task_id": ("rich_text",),
    "description": ("rich_text",),
}


@dataclass(frozen=True)
class SchemaMapping:
    """Property name per task field (and Status option name per status)."""

    title: str = "Name"
    status: str = "Status"
    scheduled: str = "Scheduled"
    due: str = "Due"
    course: str = "Course"
    task_type: str = "Type"
    minutes: str = "Minutes"
    priority: str = "Priority"
    topics: str = "Topics"
    task_id: str = "Task ID"
    description: str = "Notes"
    status_options: Mapping[NotionStatus, str] = field(
        default_factory=lambda: dict(DEFAULT_STATUS_OPTIONS)
    )

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any] | None) -> SchemaMapping:
        """From a user's mapping: `{"title": "Task", "status_options": {"done": "Finished"}}`."""
        if not raw:
            return cls()
        names = {f.name for f in fields(cls)}
        unknown = set(raw) - names
        if unknown:
            raise ValueError(
                f"unknown Notion mapping keys: {sorted(unknown)}; known: {sorted(names)}"
            )
        values: dict[str, Any] = {}
        for key, value in raw.items():
            if key == "status_options":
                options = dict(DEFAULT_STATUS_OPTIONS)
                for status, option in dict(value).items():
                    options[NotionStatus(status)] = str(option)
                values[key] = options
            else:
                if not isinstance(value, str) or not value.strip():
                    raise ValueError(f"Notion mapping {key} must be a non-empty property name")
                values[key] = value
        mapping = cls(**values)
        property_names = [mapping.property_name(f) for f in _FIELD_TYPES]
        if len(set(property_names)) != len(property_names):
            raise ValueError("two task fields are mapped to the same Notion property")
        return mapping

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f: self.property_name(f) for f in _FIELD_TYPES}
        out["status_options"] = {s.value: n for s, n in self.status_options.items()}
        return out

    def property_name(self, task_field: str) -> str:
        return str(getattr(self, task_field))

    def option_for(self, status: NotionStatus) -> str:
        return self.status_options[status]

    def status_for(self, option_name: str | None) -> NotionStatus | None:
        for status, name in self.status_options.items():
            if name == option_name:
                return status
        return None


@dataclass(frozen=True)
class PreparedSchema:
    """A data source checked to hold our fields. Store `to_dict()` to skip re-checking."""

    data_source_id: str
    mapping: SchemaMapping
    status_kind: StatusKind
    added: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "data_source_id": self.data_source_id,
            "mapping": self.mapping.to_dict(),
            "status_kind": self.status_kind,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> PreparedSchema:
        kind = raw["status_kind"]
        if kind not in ("status", "select"):
            raise ValueError("status_kind must be status or select")
        return cls(
            data_source_id=str(raw["data_source_id"]),
            mapping=SchemaMapping.from_dict(raw.get("mapping")),
            status_kind=kind,
        )


@dataclass(frozen=True)
class SchemaPlan:
    status_kind: StatusKind | None
    to_add: dict[str, Any]
    problems: tuple[str, ...]


def _options_text(names: list[str]) -> str:
    return ", ".join(f"“{n}”" for n in names)


def plan_schema(properties: Mapping[str, Any], mapping: SchemaMapping) -> SchemaPlan:
    """Pure: compare a data source's `properties` with what the mapping needs."""
    problems: list[str] = []
    to_add: dict[str, Any] = {}
    status_kind: StatusKind | None = None
    wanted_options = [mapping.option_for(s) for s in NotionStatus]

    for task_field, allowed in _FIELD_TYPES.items():
        name = mapping.property_name(task_field)
        prop = properties.get(name)
        if task_field == "title":
            if prop is None or prop.get("type") != "title":
                actual = next((n for n, p in properties.items() if p.get("type") == "title"), None)
                problems.append(
                    f"The title property is called “{actual}”, not “{name}”: map “title” to "
                    f"“{actual}” or rename it in Notion."
                )
            continue
        if prop is None:
            if task_field == "status":
                problems.append(
                    f"Add a property “{name}” of type Status (or Select) with the options "
                    f"{_options_text(wanted_options)}."
                )
            else:
                kind = allowed[0]
                config: dict[str, Any] = (
                    {"options": []} if kind in ("select", "multi_select") else {}
                )
                to_add[name] = {kind: config}
            continue
        kind = prop.get("type")
        if kind not in allowed:
            problems.append(
                f"The property “{name}” has type {kind} but must be {' or '.join(allowed)}: change "
                f"its type in Notion or map “{task_field}” to another property."
            )
            continue
        if task_field == "status":
            status_kind = "status" if kind == "status" else "select"
            existing = [o["name"] for o in prop.get(kind, {}).get("options", [])]
            missing = [o for o in wanted_options if o not in existing]
            if missing and kind == "status":
                problems.append(
                    f"Add the option(s) {_options_text(missing)} to the Status property “{name}” "
                    "in Notion (status options cannot be created through the API)."
                )
            elif missing:
                # Send the whole list: an update's options replace the select's options.
                kept = [{"name": o} for o in existing]
                to_add[name] = {"select": {"options": kept + [{"name": o} for o in missing]}}
    return SchemaPlan(status_kind=status_kind, to_add=to_add, problems=tuple(problems))


def check_and_prepare_schema(
    api: Client, data_source_id: str, mapping: SchemaMapping, *, secrets: tuple[str, ...] = ()
) -> PreparedSchema:
    """Check the data source; add missing non-Status properties; raise NotionSchemaError with
    what the user must change when that is not enough."""
    with translate("retrieve_data_source", secrets=secrets):
        data_source = as_json(api.data_sources.retrieve(data_source_id))
    plan = plan_schema(data_source.get("properties", {}), mapping)
    if plan.problems or plan.status_kind is None:
        raise NotionSchemaError(plan.problems)
    if plan.to_add:
        with translate("update_data_source", secrets=secrets):
            api.data_sources.update(data_source_id, properties=plan.to_add)
    return PreparedSchema(
        data_source_id=data_source_id,
        mapping=mapping,
        status_kind=plan.status_kind,
        added=tuple(sorted(plan.to_add)),
    )
