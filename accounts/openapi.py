"""How the three credentials appear in the OpenAPI schema. Imported when a schema is generated
(SPECTACULAR_SETTINGS["PREPROCESSING_HOOKS"] names ``register``), not at start-up."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

TENANT_ID = {"type": "apiKey", "in": "header", "name": "X-Tenant-ID",
             "description": "Public tenant identifier, e.g. PERMIAN-7M3N8K (or use the tenant's sub-domain)."}
TENANT_SECRET = {"type": "apiKey", "in": "header", "name": "X-Tenant-Secret",
                 "description": "Tenant device secret: 64 lowercase hex characters."}
BEARER = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
          "description": "The user's access token from /api/v1/auth/login (15 minutes)."}


class ThreeCredentialScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ThreeCredentialAuthentication"
    name = ["tenantId", "tenantSecret", "userToken"]

    def get_security_definition(self, auto_schema):
        return [TENANT_ID, TENANT_SECRET, BEARER]

    def get_security_requirement(self, auto_schema):
        return {"tenantId": [], "tenantSecret": [], "userToken": []}


# Login, refresh and logout carry the user's proof in the body: layers 1 and 2 only. They state
# this with extend_schema(auth=TENANT_LAYERS_ONLY) (the schemes are defined once, above).
TENANT_LAYERS_ONLY = [{"tenantId": [], "tenantSecret": []}]


def register(endpoints, **kwargs):
    """Preprocessing hook: importing this module registered the extension; endpoints unchanged."""
    return endpoints
