"""Stage 6, export: an `Analysis` -> members CSV, Excel, HTML report, bundle, and the CLI's JSON outputs.

Every file goes through one privacy view (`ExportView`: pseudonyms, minimum segment size, PII
scrubbing, formula neutralisation), built once, so no writer can forget a guard. A bundle restores
segments and assigns new users without the raw upload.

Public entry points:
- `core.export.writer.build_view(analysis, privacy)` -> `ExportView`; `write_all(view, out_dir)`
- `core.export.tables.members_csv_bytes`, `excel_bytes`; `core.export.report.html_report`
- `core.export.bundle.bundle_bytes(view)`, `load_bundle(source)` -> `Bundle` (schema: bundle_schema)
- `core.export.assign.assign_new_users(bundle, dataset, ...)`: new users into saved segments
- `core.export.outputs.write_core_outputs(analysis, out_dir)`: segments.csv/json, summary.json

Modules: view, privacy, tables, report (+ templates/), bundle, bundle_schema, assign, outputs, writer.
"""
