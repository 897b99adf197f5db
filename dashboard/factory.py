"""``create_app(settings)``: the one place a Dash app is assembled."""

from __future__ import annotations

import dash
from dash import Dash

from dashboard import (
    auth,
    callbacks,
    exports,
    frames,
    pagememo,
    persons,
    rewarm,
    routes,
    serving,
)
from dashboard.i18n import t
from dashboard.report import web as report_web
from dashboard.settings import PROJECT_ROOT, Settings
from dashboard.store import ensure_current
from layouts import cases, overview, quality, thematic


def create_app(settings: Settings | None = None) -> Dash:
    """Build the dashboard for ``settings`` (read from file and environment if omitted).

    The demo store is built here on first start when the configured store is missing, so
    ``python app.py`` and ``gridcmd serve`` both work on a fresh machine. The store itself
    is opened lazily, per process, on the first request.
    """
    settings = settings or Settings.load()
    if not settings.store.is_file():
        if not settings.demo_on_start:
            raise FileNotFoundError(f"store not found: {settings.store}")
        from dashboard.demo import DemoSpec, build_demo

        print(f"首次启动：正在生成演示数据 / building the demo store at {settings.store}")
        build_demo(
            settings.store,
            DemoSpec(incidents=settings.demo_incidents, seed=settings.demo_seed,
                     city=settings.city),
            progress=True,
        )
    applied = ensure_current(settings.store)
    if applied:
        print(f"已升级数据库 / migrated {settings.store}: {', '.join(applied)}")
    # the store file, or with intake on under several workers the copies the writer
    # process publishes (dashboard/serving.py)
    store = serving.make_store(settings)

    app = Dash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(PROJECT_ROOT / "assets"),
        serve_locally=True,
        compress=True,
        title="网格指挥舱 GridCommand",
        update_title=None,
        suppress_callback_exceptions=True,
    )
    app.server.config["GRIDCMD_SETTINGS"] = settings
    app.server.extensions["gridcmd_store"] = store
    dash.register_page("overview", path="/", name="指挥总览", layout=overview.layout, order=0)
    # The analysis pages and the shell are built per page load by dashboard.frames, which
    # reads the session and the store and hands the data to the (pure) layouts.
    dash.register_page("cases", path="/cases", name="事件分析",
                       title=frames.page_title("cases"),
                       layout=frames.analysis_page(cases.layout), order=1)
    for order, page in enumerate(thematic.PAGES, start=2):
        dash.register_page(page.key, path=page.path, name=t(page.title),
                           title=frames.page_title(page.key),
                           layout=frames.analysis_page(page.layout), order=order)
    dash.register_page(quality.PAGE, path="/quality", name="数据质量",
                       title=frames.page_title(quality.PAGE),
                       layout=frames.analysis_page(quality.layout,
                                                   sees_import_log=frames.sees_import_log),
                       order=len(thematic.PAGES) + 2)
    dash.register_page("reports", path="/reports", name="通报", title=frames.page_title("reports"),
                       layout=report_web.page_layout, order=len(thematic.PAGES) + 3)
    app.layout = frames.shell
    # the app's blueprints: map layers and language, exports, the auth layer (guard,
    # login/logout/kiosk), person data and the audit log (docs/architecture.md)
    app.server.register_blueprint(routes.blueprint(store, settings))
    app.server.register_blueprint(exports.blueprint(store, settings))
    auth.install(app, settings)
    app.server.register_blueprint(persons.blueprint())
    app.server.register_blueprint(report_web.blueprint(settings))
    serving.register_intake(app.server, store, settings)
    from dashboard import mygrid  # 我的网格, the grid worker's page (docs/mygrid.md)

    app.server.register_blueprint(mygrid.blueprint(store, settings))
    pagememo.install(app.server, store, settings)
    rewarm.install(app.server, settings)
    callbacks.register(app, store, settings)
    return app
