"""Our custom resources: spec and status models, the source the CRD YAML is generated from."""
