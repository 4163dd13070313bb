"""Column mappings and Alibaba names: made once by operations, applied by every later import.

A `ColumnMapping` says how to read a sheet whose headers the importer does not know (an export
of Alibaba's back office, a company's own ledger): the kind of sheet, our column for each header
cell or none, and the zone its times are written in. It is found again by the signature of the
header row, so the next file with the same headers imports with no question asked.

An `AlibabaName` links the name a salesperson goes by in the back office to the person.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from accounts.audit import audit_record
from accounts.models import AlibabaName, User

from .. import tasks
from ..models import ColumnMapping, ImportJob
from .parsers import SHEET_ORDER, SHEETS
from .readers import MappingRule


def mapping_rule(mapping: ColumnMapping) -> MappingRule:
    return MappingRule(
        name=mapping.name,
        signature=mapping.signature,
        kind=mapping.sheet_kind,
        columns=tuple(mapping.columns),
        time_zone=mapping.time_zone,
    )


def saved_mapping_rules(signatures: set[str]) -> dict[str, MappingRule]:
    """The saved mappings of these header signatures, by signature (one query)."""
    return {m.signature: mapping_rule(m) for m in ColumnMapping.objects.filter(signature__in=signatures)}


def column_mappings() -> QuerySet[ColumnMapping]:
    """Every saved mapping, by name, with who made it and how many imports it read."""
    return ColumnMapping.objects.select_related("created_by").annotate(job_count=Count("jobs")).order_by("name")


def get_column_mapping(pk: int) -> ColumnMapping:
    try:
        return ColumnMapping.objects.get(pk=pk)
    except (ColumnMapping.DoesNotExist, ValueError, TypeError):
        raise Http404("No such mapping.") from None


def _check_operations(by: User | None) -> None:
    if by is not None and not (by.is_operations or by.is_superuser):
        raise PermissionDenied(_("Only operations can change column mappings."))


@dataclass(frozen=True)
class MappingInput:
    name: str
    kind: str
    columns: list[str]  # one per header cell: a column key of `kind`, or ""
    time_zone: str


def mapping_errors(preview: dict, data: MappingInput) -> list[str]:
    """What is wrong with a mapping for the sheet `preview` describes; empty when it can be saved."""
    errors = []
    spec = SHEETS.get(data.kind)
    if spec is None:
        return [_("Choose the kind of sheet.")]
    if len(data.columns) != len(preview["headers"]):
        errors.append(_("Choose our column (or ignore) for every column of the file."))
    keys = {c.key for c in spec.columns}
    chosen = [key for key in data.columns if key]
    for key in sorted({k for k in chosen if k not in keys}):
        errors.append(_("%(column)s is not a column of this kind of sheet.") % {"column": key})
    for key in sorted({k for k in chosen if chosen.count(k) > 1}):
        errors.append(_("%(column)s is chosen for two columns.") % {"column": spec.column(key).zh})
    for column in spec.required:
        if column.key not in chosen:
            errors.append(
                _("The column %(column)s is required for this kind of sheet.")
                % {"column": f"{column.zh} · {column.key}"}
            )
    if data.time_zone not in ColumnMapping.Zone.values:
        errors.append(_("Choose the time zone of the file."))
    if not data.name.strip():
        errors.append(_("Give the mapping a name."))
    elif ColumnMapping.objects.filter(name=data.name.strip()).exists():
        errors.append(_("A mapping with this name exists already."))
    return errors


@transaction.atomic
def column_mapping_save(*, job: ImportJob, data: MappingInput, by: User | None) -> ColumnMapping:
    """Save the mapping of the sheet a job stopped at, and run the job again with it (audited)."""
    _check_operations(by)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    preview = (job.summary or {}).get("mapping")
    if job.status != ImportJob.Status.MAPPING or not preview:
        raise ValidationError(_("This import does not wait for a mapping."))
    mapping = ColumnMapping.objects.filter(signature=preview["signature"]).first()
    if mapping is not None:
        raise ValidationError(_("These headers have a mapping already: %(name)s.") % {"name": mapping.name})
    errors = mapping_errors(preview, data)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            mapping = ColumnMapping.objects.create(
                name=data.name.strip()[:100],
                signature=preview["signature"],
                sheet_kind=data.kind,
                headers=preview["headers"],
                columns=data.columns,
                time_zone=data.time_zone,
                created_by=by if by is not None and by.pk else None,
            )
    except IntegrityError:
        raise ValidationError(_("A mapping with this name exists already.")) from None
    audit_record(
        actor=by,
        action="import.mapping_create",
        target=mapping,
        summary=_("Column mapping %(name)s saved") % {"name": mapping.name},
        changes={
            "kind": data.kind,
            "time_zone": data.time_zone,
            "columns": dict(zip(preview["headers"], data.columns, strict=True)),
            "import_job": job.pk,
        },
    )
    _requeue(job)
    return mapping


def _requeue(job: ImportJob) -> None:
    job.status, job.finished_at, job.summary = ImportJob.Status.QUEUED, None, {}
    job.save(update_fields=["status", "finished_at", "summary"])
    transaction.on_commit(lambda: tasks.import_workbook.delay(job.pk))


@transaction.atomic
def import_job_rerun_if_mapped(*, job: ImportJob, by: User | None) -> ColumnMapping | None:
    """A job that waits for a mapping someone has saved since (another upload of the same headers):
    run it with that mapping. None when its headers still have no mapping."""
    _check_operations(by)
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    preview = (job.summary or {}).get("mapping")
    if job.status != ImportJob.Status.MAPPING or not preview:
        return None
    mapping = ColumnMapping.objects.filter(signature=preview["signature"]).first()
    if mapping is not None:
        _requeue(job)
    return mapping


@transaction.atomic
def column_mapping_rename(*, mapping: ColumnMapping, name: str, by: User | None) -> ColumnMapping:
    _check_operations(by)
    name = name.strip()[:100]
    if not name:
        raise ValidationError(_("Give the mapping a name."))
    if ColumnMapping.objects.filter(name=name).exclude(pk=mapping.pk).exists():
        raise ValidationError(_("A mapping with this name exists already."))
    old = mapping.name
    if old == name:
        return mapping
    mapping.name = name
    mapping.save(update_fields=["name"])
    audit_record(
        actor=by,
        action="import.mapping_rename",
        target=mapping,
        summary=_("Column mapping %(old)s renamed %(name)s") % {"old": old, "name": name},
        changes={"name": [old, name]},
    )
    return mapping


@transaction.atomic
def column_mapping_delete(*, mapping: ColumnMapping, by: User | None) -> None:
    _check_operations(by)
    audit_record(
        actor=by,
        action="import.mapping_delete",
        target=mapping,
        summary=_("Column mapping %(name)s deleted") % {"name": mapping.name},
        changes={"kind": mapping.sheet_kind, "headers": mapping.headers, "columns": mapping.columns},
    )
    mapping.delete()


def mapping_page_rows(preview: dict, chosen_kind: str) -> list[dict]:
    """One row per column of the file for the mapping page: header, samples, suggested column."""
    suggestions = preview["suggestions"].get(chosen_kind) or [""] * len(preview["headers"])
    return [
        {"index": i, "header": header, "samples": preview["samples"][i], "suggested": suggestions[i]}
        for i, header in enumerate(preview["headers"])
    ]


def column_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Our columns grouped by kind of sheet, for the select of each column of the file."""
    return [
        (kind, [(c.key, f"{c.zh} · {c.key}{' *' if c.required else ''}") for c in SHEETS[kind].columns])
        for kind in SHEET_ORDER
    ]


# ---------------------------------------------------------------------------------------------
# Alibaba names


def alibaba_names() -> QuerySet[AlibabaName]:
    return AlibabaName.objects.select_related("person").order_by("name")


@transaction.atomic
def alibaba_name_link(*, name: str, person: User, by: User | None) -> AlibabaName:
    """Link the name a salesperson goes by in Alibaba's back office to the person (audited)."""
    _check_operations(by)
    name = name.strip()[:100]
    if not name:
        raise ValidationError(_("Give the name as Alibaba shows it."))
    if not person.is_sales:
        raise ValidationError(_("%(name)s is not a salesperson.") % {"name": person.label})
    link, created = AlibabaName.objects.get_or_create(name=name, defaults={"person": person})
    old = None if created else link.person_id
    if not created and link.person_id != person.pk:
        link.person = person
        link.save(update_fields=["person"])
    if created or old != person.pk:
        audit_record(
            actor=by,
            action="alibaba.name_link",
            target=link,
            summary=_("Alibaba name %(name)s linked to %(person)s") % {"name": name, "person": person.label},
            changes={"name": name, "person": [old, person.pk]},
        )
    return link


@transaction.atomic
def alibaba_name_unlink(*, link: AlibabaName, by: User | None) -> None:
    _check_operations(by)
    audit_record(
        actor=by,
        action="alibaba.name_unlink",
        target=link,
        summary=_("Alibaba name %(name)s unlinked") % {"name": link.name},
        changes={"name": link.name, "person": link.person_id},
    )
    link.delete()
