"""Ticketbooth: concert ticket booking that never sells the same ticket twice."""
