"""Private helpers of the ``instransfer`` command (see ``instransfer/__main__.py``)."""
