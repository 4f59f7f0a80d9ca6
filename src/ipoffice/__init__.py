"""ipoffice: a self-hostable platform for the work of an intellectual-property office."""

__version__ = "0.1.0"
