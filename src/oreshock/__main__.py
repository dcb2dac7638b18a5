from oreshock.cli import app

app()
