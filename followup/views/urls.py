from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import accounts, care, home_drainage, life, patients, suggested_scores, worklist

urlpatterns = [
    # Sign-in, sign-out (POST only, Django's LogoutView) and password reset by e-mail.
    path("login/", accounts.sign_in, name="login"),
    path("login/code/", accounts.sign_in_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/reset/", accounts.PasswordResetBySiteUrl.as_view(), name="password_reset"),  # links from SITE_URL
    path("password/reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/<uidb64>/<token>/", auth_views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password/reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("password/change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # The account page: the optional sign-in code (TOTP) and the language of the pages.
    path("account/", accounts.account, name="account"),
    path("account/code/", accounts.two_factor_setup, name="two_factor_setup"),
    path("account/code/off/", accounts.two_factor_off, name="two_factor_off"),
    path("account/language/", accounts.account_language, name="account_language"),
    path("audit/", include("followup.views.audit_urls")),  # the clinical lead's audit log (H)
    # The worklist and what a nurse acts on from it.
    path("", worklist.worklist, name="worklist"),
    path("worklist/<str:key>/", worklist.worklist_section, name="worklist_section"),
    path("reminders/<int:pk>/acknowledge/", worklist.acknowledge_reminder, name="acknowledge_reminder"),
    path("messages/<int:pk>/handled/", worklist.mark_message_handled, name="mark_message_handled"),
    path("messages/<int:pk>/opt-out/", worklist.decide_possible_opt_out, name="decide_possible_opt_out"),
    path("messages/<int:pk>/scores/", suggested_scores.confirm_suggested_scores, name="confirm_suggested_scores"),
    path("alerts/<int:pk>/", care.acknowledge_alert, name="alert"),  # the link in on-call and escalation pages
    path("alerts/<int:pk>/acknowledge/", care.acknowledge_alert, name="acknowledge_alert"),
    # Patients.
    path("patients/", patients.patient_list, name="patients"),
    path("patients/new/", patients.add_patient, name="add_patient"),
    path("patients/<int:pk>/", patients.patient_page, name="patient"),
    path("patients/<int:pk>/contact/", patients.edit_contact, name="edit_contact"),
    path("patients/<int:pk>/caregivers/new/", patients.add_caregiver, name="add_caregiver"),
    path("caregivers/<int:pk>/", patients.edit_caregiver, name="edit_caregiver"),
    path("patients/<int:pk>/status/<str:status>/", patients.change_status, name="change_status"),
    # Care events.
    path("patients/<int:pk>/drainages/", care.record_drainage, name="record_drainage"),
    path("patients/<int:pk>/checkins/", care.log_checkin, name="log_checkin"),
    path("patients/<int:pk>/interval/", care.change_interval, name="change_interval"),
    path("patients/<int:pk>/interval/accept/", care.accept_suggested_interval, name="accept_suggested_interval"),
    path("occurrences/<int:pk>/reschedule/", care.reschedule_occurrence, name="reschedule_occurrence"),
    path("occurrences/<int:pk>/skip/", care.skip_occurrence, name="skip_occurrence"),
    # Life events (issue 11): death, pauses, the catheter, bereavement, unrouted texts, phases.
    path("patients/<int:pk>/death/", life.record_death, name="record_death"),
    path("patients/<int:pk>/pause/", life.pause_patient, name="pause_patient"),
    path("patients/<int:pk>/pause/extend/", life.extend_pause, name="extend_pause"),
    path("patients/<int:pk>/resume/", life.resume_patient, name="resume_patient"),
    path("patients/<int:pk>/advisory/", life.answer_advisory, name="answer_advisory"),
    path("patients/<int:pk>/catheter/", life.place_catheter, name="place_catheter"),
    path("patients/<int:pk>/home-drainages/", life.log_home_drainage, name="log_home_drainage"),
    path("patients/<int:pk>/home-drainages/link/", life.issue_drainage_link, name="issue_drainage_link"),
    path("patients/<int:pk>/phase/", life.resolve_phase, name="resolve_phase"),
    path("bereavement-calls/<int:pk>/", life.record_bereavement_call, name="record_bereavement_call"),
    path("messages/<int:pk>/assign/", life.assign_message, name="assign_message"),
    # The caregiver's home-drainage log, behind a signed single-use link.
    path("d/<str:signed>/", home_drainage.home_drainage_form, name="home_drainage_form"),
    path("d/<str:signed>/thanks/", home_drainage.home_drainage_thanks, name="home_drainage_thanks"),
    # patient symptom form (D2)
    path("s/", include("followup.views.symptom_urls")),
]
