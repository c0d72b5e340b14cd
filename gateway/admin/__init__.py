"""Running the gateway day to day: institutions, their certificates, staff accounts and deliveries,
through the admin API (``/v1/admin/...``), the admin web pages (``/admin/...``) and the CLI.

Every change is recorded in ``admin_actions`` with who made it and when (:mod:`gateway.admin.actions`).
"""
