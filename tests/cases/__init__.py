"""Tables of custom resources shared by the unit tests (pydantic) and e2e tests (apiserver)."""
