"""ehpc-iac: the E-HPC cluster service on infrastructure you own."""
__version__ = "0.1.0"
