"""The sandbox's CMR catalog: collection and granule records, and where each file is served."""
