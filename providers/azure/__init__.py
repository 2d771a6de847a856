"""Microsoft Azure: catalog refresh from the public Retail Prices API."""
