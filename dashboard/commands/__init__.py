"""What each ``shopsight`` sub-command does, as functions that take typed options.

``dashboard.cli`` only parses arguments into these options; ``shopsight demo`` calls the same
functions. Heavy imports (the Dash app, models) happen inside the function that needs them, so
``shopsight build`` starts fast and never loads Dash.
"""
