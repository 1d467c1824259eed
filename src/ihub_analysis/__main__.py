from ihub_analysis.cli import entry

entry()
