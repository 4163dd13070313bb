"""The demo company that `manage.py seed_demo` loads: a year of an LED exporter's inquiries."""
