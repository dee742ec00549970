"""The Content Security Policy on every response, DEBUG's 404 pages included.

django-csp leaves out the header on 404 and 500 responses while DEBUG is on, so that Django's
technical pages keep their inline styles and scripts. A 404 under DEBUG then differs from every
other page: a page checked in development would not be checked as it runs in production. So a 404
gets the policy too (Django's technical 404 page shows unstyled under it); the 500 page, whose
traceback needs its inline script, keeps django-csp's exemption.
"""

from dataclasses import asdict

from csp.constants import HEADER
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        if settings.DEBUG and response.status_code == 404 and HEADER not in response \
                and not getattr(response, "_csp_exempt", False):
            policy = build_policy(**asdict(self.get_policy_parts(request=request, response=response)))
            if policy:
                response[HEADER] = policy
        return super().process_response(request, response)
