"""ipoffice: a self-hostable platform for the work of an intellectual-property office."""

from ipoffice import accel as _accel

__version__ = "0.1.0"

# compiled copies of hot modules load only while they match their source (ipoffice.accel)
_accel.install()
