"""Importers by kind. Each app registers its own in AppConfig.ready(), so this
lower app never imports a higher one."""

_importers = {}


def register(importer):
    _importers[importer.kind] = importer
    return importer


def importer_for(kind):
    return _importers.get(kind)


def all_importers():
    return list(_importers.values())
