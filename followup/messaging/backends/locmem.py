from . import BaseSmsBackend, Sighting

outbox = []


class SmsBackend(BaseSmsBackend):
    """Keeps messages in `outbox` (a module list), like Django's locmem e-mail backend: for tests.
    It answers reconciliation from that list: what is in it went out, what is not never did."""

    can_tell_what_went_out = True

    def send(self, message):
        outbox.append(message)
        return f"locmem-{len(outbox)}"

    def went_out(self, handovers):
        held = {}
        for number, message in enumerate(outbox, start=1):
            held.setdefault(message.key, []).append(Sighting(provider_id=f"locmem-{number}"))
        return {handover.key: held.get(handover.key, []) for handover in handovers}
