"""seatbot: keeps a vendor's client licence-seat register honest."""
