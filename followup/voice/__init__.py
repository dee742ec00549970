"""Automated voice calls through Twilio Programmable Voice: the script (TwiML), the call session, the
keypad ESAS-r, the webhooks and the call-placing backends."""
