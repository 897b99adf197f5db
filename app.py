"""Entry point: ``python app.py`` serves the dashboard on the embedded default store."""

from dashboard import create_app

app = create_app()
server = app.server

if __name__ == "__main__":
    from dashboard.cli import run_server

    run_server(app)
