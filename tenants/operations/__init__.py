"""Operations on tenants, a layer above every app: the staff admin pages, moves between isolation
levels, provisioning (schemas, spare schemas, own databases), their tasks and management commands.
The tenancy core below (tenants/: models, directory, databases, routers, middleware, secrets) never
imports from here (docs/architecture.md; tests/test_layers.py)."""
