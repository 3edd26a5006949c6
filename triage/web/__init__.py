"""The web front end of ``triage serve``: the interview on a page, and the JSON API for clinics.

Nothing here keeps state between requests: the client sends every answer each time (hidden
form fields on the page, the request body in the API), and the server answers from the rule
base alone. Knowledge and engine modules never import this package; ``triage serve`` imports
it only when it runs.
"""
