"""The token endpoint and the SMART configuration that describes it."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from . import tokens

@csrf_exempt
@never_cache
@require_POST
def token(request):
    """POST form-encoded: grant_type=client_credentials, client_assertion_type, client_assertion, scope."""
    try:
        text, row = tokens.issue(request.POST)
    except tokens.TokenError as error:
        response = JsonResponse({"error": error.error, "error_description": error.description}, status=error.status)
        if error.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="followup"'
        return response
    response = JsonResponse({"access_token": text, "token_type": "bearer",
                             "expires_in": int(tokens.TOKEN_LIFETIME.total_seconds()), "scope": row.scope})
    response["Pragma"] = "no-cache"
    return response

SCOPES_SUPPORTED = ["system/*.read", "system/*.write", "system/*.rs", "system/*.cruds"]

def configuration():
    return {
        "token_endpoint": tokens.token_url(),
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": tokens.SIGNING_ALGORITHMS,
        "grant_types_supported": ["client_credentials"],
        "scopes_supported": SCOPES_SUPPORTED,
        "capabilities": ["client-confidential-asymmetric", "permission-v1", "permission-v2"],
        "code_challenge_methods_supported": [],
    }

@require_GET
def smart_configuration(request):
    response = JsonResponse(configuration(), json_dumps_params={"indent": None})
    response["Cache-Control"] = "public, max-age=3600"
    return response

