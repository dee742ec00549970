"""Error pages a product would ship: our own 403, 404 and 500, with the way back (Django's debug
pages only with DEBUG on); and the account menu that reaches the calendar feeds and, for those who
may use it, the admin."""

import pytest
from django.test import RequestFactory
from django.views.defaults import server_error

from followup.models import Membership
from tests.conftest import make_staff


@pytest.fixture(autouse=True)
def production_errors(settings):
    settings.DEBUG = False


def test_an_unknown_address_is_our_404_with_the_way_back(client, nina):
    client.force_login(nina)
    response = client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in page
    assert 'href="/"' in page and "Go to the worklist" in page
    assert 'aria-label="Main"' in page  # the site's navigation
    assert "Traceback" not in page and "URLconf" not in page


def test_another_clinics_patient_is_the_same_404(client, noah, alice):
    client.force_login(noah)
    response = client.get(f"/patients/{alice.pk}/")
    assert response.status_code == 404
    assert "This page does not exist" in response.content.decode()


def test_a_nurse_opening_the_reports_gets_our_403_saying_they_are_for_leads(client, nina):
    client.force_login(nina)
    response = client.get("/reports/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "You are not allowed to open this page" in page
    assert "it is for clinical leads" in page
    assert "Go to the worklist" in page


def test_a_signed_out_visitor_is_offered_the_sign_in_page(client, db):
    page = client.get("/no-such-page/").content.decode()
    assert 'href="/login/"' in page


def test_a_server_error_is_our_500_page_even_without_a_request_context(db):
    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in page
    assert "check the patient" in page


def test_a_stale_form_is_explained_not_a_bare_csrf_page(client, nina):
    client.handler.enforce_csrf_checks = True
    client.force_login(nina)
    response = client.post("/calendar/feeds/new/", {"clinic": ""})
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_django_debug_pages_show_only_with_debug(client, nina, settings):
    settings.DEBUG = True
    client.force_login(nina)
    assert "URLconf" in client.get("/no-such-page/").content.decode()


def test_the_account_menu_links_to_the_calendar_feeds(client, nina):
    client.force_login(nina)
    page = client.get("/").content.decode()
    assert 'href="/calendar/"' in page and "Calendar feeds" in page
    assert 'href="/account/"' in page


def test_the_admin_link_shows_only_to_staff_who_may_use_the_admin(client, nina, riverside):
    client.force_login(nina)
    assert 'href="/admin/"' not in client.get("/").content.decode()
    lead = make_staff("lena", riverside, Membership.Role.LEAD)
    lead.is_staff = True
    lead.save()
    client.force_login(lead)
    assert 'href="/admin/"' in client.get("/").content.decode()


def test_the_calendar_page_lists_each_choice_as_one_label(client, nina):
    client.force_login(nina)
    page = client.get("/calendar/").content.decode()
    assert '<label class="choice"><input type="radio" name="clinic" value="" checked><span>My assigned patients</span></label>' in page
    assert "Every patient of Riverside Palliative Care</span></label>" in page
