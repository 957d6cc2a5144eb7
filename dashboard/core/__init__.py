"""The core every layer stands on: settings, the schema and the store, periods, the privacy layer."""
