"""Pure helpers for kstatus-compliant status conditions."""
