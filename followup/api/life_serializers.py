"""What the API reads and writes for life events (issue 11): a death, a pause and its end, a
skip's reason, the catheter advisory's answer, a catheter placed, bereavement calls."""


from rest_framework import serializers

from ..models import AdvisoryAnswer, BereavementCall, Catheter, Death, Occurrence, Pause
from .serializers import _not_in_future


class DeathSerializer(serializers.ModelSerializer):
    died_at = serializers.DateTimeField(validators=[_not_in_future], help_text="When the patient died; not in the future.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    class Meta:
        model = Death
        fields = ["id", "patient", "died_at", "place", "source", "recorded_by", "recorded_at", "note"]
        read_only_fields = ["patient", "recorded_by", "recorded_at"]


class PauseSerializer(serializers.ModelSerializer):
    review_on = serializers.DateField(required=False, allow_null=True,
                                      help_text="The review day; for a hospital admission the clinic's default when left out.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    class Meta:
        model = Pause
        fields = ["id", "patient", "reason", "review_on", "note", "started_at", "started_by", "ended_at", "ended_by"]
        read_only_fields = ["patient", "started_at", "started_by", "ended_at", "ended_by"]


class WardDrainageSerializer(serializers.Serializer):
    performed_at = serializers.DateTimeField(validators=[_not_in_future])
    volume_ml = serializers.IntegerField(min_value=0, max_value=20000)
    performer_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)
    performer_role = serializers.CharField(required=False, allow_blank=True, default="", max_length=80)


class ResumeSerializer(serializers.Serializer):
    ward_drainages = WardDrainageSerializer(many=True, required=False, default=list,
                                            help_text="Drainages done on the ward during an admission; recorded as "
                                                      "setting \u201chospital\u201d.")


class ExtendPauseSerializer(serializers.Serializer):
    review_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class SkipSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    reason = serializers.ChoiceField(choices=Occurrence.SkipReason.choices, required=False, default="other")
    look_again_on = serializers.DateField(required=False, allow_null=True, default=None,
                                          help_text="In 7 days for a drainage, the next cadence step for a call, when left out.")


class AdvisoryAnswerSerializer(serializers.ModelSerializer):
    answered_on = serializers.DateField(required=False, help_text="Today when left out.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    class Meta:
        model = AdvisoryAnswer
        fields = ["id", "patient", "answer", "answered_on", "silenced_until", "note", "by"]
        read_only_fields = ["patient", "silenced_until", "by"]


class CatheterSerializer(serializers.ModelSerializer):
    interval_days = serializers.IntegerField(write_only=True, required=False, min_value=1, max_value=14,
                                             help_text="Home drainage every this many days; the clinic's (2) when left out.")

    class Meta:
        model = Catheter
        fields = ["id", "patient", "placed_on", "type", "recorded_by", "recorded_at", "removed_on", "interval_days"]
        read_only_fields = ["patient", "recorded_by", "recorded_at", "removed_on"]


class BereavementCallSerializer(serializers.ModelSerializer):
    class Meta:
        model = BereavementCall
        fields = ["id", "patient", "caregiver", "step", "due_on", "outcome", "done_at", "done_by", "note"]
        read_only_fields = fields


class BereavementOutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=BereavementCall.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)



