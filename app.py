"""Entry point: ``python app.py`` serves the dashboard on the embedded default store.

It runs the production server, as ``gridcmd serve`` does: gunicorn with the settings'
``workers`` (``GRIDCMD_WORKERS``, 1 by default; docs/deploy.md); ``GRIDCMD_DEBUG=1`` gives
Werkzeug's development server instead. ``server`` is the WSGI application for any other
WSGI server (``gunicorn app:server``)."""

from dashboard import create_app

app = create_app()
server = app.server

if __name__ == "__main__":
    from dashboard.cli import run_server

    run_server(app)
