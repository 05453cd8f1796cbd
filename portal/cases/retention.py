"""Deleting what the consent text promised to delete: cases past their `retain_until`, with their files and advice.

Safe beside new uploads and beside another run: a case is chosen only by its own `retain_until`
(set once, at saving), so a case still within its period is never touched, and each deletion is
filtered by that date again. The advice and the case document go first (Django deletes the advice,
then the case, which disappears at once; a prediction being completed for it meanwhile finds no
document and takes its heatmap back), then every GridFS file under the case's name. Files a failed
run or a failed save left behind are swept once they are older than ORPHAN_AGE, long after any save
that could still claim them.
The audit trail keeps one event per deleted case, naming it by reference only.
"""

import logging
import re
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from portal.audit.models import Event
from portal.audit.services import record
from portal.cases.models import Advice, Case, case_file_prefix, case_files
from portal.screening import pending

logger = logging.getLogger(__name__)

CASE_FILE_NAME = re.compile(r"^cases/(?P<reference>[^/]+)/")  # as case_file_prefix() names them
ORPHAN_AGE = timedelta(days=1)
ACTOR = "command:purge_expired_cases"  # who the audit trail says deleted the case


@dataclass(frozen=True)
class Purge:
    """What a run deleted (or, dry, would delete): counts only, nothing that names a patient."""

    cases: int = 0
    advice: int = 0
    files: int = 0
    orphan_files: int = 0
    pending_uploads: int = 0


def purge_expired_cases(*, dry_run=False, now=None) -> Purge:
    now = now or timezone.now()
    cases = advice = files = 0
    for case in Case.objects.filter(retain_until__lt=now).only("reference"):
        if dry_run:
            cases += 1
            advice += Advice.objects.filter(case_id=case.pk).count()
        else:
            deleted, by_model = Case.objects.filter(pk=case.pk, retain_until__lt=now).delete()
            if deleted:  # 0 when another run took it first
                cases += 1
                advice += by_model.get(Advice._meta.label, 0)
                record(Event.CASE_DELETED, None, None, case=case, username=ACTOR, detail={"case": str(case.pk)})
        files += _delete(_files_of(case.reference), dry_run)
    orphans = _delete(_orphan_files(now), dry_run)
    purge = Purge(cases, advice, files, orphans, pending.purge_expired(dry_run=dry_run))
    logger.info("retention: %s%s", "dry run, " if dry_run else "", purge)
    return purge


def _files_of(reference) -> list:
    """GridFS ids of every file stored under the case's name, duplicates from retries included."""
    pattern = "^" + re.escape(case_file_prefix(reference))
    return [entry["_id"] for entry in case_files().entries().find({"filename": {"$regex": pattern}}, {"_id": 1})]


def _orphan_files(now) -> list:
    """Files of cases that have no document, old enough that no save in progress can still claim them."""
    old = [
        (entry["_id"], match["reference"])
        for entry in case_files().entries().find({"uploadDate": {"$lt": now - ORPHAN_AGE}}, {"filename": 1})
        if (match := CASE_FILE_NAME.match(entry["filename"]))
    ]  # fmt: skip
    kept = set(Case.objects.filter(reference__in={ref for _, ref in old}).values_list("reference", flat=True))
    return [file_id for file_id, reference in old if reference not in kept]


def _delete(ids, dry_run) -> int:
    if not dry_run:
        case_files().delete_ids(ids)
    return len(ids)
