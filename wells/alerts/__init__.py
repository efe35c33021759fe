"""Alerts (API.md section 15): rules per tenant, alerts opened and closed by evaluation after each
processed batch (for the wells it touched) and by a periodic job (all wells), e-mailed to the
tenant's managers. Models in ``models``, the rules' definitions in ``rules``, evaluation in
``evaluation``, the API in ``apis``, the portal pages in ``views``."""
