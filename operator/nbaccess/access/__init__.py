"""Who may reach what, from the YAML a GitOps repository holds: no cluster, no NetBird.

The same object-local rules serve the operator (status warnings) and `nbaccess lint`; the
access model behind `nbaccess matrix` and `nbaccess test` follows NetBird's own semantics.
Nothing here imports kopf, kubernetes, httpx or the NetBird client (import-linter keeps it so).
"""
