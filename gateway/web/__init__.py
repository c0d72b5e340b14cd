"""The staff web: housing-fund clerks' form, reviewers' workbench, supervisors' dashboard.

Server-rendered pages (Jinja2) over the same services as the API, with htmx vendored under
``static/``. ``gateway.web.routes.router`` is what the app includes.
"""
