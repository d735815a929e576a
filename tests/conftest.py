"""Shared fixtures: stand-ins for Slack and Google Sheets over real HTTP on 127.0.0.1."""

pytest_plugins = ["slack_fixtures", "sheets_fixtures"]
