"""Breaches of protocol and the 5/10/20/+5 working-day procedure (DESIGN 2.5). Nothing imports this app."""
