"""python -m pattern_pivot.cli"""

from pattern_pivot.cli import app

app()
