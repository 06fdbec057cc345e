"""CLI commands, one module per stage; pileon/cli.py collects their COMMANDS lists."""
