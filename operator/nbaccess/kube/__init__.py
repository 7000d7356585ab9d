"""The only code that imports kopf or kubernetes."""
