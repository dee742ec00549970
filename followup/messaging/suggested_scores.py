"""A text whose scores are a guess ("appetite 9", "wellbeing 10" alone) waits for a nurse with its
suggested reading. She confirms it, or corrects the item or the score, in one submit: only then is
it an ESAS-r report, and the alert rules run then."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import services
from ..models import ESAS_ITEMS, InboundMessage, SymptomReport

ITEMS = [(field, label) for field, label in ESAS_ITEMS if field != "other_problem"]


def parse_reading(items, scores):
    """{item: score} from the nurse's form (parallel lists), or ValidationError keyed by field."""
    reading = {}
    known = {field for field, _ in ITEMS}
    for item, score in zip(items, scores, strict=False):
        if item not in known:
            raise ValidationError({"item": _("Choose a symptom from the list.")})
        try:
            value = int(score)
        except (TypeError, ValueError):
            raise ValidationError({"score": _("Enter a score from 0 to 10.")}) from None
        if not 0 <= value <= 10:
            raise ValidationError({"score": _("Enter a score from 0 to 10.")})
        if item in reading:
            raise ValidationError({"item": _("Each symptom once.")})
        reading[item] = value
    if not reading:
        raise ValidationError({"score": _("Enter at least one score.")})
    return reading


def confirm_reading(message, reading, *, by):
    """Store the reading as the patient's report (source SMS, at the text's time), run the alert
    rules, and mark the text handled. A second confirmation of the same text changes nothing."""
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
        if locked.handled_at is not None or locked.patient is None:
            return None
        by_whom = SymptomReport.CompletedBy.CAREGIVER if locked.caregiver_id else SymptomReport.CompletedBy.PATIENT
        report = services.record_symptom_report(locked.patient, scores=reading, completed_by=by_whom,
                                                source=SymptomReport.Source.SMS, recorded_by=by,
                                                reported_at=locked.received_at)
        locked.handled_at, locked.handled_by = timezone.now(), by
        locked.save(update_fields=["handled_at", "handled_by"])
    return report
