"""Framework-free convergence logic: no kopf, no kubernetes imports."""
