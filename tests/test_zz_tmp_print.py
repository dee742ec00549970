import pytest
from xml.dom import minidom
from followup.models import Reminder
from .test_voice_calls import esperanza, walter, ring_phone, _twilio  # noqa

def pretty(phone):
    import xml.etree.ElementTree as ET
    return minidom.parseString(ET.tostring(phone.last.root)).toprettyxml(indent="  ").split("\n",1)[1]

@pytest.mark.django_db
@pytest.mark.parametrize("who", ["walter", "esperanza"])
def test_print(request, ring_phone, who):
    patient = request.getfixturevalue(who)
    phone = ring_phone(patient, Reminder.Purpose.CHECKIN)
    phone.answer(); print(pretty(phone))
    phone.key("1"); print(pretty(phone))
    phone.key("1"); print(pretty(phone))
    phone.key("8"); print(pretty(phone))
    phone.key("1")
    for _ in range(8):
        phone.key("*")
    print(pretty(phone))
    phone.key("1"); print(pretty(phone))
    phone2 = ring_phone(patient, Reminder.Purpose.DAY_BEFORE) if False else None
