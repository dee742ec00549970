"""Life-event records in the admin: read-only, scoped to the user's clinics like every record.
They change only through the services (death, pauses, calls, the catheter), which keep the plan
in step; the admin shows them, with their history."""

from django.contrib import admin

from .admin import PATIENT_SEARCH, ClinicScoped, ReadOnly, ScopedHistoryAdmin, _related_only
from .models import AdvisoryAnswer, BereavementCall, Catheter, Death, HomeDrainageLink, Pause, PhaseEpisode


@admin.register(PhaseEpisode)
class PhaseEpisodeAdmin(ReadOnly, ScopedHistoryAdmin):
    list_display = ["patient", "phase", "started_at", "ended_at", "started_by"]
    list_filter = [_related_only("patient__clinic"), "phase"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient", "started_by"]


@admin.register(Death)
class DeathAdmin(ReadOnly, ScopedHistoryAdmin):
    list_display = ["patient", "died_at", "place", "source", "recorded_by", "recorded_at"]
    list_filter = [_related_only("patient__clinic"), "place", "source"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient", "recorded_by"]


@admin.register(BereavementCall)
class BereavementCallAdmin(ReadOnly, ScopedHistoryAdmin):
    list_display = ["patient", "step", "due_on", "caregiver", "outcome", "done_at", "done_by"]
    list_filter = [_related_only("patient__clinic"), "outcome"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient", "caregiver", "done_by"]


@admin.register(Pause)
class PauseAdmin(ReadOnly, ScopedHistoryAdmin):
    list_display = ["patient", "reason", "review_on", "started_at", "ended_at"]
    list_filter = [_related_only("patient__clinic"), "reason"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient"]


@admin.register(AdvisoryAnswer)
class AdvisoryAnswerAdmin(ReadOnly, ScopedHistoryAdmin):
    list_display = ["patient", "answer", "answered_on", "silenced_until", "by"]
    list_filter = [_related_only("patient__clinic"), "answer"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient", "by"]


@admin.register(Catheter)
class CatheterAdmin(ReadOnly, ScopedHistoryAdmin):
    list_display = ["patient", "type", "placed_on", "removed_on", "recorded_by"]
    list_filter = [_related_only("patient__clinic"), "type"]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient", "recorded_by"]


@admin.register(HomeDrainageLink)
class HomeDrainageLinkAdmin(ClinicScoped, ReadOnly, admin.ModelAdmin):
    """The token is the link's secret and is never shown."""

    list_display = ["__str__", "patient", "created_at", "expires_at", "used_at"]
    list_filter = [_related_only("patient__clinic"), ("used_at", admin.EmptyFieldListFilter)]
    search_fields = PATIENT_SEARCH
    list_select_related = ["patient"]
    fields = ["patient", "created_by", "created_at", "expires_at", "used_at", "procedure"]
