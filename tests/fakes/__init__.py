"""In-repo fakes of the services the operator talks to (see tests/fakes/netbird)."""
