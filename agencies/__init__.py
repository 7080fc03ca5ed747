"""Partner agencies and their people: users, memberships and roles (DESIGN 2.1). Imports no other domain app."""
