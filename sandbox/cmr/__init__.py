"""Search of the loopback CMR: parameters, filtering, ordering, paging, response bodies."""
