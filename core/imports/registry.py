"""Importers by kind. Each app registers its own in AppConfig.ready(), so this
lower app never imports a higher one.

An importer keeps what one walk over a file needs (lookups, how its columns read), so
each caller gets an instance of its own: two requests never share one."""

_importers = {}


def register(importer):
    _importers[importer.kind] = type(importer)
    return importer


def importer_for(kind):
    importer_class = _importers.get(kind)
    return importer_class() if importer_class else None


def all_importers():
    return [importer_class() for importer_class in _importers.values()]
