from oreshock.cli.app import app

app()
