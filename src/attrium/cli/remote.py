"""`attrium` commands that talk to a server through the SDK (`--url`, `--key`).

Tables for people by default; `--json` prints what the API answered, for scripts.
Exit codes: 0 done, 1 the server refused (the problem is printed), 2 a usage error
(a missing argument, an unknown option: click's own), 3 (`EXIT_REJECTED`) an import
rejected rows or a batch refused lines (they are written to a report file).
"""

import typer

from attrium.cli import batch, bulk, records


def register(app: typer.Typer) -> None:
    records.customers_app.command("batch")(batch.batch_customers)
    app.add_typer(records.customers_app, name="customers")
    app.add_typer(records.attributes_app, name="attributes")
    app.add_typer(bulk.segments_app, name="segments")
    app.command("import")(bulk.import_file)
    app.command("export")(bulk.export)
    app.command("activity")(records.activity)
