"""The delivery log for clinical leads: each change notification sent to their clinics' subscribers,
whether it arrived, and every attempt. Nurses get 403."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from .. import access
from .models import Delivery, Subscriber

PAGE_SIZE = 50


@login_required
def delivery_log(request):
    clinics = list(access.lead_clinics_for(request.user).order_by("name"))
    if not clinics:
        raise PermissionDenied("Clinical leads only.")
    subscribers = list(Subscriber.objects.filter(clinic__in=clinics).select_related("clinic"))
    deliveries = (Delivery.objects.filter(subscriber__in=subscribers).select_related("event", "subscriber")
                  .prefetch_related("attempt_log"))
    chosen = request.GET.get("subscriber", "")
    if chosen.isdigit():
        deliveries = deliveries.filter(subscriber_id=int(chosen))
    state = request.GET.get("state", "")
    if state in Delivery.State.values:
        deliveries = deliveries.filter(state=state)
    page = Paginator(deliveries, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "subscriptions/deliveries.html", {
        "clinics": clinics, "subscribers": subscribers, "page": page, "states": Delivery.State.choices,
        "chosen": chosen, "state": state, "max_attempts": settings.WEBHOOK_MAX_ATTEMPTS,
    })
