"""GridCommand (网格指挥舱): the application package."""


def create_app(settings=None):
    """Build the Dash app; see :func:`dashboard.factory.create_app`.

    Imported lazily so the command line (``gridcmd demo``) does not load Dash.
    """
    from dashboard.factory import create_app as factory

    return factory(settings)


__all__ = ["create_app"]
