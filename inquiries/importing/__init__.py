"""The workbook importer: `parsers` reads cell values (pure), `readers` opens xlsx/csv files
safely, `sheets` writes each sheet in batches through the inquiries services."""
