"""netbird-access-operator: NetBird zero-trust access declared as Kubernetes custom resources."""

__version__ = "0.1.0"
